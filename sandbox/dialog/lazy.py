"""A scenario of any size, generated card by card as pages are asked for (benchmarks).

`build_scenario` holds every appeal in memory, which is right for the calibrated scenario (some
forty thousand appeals) and wrong for millions. Here each blog's listing is a `LazyListing`: a
sequence that makes the appeal at position *i* from (seed, blog, i) when it is read, and keeps
nothing. The server serves it unchanged (it only takes `len()` and slices).

The shape follows the calibrated scenario: appeals are shared out over the registry's blogs in
the proportions of `BODY_TARGETS`, each blog's statuses and ratings in its target's proportions,
the pending appeals the newest, dates spread evenly from FIRST_DAY to TODAY, texts and people
(personal data included) written by the same functions. Not calibrated to the appeal, and no
follow-ups: the figures are for speed, not for the ranking.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import overload

from sandbox.dialog.people import make_person
from sandbox.dialog.phrases import category_weights
from sandbox.dialog.scenario import (
    BODY_TARGETS,
    FIRST_DAY,
    FIRST_QUESTION_ID,
    REJECTED_SHARE_OF_UNANSWERED,
    REJECTION_DAYS_MAX,
    TODAY,
    Appeal,
    Blog,
    BodyTarget,
    Scenario,
    answer_appeal,
    answer_days,
    load_registry,
    make_responders,
    reject_appeal,
    write_appeal,
)


class LazyScenario(Scenario):
    """A `Scenario` whose listings are generated on demand; it records no personal data (the
    record would grow with every page served)."""

    def record_pii(self, kind: str, value: str) -> None:
        pass


class LazyListing(Sequence[Appeal]):
    """One blog's listing, newest first, of `size` appeals made on demand."""

    def __init__(self, scenario: Scenario, blog: Blog, blog_index: int, blogs: int, size: int):
        self.scenario, self.blog, self.size = scenario, blog, size
        self._blog_index, self._blogs = blog_index, blogs
        target = BODY_TARGETS[blog.gov_body_code]
        unanswered = target.appeals - target.answered
        rejected = round(unanswered * REJECTED_SHARE_OF_UNANSWERED)
        self._pending = round(size * (unanswered - rejected) / target.appeals)
        self._target, self._settled = target, target.answered + rejected
        weights = category_weights(blog.gov_body_code)
        self._categories, self._weights = list(weights), list(weights.values())
        self._days = (TODAY - FIRST_DAY).days

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> Appeal: ...
    @overload
    def __getitem__(self, index: slice) -> list[Appeal]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._appeal(i) for i in range(*index.indices(self.size))]
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(index)
        return self._appeal(index)

    def question_id(self, position: int) -> int:
        """Ids grow with time inside a blog and never collide across blogs."""
        return FIRST_QUESTION_ID + (self.size - 1 - position) * self._blogs + self._blog_index

    def _appeal(self, position: int) -> Appeal:
        rng = random.Random(f"{self.scenario.seed}:{self.blog.blog_id}:{position}")
        pending = position < self._pending
        # evenly spread, newest first; settled appeals came yesterday at the latest
        submitted_on = TODAY - timedelta(days=position * self._days // max(self.size, 1))
        if not pending:
            submitted_on = min(submitted_on, TODAY - timedelta(days=1))
        category = rng.choices(self._categories, weights=self._weights)[0]
        appeal = write_appeal(
            rng,
            self.scenario,
            self.blog,
            make_person(rng),
            category,
            self.question_id(position),
            submitted_on,
        )
        if not pending:
            self._settle(rng, appeal)
        return appeal

    def _settle(self, rng: random.Random, appeal: Appeal) -> None:
        target: BodyTarget = self._target
        if rng.random() * self._settled >= target.answered:
            days = rng.randint(0, REJECTION_DAYS_MAX)
            reject_appeal(appeal, min(appeal.submitted_on + timedelta(days=days), TODAY))
            return
        answered_on = min(appeal.submitted_on + timedelta(days=answer_days(rng)), TODAY)
        answer_appeal(rng, self.scenario, appeal, answered_on)
        rated = rng.random() * target.answered
        if rated < target.rated:
            appeal.rating = "negative" if rated < target.unsatisfied else "positive"


def build_lazy_scenario(appeals: int, seed: int = 2021) -> LazyScenario:
    """About `appeals` appeals over the registry's blogs, none of them held in memory."""
    if appeals < 1:
        raise ValueError("appeals must be at least 1")
    blogs = load_registry()
    weights = [BODY_TARGETS[b.gov_body_code].appeals for b in blogs]
    total = sum(weights)
    scenario = LazyScenario(
        seed=seed,
        scale=appeals / total,
        today=TODAY,
        blogs=blogs,
        appeals_by_blog={},
        responders={
            b.blog_id: make_responders(random.Random(f"{seed}:{b.blog_id}")) for b in blogs
        },
        last_question_id=0,
    )
    for index, (blog, weight) in enumerate(zip(blogs, weights, strict=True)):
        size = max(1, round(appeals * weight / total))
        listing = LazyListing(scenario, blog, index, len(blogs), size)
        scenario.appeals_by_blog[blog.blog_id] = listing  # type: ignore[assignment]
        scenario.last_question_id = max(scenario.last_question_id, listing.question_id(0))
    return scenario
