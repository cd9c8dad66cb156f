"""The complaint statistics in a few lines, for the demo: read from the published marts."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

NATIONAL_QUERY = """
select year, received, from_individuals, from_legal_entities, deadline_violations,
       deadline_violations_central, deadline_violations_akimats, explained_share,
       overturned_by_higher_body, overturned_by_court, justified_complaints
from marts.complaints_national
order by year
"""


def headline(warehouse_url: str, year: int | None = None) -> str:
    """The headline of ``year`` (default: the latest year published) in three lines, e.g.

    2017: 1.7 million complaints and applications (1.4 million from individuals, 300 thousand
    from legal entities); 46% were explanatory, 26,600 complaints justified.
    Deadline violations: 2,400 (1,500 by central bodies, 900 by akimats), down from 6,300 in 2016.
    Decisions overturned: 110 by a higher body, 99 by a court.
    """
    with psycopg.connect(warehouse_url, row_factory=dict_row) as conn:
        by_year = {row["year"]: row for row in conn.execute(NATIONAL_QUERY).fetchall()}
    if not by_year:
        return "Complaint statistics: nothing published yet (no report landed)."
    year = max(by_year) if year is None else year
    if year not in by_year:
        published = ", ".join(str(y) for y in sorted(by_year))
        return f"Complaint statistics: no figures for {year} (published: {published})."
    n = by_year[year]
    share = n["explained_share"]
    explained = "—" if share is None else f"{float(share) * 100:.0f}%"
    return "\n".join(
        [
            f"{year}: {_amount(n['received'])} complaints and applications "
            f"({_amount(n['from_individuals'])} from individuals, "
            f"{_amount(n['from_legal_entities'])} from legal entities); {explained} were "
            f"explanatory, {n['justified_complaints']:,} complaints justified.",
            f"Deadline violations: {n['deadline_violations']:,} "
            f"({n['deadline_violations_central']:,} by central bodies, "
            f"{n['deadline_violations_akimats']:,} by akimats)"
            + _change(n["deadline_violations"], by_year.get(year - 1), year - 1)
            + ".",
            f"Decisions overturned: {n['overturned_by_higher_body']:,} by a higher body, "
            f"{n['overturned_by_court']:,} by a court.",
        ]
    )


def _change(violations: int, previous: dict | None, previous_year: int) -> str:
    if previous is None:
        return ""
    before = previous["deadline_violations"]
    if violations < before:
        return f", down from {before:,} in {previous_year}"
    if violations > before:
        return f", up from {before:,} in {previous_year}"
    return f", as in {previous_year}"


def _amount(value: int) -> str:
    """1700000 → "1.7 million", 300000 → "300 thousand", 26600 → "26,600"."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.3g} million"
    if value >= 100_000 and value % 1000 == 0:
        return f"{value // 1000} thousand"
    return f"{value:,}"
