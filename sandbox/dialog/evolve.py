"""The portal after the scenario's "today": new appeals, answers, rejections, ratings, views.

This is what makes the crawler's life hard (docs/sources.md): appeals change after they are first
seen, and new ones push cards onto later pages. Every change keeps the scenario's invariants:
question ids grow with time, the pending appeals are each blog's most recent, an answer takes a
day at least. (The 1–40 days of docs/calibration.md hold as of TODAY: an appeal that was pending
then may take longer.)
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sandbox.dialog.markup import EVIDENCED, Markup
from sandbox.dialog.people import make_person
from sandbox.dialog.phrases import category_weights
from sandbox.dialog.render import CARDS_PER_PAGE, card_view
from sandbox.dialog.scenario import (
    FIRST_DAY,
    REJECTED_SHARE_OF_UNANSWERED,
    TODAY,
    Appeal,
    Scenario,
    answer_appeal,
    reject_appeal,
    write_appeal,
)

DAILY_RESOLUTION_CHANCE = 0.12  # each pending appeal's chance to be settled on a given day
DAILY_RATING_CHANCE = 0.02  # each unrated recent answer's chance to be rated on a given day
NEGATIVE_RATING_SHARE = 0.4
ACTIVE_DAYS = 90  # appeals younger than this still gain views and ratings
DAILY_VIEWS_MAX = 6


def add_new_appeal(scenario: Scenario, blog_id: int, rng: random.Random) -> Appeal:
    """A brand-new pending appeal, submitted today, on top of the blog's listing."""
    blog = scenario.blog(blog_id)
    weights = category_weights(blog.gov_body_code)
    category = rng.choices(list(weights), weights=list(weights.values()))[0]
    appeal = write_appeal(
        rng,
        scenario,
        blog,
        make_person(rng),
        category,
        scenario.allocate_question_id(rng),
        scenario.today,
    )
    appeal.views = 0
    scenario.appeals_by_blog[blog_id].insert(0, appeal)
    return appeal


def advance(scenario: Scenario, days: int) -> None:
    """Let `days` pass, one at a time; each day's changes follow from the seed and the date."""
    if days < 0:
        raise ValueError("time only moves forward")
    for _ in range(days):
        scenario.today += timedelta(days=1)
        rng = random.Random(f"{scenario.seed}:advance:{scenario.today.isoformat()}")
        for blog in scenario.blogs:
            appeals = scenario.appeals_by_blog[blog.blog_id]
            _grow_views_and_ratings(rng, scenario, appeals)
            _settle_oldest_pending(rng, scenario, appeals)
            for _ in range(_arrivals(rng, len(appeals))):
                add_new_appeal(scenario, blog.blog_id, rng)


def _arrivals(rng: random.Random, blog_size: int) -> int:
    """About the blog's average daily number of appeals so far."""
    rate = blog_size / ((TODAY - FIRST_DAY).days + 1)
    return int(rate) + (rng.random() < rate % 1)


def _settle_oldest_pending(rng: random.Random, scenario: Scenario, appeals: list[Appeal]) -> None:
    """Answer or reject some pending appeals, oldest first, so pending stay the most recent."""
    pending = list(itertools.takewhile(lambda a: a.status == "pending", appeals))
    due = [a for a in pending if a.submitted_on < scenario.today]  # answers take a day at least
    count = sum(rng.random() < DAILY_RESOLUTION_CHANCE for _ in due)
    for appeal in reversed(due[len(due) - count :]):
        if rng.random() < REJECTED_SHARE_OF_UNANSWERED:
            reject_appeal(appeal, scenario.today)
        else:
            answer_appeal(rng, scenario, appeal, scenario.today)


def _grow_views_and_ratings(rng: random.Random, scenario: Scenario, appeals: list[Appeal]) -> None:
    horizon = scenario.today - timedelta(days=ACTIVE_DAYS)
    for appeal in appeals:  # newest first: stop at the first one past the horizon
        if appeal.submitted_on < horizon:
            break
        appeal.views += rng.randint(0, DAILY_VIEWS_MAX)
        unrated = appeal.status == "answered" and appeal.rating is None
        if unrated and rng.random() < DAILY_RATING_CHANCE:
            negative = rng.random() < NEGATIVE_RATING_SHARE
            appeal.rating = "negative" if negative else "positive"


# --- what a day's changes require of a crawler --------------------------------------------------

#: Requests any run makes whatever changed: robots.txt and the language switch.
FIXED_REQUESTS = 2

#: A blog's listing, newest first: (number, status, rating, answers shown) of every card.
ListingStates = dict[int, list[tuple[str, str, str | None, int]]]


@dataclass(frozen=True)
class DailyMinimum:
    """The fewest requests that see every change between two states of the portal."""

    requests: int
    deepest: dict[int, int]  # blog_id → deepest page holding a new or changed appeal (≥ 1)
    changed: frozenset[str]  # registration numbers new or changed (status, rating, answers)


def listing_states(
    scenario: Scenario, blog_ids: Iterable[int], markup: Markup = EVIDENCED
) -> ListingStates:
    """What an incremental crawl watches on each blog's listing, to compare before and after."""
    states = {}
    for b in blog_ids:
        blog = scenario.blog(b)
        states[b] = [
            (a.number, a.status, a.rating, len(card_view(blog, a, markup, scenario.today).answers))
            for a in scenario.appeals_by_blog[b]
        ]
    return states


def daily_minimum(before: ListingStates, after: ListingStates) -> DailyMinimum:
    """Per blog, the deepest page of the new listing holding a new appeal or one whose status or
    rating changed (page 1 at least: a crawler must look to know), plus the fixed requests."""
    changed: set[str] = set()
    deepest: dict[int, int] = {}
    for blog_id, cards in after.items():
        old = {number: state for number, *state in before[blog_id]}
        deepest[blog_id] = 1
        for position, (number, *state) in enumerate(cards):
            if old.get(number) != state:
                changed.add(number)
                deepest[blog_id] = position // CARDS_PER_PAGE + 1
    return DailyMinimum(FIXED_REQUESTS + sum(deepest.values()), deepest, frozenset(changed))
