"""Figure 3, serving: p50 and p95 latency of the ranking query and of a typical filtered query
on ``marts.fct_appeals``, on the marts the transform figure built and published.

Each query runs a few times to warm the cache, then ``runs`` times on one connection; a latency
is the client's wall time from sending the query to holding every row.
"""

from __future__ import annotations

import statistics
import time

import psycopg

RANKING = "select * from marts.akimat_ranking order by answer_rank"
# An analyst's question: one region, one category, one year, month by month.
FILTERED = """
select date_trunc('month', submitted_on) as month, count(*) as appeals,
    count(*) filter (where status = 'answered') as answered,
    avg(days_to_answer) as mean_days_to_answer
from marts.fct_appeals
where region_kato = %(region)s and category = %(category)s
    and submitted_on >= %(since)s and submitted_on < %(until)s
group by 1 order by 1
"""
WARM_UP = 3


def run(warehouse_url: str, runs: int) -> dict:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        rows = conn.execute("select count(*) from marts.fct_appeals").fetchone()[0]
        params = _typical_filter(conn)
        if not conn.execute(FILTERED, params).fetchall():
            raise RuntimeError(f"the typical filtered query matches no appeal: {params}")
        return {
            "fct_appeals_rows": rows,
            "runs": runs,
            "ranking": {"sql": RANKING, **_latencies(conn, RANKING, None, runs)},
            "filtered": {
                "sql": " ".join(FILTERED.split()),
                "params": params,
                **_latencies(conn, FILTERED, params, runs),
                # how Postgres answers it (which index), on the warm cache the timings saw
                "plan": _plan(conn, FILTERED, params),
            },
        }


def _typical_filter(conn: psycopg.Connection) -> dict:
    """The busiest region and its most common category, over the latest full year."""
    (region,) = conn.execute(
        "select region_kato from marts.fct_appeals where region_kato is not null "
        "group by 1 order by count(*) desc limit 1"
    ).fetchone()
    category, last_day = conn.execute(
        "select category, max(max(submitted_on)) over () from marts.fct_appeals "
        "where region_kato = %s group by 1 order by count(*) desc limit 1",
        (region,),
    ).fetchone()
    until = last_day.replace(month=1, day=1)
    since = until.replace(year=until.year - 1)
    return {
        "region": region,
        "category": category,
        "since": since.isoformat(),
        "until": until.isoformat(),
    }


def _plan(conn: psycopg.Connection, query: str, params: dict) -> list[str]:
    rows = conn.execute("explain (analyze, buffers, costs off) " + query, params).fetchall()
    return [line for (line,) in rows]


def _latencies(conn: psycopg.Connection, query: str, params: dict | None, runs: int) -> dict:
    for _ in range(WARM_UP):
        conn.execute(query, params).fetchall()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = conn.execute(query, params).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {
        "rows_returned": len(result),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(max(timings), 2),
    }
