"""Reading the published marts for the command line."""

from __future__ import annotations

import psycopg

RANKING_QUERY = """
select region_kato, akimat_name_ru, appeals, answered, answer_rate, answer_rank,
       rated_answers, unsatisfied, unsatisfied_share, satisfaction_rank
from marts.akimat_ranking
order by answer_rank
"""


def akimat_ranking(warehouse_url: str) -> list[tuple]:
    with psycopg.connect(warehouse_url) as conn:
        return conn.execute(RANKING_QUERY).fetchall()


def _pct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.2f}%"


def _count(value) -> str:
    # rated and unsatisfied are null when no rating was seen on the portal
    return "—" if value is None else str(value)


def format_ranking(rows: list[tuple]) -> str:
    header = (
        f"{'KATO':<5}{'akimat':<40}{'appeals':>8}{'answered':>9}{'rate':>9}{'rank':>6}"
        f"{'rated':>7}{'unsat.':>7}{'share':>9}{'sat.rank':>9}"
    )
    lines = [header, "-" * len(header)]
    for kato, name, appeals, answered, rate, rank, rated, unsat, share, sat_rank in rows:
        lines.append(
            f"{kato:<5}{name[:39]:<40}{appeals:>8}{answered:>9}{_pct(rate):>9}{rank:>6}"
            f"{_count(rated):>7}{_count(unsat):>7}{_pct(share):>9}{_count(sat_rank):>9}"
        )
    total_appeals = sum(r[2] for r in rows)
    total_answered = sum(r[3] for r in rows)
    if total_appeals:
        lines.append("-" * len(header))
        lines.append(
            f"{'':<5}{'all akimats':<40}{total_appeals:>8}{total_answered:>9}"
            f"{_pct(total_answered / total_appeals):>9}"
        )
    return "\n".join(lines)
