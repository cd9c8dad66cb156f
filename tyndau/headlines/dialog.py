"""Reading the published marts for the command line."""

from __future__ import annotations

import psycopg

RANKING_QUERY = """
select {key}, {name}, appeals, answered, answer_rate, answer_rank,
       rated_answers, unsatisfied, unsatisfied_share, satisfaction_rank
from marts.{mart}
order by answer_rank
"""


def _ranking(warehouse_url: str, mart: str, key: str, name: str) -> list[tuple]:
    with psycopg.connect(warehouse_url) as conn:
        return conn.execute(RANKING_QUERY.format(key=key, name=name, mart=mart)).fetchall()


def akimat_ranking(warehouse_url: str) -> list[tuple]:
    return _ranking(warehouse_url, "akimat_ranking", "region_kato", "akimat_name_ru")


def ministry_ranking(warehouse_url: str) -> list[tuple]:
    return _ranking(warehouse_url, "ministry_ranking", "gov_body_code", "ministry_name_ru")


def _pct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.2f}%"


def _count(value) -> str:
    # rated and unsatisfied are null when no rating was seen on the portal
    return "—" if value is None else str(value)


def format_ranking(
    rows: list[tuple], key: str = "KATO", body: str = "akimat", bodies: str = "akimats"
) -> str:
    """The rows of a ranking mart (akimats by KATO, ministries by body code) as a table, with
    the total of all its bodies."""
    width = max([len(key) + 1, *(len(row[0]) + 1 for row in rows)])
    header = (
        f"{key:<{width}}{body:<40}{'appeals':>8}{'answered':>9}{'rate':>9}{'rank':>6}"
        f"{'rated':>7}{'unsat.':>7}{'share':>9}{'sat.rank':>9}"
    )
    lines = [header, "-" * len(header)]
    for code, name, appeals, answered, rate, rank, rated, unsat, share, sat_rank in rows:
        lines.append(
            f"{code:<{width}}{name[:39]:<40}{appeals:>8}{answered:>9}{_pct(rate):>9}{rank:>6}"
            f"{_count(rated):>7}{_count(unsat):>7}{_pct(share):>9}{_count(sat_rank):>9}"
        )
    total_appeals = sum(r[2] for r in rows)
    total_answered = sum(r[3] for r in rows)
    if total_appeals:
        lines.append("-" * len(header))
        lines.append(
            f"{'':<{width}}{'all ' + bodies:<40}{total_appeals:>8}{total_answered:>9}"
            f"{_pct(total_answered / total_appeals):>9}"
        )
    return "\n".join(lines)
