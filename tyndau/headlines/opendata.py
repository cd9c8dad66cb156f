"""The open-data headline for the demo: catalogue size, growth and freshness, from the marts."""

from __future__ import annotations

from datetime import date

import psycopg

GROWTH_QUERY = """
select as_of, datasets, datasets_year_before, growth_share
from marts.opendata_catalog_growth
where %(as_of)s::date is null or as_of = %(as_of)s::date
order by as_of desc
limit 1
"""
FRESHNESS_QUERY = """
select
    sum(datasets), sum(up_to_date), sum(archived), count(*) filter (where datasets > 0),
    sum(unknown_periodicity)
from marts.opendata_freshness
where snapshot_date = %s
"""
EXTREMES_QUERY = """
select gov_body_name_ru, datasets, up_to_date_share
from marts.opendata_freshness
where snapshot_date = %s and up_to_date_rank in (1, %s)
order by up_to_date_rank
"""


def headline(warehouse_url: str, as_of: date | None = None) -> str:
    """2-4 lines on the published open-data marts (schema `marts`) at the year end ``as_of``
    (default: the latest), e.g.

    Open data: 2,100 datasets at 2017-12-31 (1,900 a year before, +10.5%); 70.0% up to date
    """
    with psycopg.connect(warehouse_url) as conn:
        growth = conn.execute(GROWTH_QUERY, {"as_of": as_of}).fetchone()
        if growth is None:
            if as_of is not None:
                return f"Open data: no figures at {as_of:%Y-%m-%d} (not a year end covered)."
            return "Open data: no catalogue landed yet."
        as_of, datasets, year_before, growth_share = growth
        total, up_to_date, archived, bodies, unknown = conn.execute(
            FRESHNESS_QUERY, [as_of]
        ).fetchone()
        extremes = conn.execute(EXTREMES_QUERY, [as_of, bodies]).fetchall()
    change = f", {float(growth_share) * 100:+.1f}%" if growth_share is not None else ""
    lines = [
        f"Open data: {datasets:,} datasets at {as_of:%Y-%m-%d} "
        f"({year_before:,} a year before{change}); "
        + (f"{up_to_date / total * 100:.1f}% up to date" if total else "none to judge")
    ]
    if total:
        unjudged = f" and {unknown:,} of an unknown periodicity" if unknown else ""
        lines.append(
            f"  {bodies} owning bodies; {archived:,} archived datasets{unjudged} left out of "
            "the shares"
        )
    if len(extremes) == 2:
        (best, best_n, best_share), (worst, worst_n, worst_share) = extremes
        lines.append(
            f"  most up to date: {best} ({float(best_share) * 100:.1f}% of {best_n}); "
            f"least: {worst} ({float(worst_share) * 100:.1f}% of {worst_n})"
        )
    return "\n".join(lines)
