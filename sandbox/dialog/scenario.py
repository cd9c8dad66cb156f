"""The Open Dialogue scenario: every appeal on every blog of the registry.

Built from a seed, and calibrated to docs/calibration.md sections 1 and 2 *to the appeal*: per body,
exactly the published numbers of appeals, answered appeals, rated answers and unsatisfied ratings.
Those four numbers per body (`BODY_TARGETS`) are the only inputs; rates and ranks are left for the
warehouse to compute.
"""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from sandbox.dialog.people import Person, is_female_name, make_person
from sandbox.dialog.phrases import (
    category_weights,
    compose_answer,
    compose_appeal,
    is_kazakh_appeal,
)

REGISTRY_FILE = Path(__file__).resolve().parent.parent / "data" / "dialog_blogs.csv"

FIRST_DAY = date(2020, 1, 1)
TODAY = date(2021, 3, 19)  # the scenario's "today": the crawl sees the portal as of this day


@dataclass(frozen=True, slots=True)
class BodyTarget:
    appeals: int
    answered: int
    rated: int
    unsatisfied: int


# docs/calibration.md section 1: akimats, keyed by gov_body_code = "AKM" + KATO.
AKIMAT_TARGETS: dict[str, BodyTarget] = {
    "AKM63": BodyTarget(appeals=1850, answered=1850, rated=230, unsatisfied=106),
    "AKM15": BodyTarget(appeals=1250, answered=1244, rated=150, unsatisfied=52),
    "AKM43": BodyTarget(appeals=1000, answered=993, rated=120, unsatisfied=33),
    "AKM79": BodyTarget(appeals=868, answered=853, rated=131, unsatisfied=50),
    "AKM27": BodyTarget(appeals=850, answered=834, rated=100, unsatisfied=25),
    "AKM55": BodyTarget(appeals=1100, answered=1078, rated=125, unsatisfied=44),
    "AKM59": BodyTarget(appeals=900, answered=880, rated=100, unsatisfied=44),
    "AKM35": BodyTarget(appeals=1500, answered=1466, rated=170, unsatisfied=62),
    "AKM61": BodyTarget(appeals=1520, answered=1480, rated=134, unsatisfied=49),
    "AKM11": BodyTarget(appeals=1000, answered=973, rated=110, unsatisfied=40),
    "AKM31": BodyTarget(appeals=900, answered=875, rated=110, unsatisfied=24),
    "AKM19": BodyTarget(appeals=1650, answered=1601, rated=160, unsatisfied=64),
    "AKM33": BodyTarget(appeals=350, answered=336, rated=40, unsatisfied=14),
    "AKM10": BodyTarget(appeals=95, answered=91, rated=20, unsatisfied=7),
    "AKM71": BodyTarget(appeals=2528, answered=2392, rated=341, unsatisfied=175),
    "AKM23": BodyTarget(appeals=900, answered=850, rated=95, unsatisfied=46),
    "AKM62": BodyTarget(appeals=352, answered=321, rated=45, unsatisfied=15),
    "AKM47": BodyTarget(appeals=800, answered=640, rated=80, unsatisfied=33),
    "AKM39": BodyTarget(appeals=1224, answered=910, rated=115, unsatisfied=47),
    "AKM75": BodyTarget(appeals=7363, answered=5365, rated=665, unsatisfied=329),
}
# docs/calibration.md section 2: ministries, scaled 1:20 (including its "(scenario)" values).
MINISTRY_TARGETS: dict[str, BodyTarget] = {
    "MVD": BodyTarget(appeals=3425, answered=3322, rated=380, unsatisfied=160),
    "MTSZN": BodyTarget(appeals=3285, answered=3117, rated=350, unsatisfied=150),
    "MF": BodyTarget(appeals=2975, answered=2916, rated=320, unsatisfied=120),
    "MZ": BodyTarget(appeals=2000, answered=1940, rated=220, unsatisfied=92),
    "ME": BodyTarget(appeals=405, answered=405, rated=40, unsatisfied=14),
    "MCHS": BodyTarget(appeals=75, answered=72, rated=8, unsatisfied=3),
}
BODY_TARGETS: dict[str, BodyTarget] = AKIMAT_TARGETS | MINISTRY_TARGETS

# Scenario values (docs/calibration.md section 1, last paragraph).
REJECTED_SHARE_OF_UNANSWERED = 0.10
FOLLOW_UP_SHARE = 0.05
FOLLOW_UP_WINDOW = 300  # a follow-up refers to one of the blog's last N original appeals
MAX_FOLLOW_UPS = 2  # "754733/1", "754733/2"
ANSWER_DAYS_MIN, ANSWER_DAYS_MAX, ANSWER_DAYS_MODE = 1, 40, 7
REJECTION_DAYS_MAX = 10
FIRST_QUESTION_ID = 700_001
QUESTION_ID_GAP_MAX = 3  # the portal's other blogs take the ids in between
RESPONDERS_PER_BLOG = 3

DAY = 86_400.0
Status = Literal["answered", "pending", "rejected"]
Rating = Literal["positive", "negative"]
PII_KINDS = ("name", "iin", "phone", "email")


@dataclass(slots=True)
class Appeal:
    """One card of a blog listing, every field of docs/sources.md section 1."""

    question_id: int
    number: str  # "754733", or "754733/1" for the first follow-up of 754733
    blog_id: int
    applicant: str
    text: tuple[str, ...]  # paragraphs
    category: str
    submitted_on: date
    views: int
    status: Status = "pending"
    responder: str | None = None  # "Сапарбаев Б. М."
    answered_on: date | None = None
    answer_text: tuple[str, ...] = ()  # paragraphs
    rating: Rating | None = None
    rejected_on: date | None = None


@dataclass(frozen=True, slots=True)
class Blog:
    """One row of the blog registry (sandbox/data/dialog_blogs.csv)."""

    blog_id: int
    gov_body_code: str
    gov_body_name_ru: str
    body_type: str
    region_kato: str | None  # two digits for a regional akimat, None for a central body


@dataclass
class Scenario:
    seed: int
    scale: float
    today: date
    blogs: list[Blog]
    appeals_by_blog: dict[int, list[Appeal]]  # newest first (by question id)
    responders: dict[int, tuple[str, ...]]  # officials who sign a blog's answers
    last_question_id: int
    # Personal data written into the scenario, by kind; dicts keep insertion order (determinism).
    pii: dict[str, dict[str, None]] = field(default_factory=lambda: {k: {} for k in PII_KINDS})

    def blog(self, blog_id: int) -> Blog:
        for blog in self.blogs:
            if blog.blog_id == blog_id:
                return blog
        raise KeyError(blog_id)

    def appeals(self) -> Iterator[Appeal]:
        return itertools.chain.from_iterable(self.appeals_by_blog.values())

    def allocate_question_id(self, rng: random.Random) -> int:
        self.last_question_id += rng.randint(1, QUESTION_ID_GAP_MAX)
        return self.last_question_id

    def record_pii(self, kind: str, value: str) -> None:
        self.pii[kind][value] = None


@dataclass(frozen=True)
class PersonalData:
    """Every piece of personal data the scenario wrote: what the warehouse must never expose."""

    names: tuple[str, ...]
    iins: tuple[str, ...]
    phones: tuple[str, ...]
    emails: tuple[str, ...]

    def all(self) -> tuple[str, ...]:
        return self.names + self.iins + self.phones + self.emails


def personal_data(scenario: Scenario) -> PersonalData:
    """Applicant names (as in the card's h3, also where they recur in texts and answers), and
    the IINs, phones and e-mails exactly as written into appeal texts."""
    pii = scenario.pii
    return PersonalData(*(tuple(sorted(pii[kind])) for kind in PII_KINDS))


def load_registry(path: Path = REGISTRY_FILE) -> list[Blog]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Blog(
                blog_id=int(row["blog_id"]),
                gov_body_code=row["gov_body_code"],
                gov_body_name_ru=row["gov_body_name_ru"],
                body_type=row["body_type"],
                region_kato=row["region_kato"] or None,
            )
            for row in csv.DictReader(f)
        ]


def write_registry(path: Path, blog_ids: Iterable[int]) -> Path:
    """A registry file with some of the sandbox's blogs, in the sandbox's order."""
    wanted = set(blog_ids)
    with REGISTRY_FILE.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(row for row in reader if int(row["blog_id"]) in wanted)
    return path


def scaled_target(target: BodyTarget, scale: float) -> BodyTarget:
    """The target times `scale`, kept consistent (unsatisfied ≤ rated ≤ answered ≤ appeals)."""
    if scale == 1:
        return target
    appeals = round(target.appeals * scale)
    answered = min(round(target.answered * scale), appeals)
    rated = min(round(target.rated * scale), answered)
    return BodyTarget(appeals, answered, rated, min(round(target.unsatisfied * scale), rated))


def build_scenario(seed: int = 2021, scale: float = 1.0) -> Scenario:
    """The portal as of TODAY: same seed and scale, same appeals, byte for byte."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    blogs = load_registry()
    unknown = [b.gov_body_code for b in blogs if b.gov_body_code not in BODY_TARGETS]
    if unknown:
        raise ValueError(f"no calibration target for gov_body_code {unknown}")
    # One generator per blog, so that a blog's appeals do not depend on the registry's order.
    rngs = {b.blog_id: random.Random(f"{seed}:{b.blog_id}") for b in blogs}
    plans = [
        _plan_blog(rngs[b.blog_id], scaled_target(BODY_TARGETS[b.gov_body_code], scale))
        for b in blogs
    ]
    last_question_id = _assign_question_ids(random.Random(seed), plans)
    scenario = Scenario(
        seed=seed,
        scale=scale,
        today=TODAY,
        blogs=blogs,
        appeals_by_blog={},
        responders={b.blog_id: make_responders(rngs[b.blog_id]) for b in blogs},
        last_question_id=last_question_id,
    )
    for blog, plan in zip(blogs, plans, strict=True):
        scenario.appeals_by_blog[blog.blog_id] = _write_blog(
            rngs[blog.blog_id], scenario, blog, plan
        )
    return scenario


# --- planning: when each appeal came and how it ended, before any text is written ---------------


@dataclass(slots=True)
class _Slot:
    moment: float  # seconds since FIRST_DAY 00:00
    status: Status = "answered"
    rating: Rating | None = None
    follow_up_of: int | None = None  # index, in the blog's plan, of the appeal followed up
    follow_up_k: int = 0
    question_id: int = 0


def _plan_blog(rng: random.Random, target: BodyTarget) -> list[_Slot]:
    """The blog's appeals, oldest first, with exactly the target's statuses and ratings."""
    unanswered = target.appeals - target.answered
    rejected = round(unanswered * REJECTED_SHARE_OF_UNANSWERED)
    settled = target.appeals - (unanswered - rejected)  # answered or rejected
    span = ((TODAY - FIRST_DAY).days + 1) * DAY
    moments = sorted(rng.random() * span for _ in range(target.appeals))
    # Settled appeals come no later than yesterday, so an answer (≥ 1 day) is out by today;
    # the pending ones are the blog's most recent.
    latest_settled = span - DAY - 1
    slots = [_Slot(min(m, latest_settled)) for m in moments[:settled]]
    slots += [_Slot(m, status="pending") for m in moments[settled:]]
    for i in rng.sample(range(settled), rejected):
        slots[i].status = "rejected"
    answered = [i for i in range(settled) if slots[i].status == "answered"]
    for k, i in enumerate(rng.sample(answered, target.rated)):
        slots[i].rating = "negative" if k < target.unsatisfied else "positive"
    _plan_follow_ups(rng, slots)
    return slots


def _plan_follow_ups(rng: random.Random, slots: list[_Slot]) -> None:
    originals: list[int] = []
    follow_ups: dict[int, int] = {}
    for i, slot in enumerate(slots):
        if originals and rng.random() < FOLLOW_UP_SHARE:
            j = originals[-rng.randint(1, min(FOLLOW_UP_WINDOW, len(originals)))]
            if follow_ups.get(j, 0) < MAX_FOLLOW_UPS:
                follow_ups[j] = slot.follow_up_k = follow_ups.get(j, 0) + 1
                slot.follow_up_of = j
                continue
        originals.append(i)


def _assign_question_ids(rng: random.Random, plans: list[list[_Slot]]) -> int:
    """Ids increase with submission time across the portal; returns the last one given."""
    order = sorted(
        (slot.moment, b, i) for b, plan in enumerate(plans) for i, slot in enumerate(plan)
    )
    question_id = FIRST_QUESTION_ID - 1
    for _, b, i in order:
        question_id += rng.randint(1, QUESTION_ID_GAP_MAX)
        plans[b][i].question_id = question_id
    return question_id


def make_responders(rng: random.Random) -> tuple[str, ...]:
    return tuple(make_person(rng).short_name for _ in range(RESPONDERS_PER_BLOG))


# --- writing: people, texts, answers ------------------------------------------------------------


def _write_blog(
    rng: random.Random, scenario: Scenario, blog: Blog, plan: list[_Slot]
) -> list[Appeal]:
    """The blog's appeals, newest first."""
    weights = category_weights(blog.gov_body_code)
    categories, cum_weights = list(weights), list(itertools.accumulate(weights.values()))
    appeals: list[Appeal] = []
    people: list[Person] = []
    for slot in plan:
        submitted_on = FIRST_DAY + timedelta(days=int(slot.moment // DAY))
        if slot.follow_up_of is None:
            person = make_person(rng)
            category = rng.choices(categories, cum_weights=cum_weights)[0]
            appeal = write_appeal(
                rng, scenario, blog, person, category, slot.question_id, submitted_on
            )
        else:
            person = people[slot.follow_up_of]
            original = appeals[slot.follow_up_of]
            appeal = write_appeal(
                rng,
                scenario,
                blog,
                person,
                original.category,
                slot.question_id,
                submitted_on,
                follow_up_of=original.number,
                follow_up_k=slot.follow_up_k,
            )
        if slot.status == "answered":
            answered_on = submitted_on + timedelta(days=answer_days(rng))
            answer_appeal(rng, scenario, appeal, min(answered_on, scenario.today))
            appeal.rating = slot.rating
        elif slot.status == "rejected":
            rejected_on = submitted_on + timedelta(days=rng.randint(0, REJECTION_DAYS_MAX))
            reject_appeal(appeal, min(rejected_on, scenario.today))
        appeals.append(appeal)
        people.append(person)
    appeals.reverse()
    return appeals


def write_appeal(
    rng: random.Random,
    scenario: Scenario,
    blog: Blog,
    person: Person,
    category: str,
    question_id: int,
    submitted_on: date,
    follow_up_of: str | None = None,
    follow_up_k: int = 0,
) -> Appeal:
    """A new pending appeal (a follow-up when `follow_up_of` names an earlier number)."""
    scenario.record_pii("name", person.full_name)
    text, _ = compose_appeal(
        rng, person, category, blog.body_type, follow_up_of, scenario.record_pii
    )
    number = f"{follow_up_of}/{follow_up_k}" if follow_up_of else str(question_id)
    return Appeal(
        question_id=question_id,
        number=number,
        blog_id=blog.blog_id,
        applicant=person.full_name,
        text=text,
        category=category,
        submitted_on=submitted_on,
        views=_views(rng, (scenario.today - submitted_on).days),
    )


def answer_appeal(
    rng: random.Random, scenario: Scenario, appeal: Appeal, answered_on: date
) -> None:
    appeal.status = "answered"
    appeal.responder = rng.choice(scenario.responders[appeal.blog_id])
    appeal.answered_on = answered_on
    appeal.answer_text = compose_answer(
        rng, appeal.applicant, is_female_name(appeal.applicant), is_kazakh_appeal(appeal.text)
    )


def reject_appeal(appeal: Appeal, rejected_on: date) -> None:
    appeal.status = "rejected"
    appeal.rejected_on = rejected_on


def answer_days(rng: random.Random) -> int:
    """Most answers within the 15 working days the law gives, a long tail up to 40."""
    days = rng.triangular(ANSWER_DAYS_MIN, ANSWER_DAYS_MAX + 1, ANSWER_DAYS_MODE)
    return min(int(days), ANSWER_DAYS_MAX)


def _views(rng: random.Random, age_days: int) -> int:
    """Heavy-tailed; a few thousand for popular appeals, fewer for the freshest ones."""
    return int(rng.lognormvariate(5.3, 1.1) * min(1.0, 0.15 + age_days / 45))
