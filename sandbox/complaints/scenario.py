"""The complaint statistics of 2016, 2017, 2020 and 2021, per state body and applicant type.

Calibrated to docs/calibration.md section 4 *exactly*: the rows of each year add up to the national
figures of `NATIONAL` (received, from individuals and from legal entities; deadline violations
by central bodies and by akimats; decisions overturned by a higher body and by a court;
explanatory answers as a share of received; justified complaints). How a national figure splits
between bodies is a scenario choice, drawn from a seeded generator: same seed, same rows.

Bodies are those of the time: 11 central bodies and the 16 akimats of 2016-2017 (14 oblasts,
Astana and Almaty), with South Kazakhstan oblast under its KATO of then, 51.

2020 and 2021 are scenario values through and through (docs/calibration.md section 4, "2020 and
2021"): they exist so that the scorecard has years where all three sources meet. Their akimats
are the 17 of the time, under the codes of the Open Dialogue blog registry, so that their 2020
and 2021 rows join their appeals and their open data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

CENTRAL = "центральный"
LOCAL = "местный"
INDIVIDUAL = "физическое лицо"
LEGAL_ENTITY = "юридическое лицо"
APPLICANT_TYPES = (INDIVIDUAL, LEGAL_ENTITY)
YEARS = (2016, 2017, 2020, 2021)
CALIBRATED_YEARS = (2016, 2017)  # docs/calibration.md section 4; the later years are scenario


@dataclass(frozen=True)
class NationalFigures:
    """One column of docs/calibration.md section 4."""

    year: int
    from_individuals: int
    from_legal_entities: int
    deadline_violations_central: int
    deadline_violations_akimats: int
    overturned_by_higher_body: int
    overturned_by_court: int
    explained_percent: int  # of received
    justified_complaints: int

    @property
    def received(self) -> int:
        return self.from_individuals + self.from_legal_entities

    @property
    def deadline_violations(self) -> int:
        return self.deadline_violations_central + self.deadline_violations_akimats

    @property
    def explained(self) -> int:
        return self.received * self.explained_percent // 100


NATIONAL: dict[int, NationalFigures] = {
    # 2016: the published deadline violations (6,300); the rest are scenario values
    2016: NationalFigures(2016, 1_380_000, 270_000, 4_100, 2_200, 150, 120, 45, 25_000),
    # 2017: every figure published
    2017: NationalFigures(2017, 1_400_000, 300_000, 1_500, 900, 110, 99, 46, 26_600),
    # 2020 and 2021: scenario values only (no published figure), continuing the trend of
    # 2016-2017: more received, fewer deadline violations
    2020: NationalFigures(2020, 1_560_000, 340_000, 1_150, 750, 95, 90, 47, 28_400),
    2021: NationalFigures(2021, 1_680_000, 370_000, 950, 650, 88, 84, 48, 29_900),
}


@dataclass(frozen=True)
class Body:
    code: str
    name_ru: str
    level: str  # CENTRAL | LOCAL
    region_kato: str  # "" for a central body
    weight: int  # relative size: how many complaints it tends to get


CENTRAL_BODIES = (
    Body("MVD", "Министерство внутренних дел", CENTRAL, "", 1500),
    Body("MTSZN", "Министерство труда и социальной защиты населения", CENTRAL, "", 1300),
    Body("MF", "Министерство финансов", CENTRAL, "", 1000),
    Body("MZ", "Министерство здравоохранения", CENTRAL, "", 900),
    Body("MON", "Министерство образования и науки", CENTRAL, "", 850),
    Body("MJ", "Министерство юстиции", CENTRAL, "", 600),
    Body("MSH", "Министерство сельского хозяйства", CENTRAL, "", 450),
    Body("MID", "Министерство по инвестициям и развитию", CENTRAL, "", 400),
    Body("MNE", "Министерство национальной экономики", CENTRAL, "", 300),
    Body("ME", "Министерство энергетики", CENTRAL, "", 200),
    Body("MCHS", "Министерство по чрезвычайным ситуациям", CENTRAL, "", 150),
)
# The akimats of 2016-2017, weighted roughly by population (thousands).
AKIMATS = (
    Body("AKM11", "Акимат Акмолинской области", LOCAL, "11", 740),
    Body("AKM15", "Акимат Актюбинской области", LOCAL, "15", 860),
    Body("AKM19", "Акимат Алматинской области", LOCAL, "19", 2000),
    Body("AKM23", "Акимат Атырауской области", LOCAL, "23", 620),
    Body("AKM27", "Акимат Западно-Казахстанской области", LOCAL, "27", 640),
    Body("AKM31", "Акимат Жамбылской области", LOCAL, "31", 1100),
    Body("AKM35", "Акимат Карагандинской области", LOCAL, "35", 1380),
    Body("AKM39", "Акимат Костанайской области", LOCAL, "39", 880),
    Body("AKM43", "Акимат Кызылординской области", LOCAL, "43", 790),
    Body("AKM47", "Акимат Мангистауской области", LOCAL, "47", 650),
    Body("AKM51", "Акимат Южно-Казахстанской области", LOCAL, "51", 2900),
    Body("AKM55", "Акимат Павлодарской области", LOCAL, "55", 760),
    Body("AKM59", "Акимат Северо-Казахстанской области", LOCAL, "59", 560),
    Body("AKM63", "Акимат Восточно-Казахстанской области", LOCAL, "63", 1390),
    Body("AKM71", "Акимат города Астаны", LOCAL, "71", 1030),
    Body("AKM75", "Акимат города Алматы", LOCAL, "75", 1800),
)
BODIES = CENTRAL_BODIES + AKIMATS
# The akimats of 2020-2021: the 17 of the time (14 oblasts, South Kazakhstan become Turkestan,
# 61, with Shymkent, 79, split off in June 2018; the capital named Nur-Sultan). Abai (10), Zhetisu
# (33) and Ulytau (62) were formed in June 2022 (dim_regions): no reports of theirs before.
_AKIMAT = {akimat.code: akimat for akimat in AKIMATS}
AKIMATS_2020 = (
    *(akimat for akimat in AKIMATS if akimat.code not in ("AKM51", "AKM71")),
    replace(_AKIMAT["AKM71"], name_ru="Акимат города Нур-Султан"),
    Body("AKM61", "Акимат Туркестанской области", LOCAL, "61", 2000),
    Body("AKM79", "Акимат города Шымкент", LOCAL, "79", 1100),
)

TOPICS = (
    "Социальное обеспечение",
    "Здравоохранение",
    "Земельные отношения",
    "Жилищно-коммунальное хозяйство",
    "Образование",
    "Налоги и финансы",
    "Правоохранительная деятельность",
    "Прочее",
)
#: Seasonality of the monthly reports, January to December.
MONTH_WEIGHTS = (8, 8, 9, 9, 8, 8, 7, 7, 9, 9, 9, 9)


@dataclass(frozen=True)
class FigureRow:
    """One data row of a figures report, in the report's own vocabulary."""

    period: str  # "2017" or "2017-03"
    gov_body_code: str
    gov_body_name_ru: str
    body_level: str  # CENTRAL | LOCAL
    region_kato: str  # "" for a central body
    applicant_type: str  # INDIVIDUAL | LEGAL_ENTITY
    received: int
    reviewed: int
    deadline_violations: int
    explained: int
    overturned_by_higher_body: int
    overturned_by_court: int
    justified_complaints: int


COUNTS = (
    "received",
    "reviewed",
    "deadline_violations",
    "explained",
    "overturned_by_higher_body",
    "overturned_by_court",
    "justified_complaints",
)


@dataclass(frozen=True)
class TopicRow:
    period: str
    gov_body_code: str
    topic: str
    justified_complaints: int


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` into integers that add up to it exactly
    (largest remainders; ties to the earlier weight)."""
    if total < 0 or not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("apportion needs a non-negative total and non-negative weights")
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def bodies_of(year: int) -> tuple[Body, ...]:
    """The bodies that report for ``year``: the central bodies and the akimats of the time."""
    return CENTRAL_BODIES + (AKIMATS if year < 2018 else AKIMATS_2020)


def yearly_rows(year: int, seed: int = 2017) -> list[FigureRow]:
    """Every body's figures of ``year``, one row per applicant type, summing to NATIONAL."""
    national = NATIONAL[year]
    rng = random.Random(f"complaints-{seed}-{year}")
    bodies = bodies_of(year)
    slots = [(body, applicant) for body in bodies for applicant in APPLICANT_TYPES]
    drift = {body.code: rng.uniform(0.85, 1.15) for body in bodies}  # year-to-year change
    legal_share = {body.code: rng.uniform(0.08, 0.35) for body in bodies}

    def size(body: Body, applicant: str) -> float:
        share = legal_share[body.code]
        return body.weight * drift[body.code] * (share if applicant == LEGAL_ENTITY else 1 - share)

    received = {}
    for applicant, total in (
        (INDIVIDUAL, national.from_individuals),
        (LEGAL_ENTITY, national.from_legal_entities),
    ):
        keys = [slot for slot in slots if slot[1] == applicant]
        received |= dict(zip(keys, apportion(total, [size(*k) for k in keys]), strict=True))

    violations = {}
    for level, total in (
        (CENTRAL, national.deadline_violations_central),
        (LOCAL, national.deadline_violations_akimats),
    ):
        keys = [slot for slot in slots if slot[0].level == level]
        weights = [received[k] * rng.uniform(0.3, 1.7) for k in keys]
        violations |= dict(zip(keys, apportion(total, weights), strict=True))

    def split(total: int, low: float, high: float) -> dict:
        weights = [received[k] * rng.uniform(low, high) for k in slots]
        return dict(zip(slots, apportion(total, weights), strict=True))

    explained = split(national.explained, 0.85, 1.15)
    higher = split(national.overturned_by_higher_body, 0.0, 2.0)
    court = split(national.overturned_by_court, 0.0, 2.0)
    justified = split(national.justified_complaints, 0.5, 1.5)

    rows = []
    for slot in slots:
        body, applicant = slot
        reviewed = received[slot] - received[slot] // 80  # scenario: ~1.25% carried over
        row = FigureRow(
            period=str(year),
            gov_body_code=body.code,
            gov_body_name_ru=body.name_ru,
            body_level=body.level,
            region_kato=body.region_kato,
            applicant_type=applicant,
            received=received[slot],
            reviewed=reviewed,
            deadline_violations=violations[slot],
            explained=explained[slot],
            overturned_by_higher_body=higher[slot],
            overturned_by_court=court[slot],
            justified_complaints=justified[slot],
        )
        if max(row.explained, row.justified_complaints, row.deadline_violations) > reviewed:
            raise AssertionError(f"inconsistent scenario row {row}")
        rows.append(row)
    return rows


def monthly_rows(row: FigureRow, months: int = 12) -> list[FigureRow]:
    """A yearly row split into the first ``months`` months; all twelve add up to the year."""
    splits = {name: apportion(getattr(row, name), MONTH_WEIGHTS) for name in COUNTS}
    return [
        replace(
            row,
            period=f"{row.period}-{month + 1:02d}",
            **{name: splits[name][month] for name in COUNTS},
        )
        for month in range(months)
    ]


def topic_rows(rows: Sequence[FigureRow], seed: int = 2017) -> list[TopicRow]:
    """Each body's justified complaints of a period broken down by topic (adds up exactly)."""
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.period, row.gov_body_code)
        totals[key] = totals.get(key, 0) + row.justified_complaints
    result = []
    for (period, code), total in totals.items():
        rng = random.Random(f"topics-{seed}-{period}-{code}")
        weights = [rng.choice((0, 1, 2, 4, 8)) for _ in TOPICS]
        if not any(weights):
            weights[-1] = 1
        for topic, count in zip(TOPICS, apportion(total, weights), strict=True):
            result.append(TopicRow(period, code, topic, count))
    return result


def national_totals(rows: Sequence[FigureRow]) -> dict[str, int]:
    """The national figures the rows add up to (for checks; monthly rows count once)."""
    totals = {name: sum(getattr(r, name) for r in rows) for name in COUNTS}
    totals["from_individuals"] = sum(r.received for r in rows if r.applicant_type == INDIVIDUAL)
    totals["from_legal_entities"] = sum(
        r.received for r in rows if r.applicant_type == LEGAL_ENTITY
    )
    totals["deadline_violations_central"] = sum(
        r.deadline_violations for r in rows if r.body_level == CENTRAL
    )
    totals["deadline_violations_akimats"] = sum(
        r.deadline_violations for r in rows if r.body_level == LOCAL
    )
    return totals
