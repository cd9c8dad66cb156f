"""Scheduled runs against the sandbox portal, landing in a real Postgres.

- a daily run after a full one fetches close to the minimum the day's changes require, and
  lands every change;
- pages that stay broken are set aside, reported, and picked up by the next run;
- a run killed outright (SIGKILL) while fetching or while loading, then started again, lands
  exactly what an uninterrupted run lands.

The minimum is computed from the sandbox's own state before and after the day, not from
anything the crawler reports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from ingestion.common.http import HttpConfig
from ingestion.dialog import ensure_raw_schema, land_dialog
from sandbox.dialog.evolve import FIXED_REQUESTS, daily_minimum, listing_states
from sandbox.dialog.markup import EVIDENCED
from sandbox.dialog.render import served_records
from sandbox.dialog.scenario import build_scenario, write_registry
from sandbox.dialog.server import DialogSandbox, Fault, Knobs

ROOT = Path(__file__).resolve().parents[2]
BIG, LARGE = 100075, 100071  # Almaty (7,363 appeals, ~1,800 pending), Astana (2,528)
SMALL = (100033, 100010, 32792)  # 351, 95 and 75 appeals

# -- helpers -----------------------------------------------------------------------------------


def latest_payloads(url: str) -> dict[str, dict]:
    """raw's latest observation of every appeal."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select distinct on (number) number, payload from raw.dialog_appeals "
            "order by number, observed_at desc"
        ).fetchall()
    return dict(rows)


def ledger_stats(url: str, load_id) -> tuple[str, dict]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select status, stats from raw.load_ledger where load_id = %s", (load_id,)
        ).fetchone()


# -- a day later: only the pages the day changed -----------------------------------------------


def test_a_daily_run_fetches_close_to_the_minimum_and_lands_every_change(fresh_database, tmp_path):
    blogs = (BIG, LARGE, *SMALL)
    registry = write_registry(tmp_path / "blogs.csv", blogs)
    scenario = build_scenario()
    with DialogSandbox(scenario) as portal:
        first = land_dialog(fresh_database, portal.base_url, registry)
        assert first.failed_pages == []
        assert set(first.stop_reasons.values()) == {"end of listing"}  # nothing known: all

        before = listing_states(scenario, blogs)
        portal.advance(1)
        after = listing_states(scenario, blogs)
        portal.clear_log()
        daily = land_dialog(fresh_database, portal.base_url, registry)
        requests = portal.requests

    # The minimum, from the portal's before and after (not from anything the crawler reports).
    least = daily_minimum(before, after)
    minimum, deepest, changed = least.requests, least.deepest, least.changed
    made = len(requests)
    ratio = made / minimum
    print(
        f"\ndaily run: {made} requests for a minimum of {minimum} (ratio {ratio:.3f}); "
        f"{len(changed)} new or changed appeals on {len(blogs)} blogs; full run before it: "
        f"{first.requests_made} requests; deepest changed page per blog: {deepest}; "
        f"stops: {daily.stop_reasons}"
    )

    # Every new or changed appeal is landed as the portal shows it now.
    portal_now = served_records(scenario, blogs, EVIDENCED)
    landed = latest_payloads(fresh_database)
    assert {n: landed.get(n) for n in changed} == {n: portal_now[n] for n in changed}
    # The day changed things where only a lookback finds them: ratings on answers weeks old.
    today = scenario.today
    late_ratings = [
        n
        for n in changed
        if portal_now[n]["rating"] and (today - _date(portal_now[n]["submitted_on"])).days > 30
    ]
    assert late_ratings, "the day rated no old answer: the lookback is not exercised"

    # Close to the minimum, every request counted (retries included) and reported.
    assert daily.requests_made == made
    assert made <= minimum * 1.2 + len(blogs), (made, minimum)
    assert all(r.fault is Fault.NONE for r in requests)
    for blog_id in blogs:
        fetched = [r for r in requests if f"/blogs/{blog_id}/questions" in r.path]
        assert len(fetched) >= deepest[blog_id]
        assert daily.stop_reasons[blog_id] == f"settled page {len(fetched)}"

    # The ledger row says what was fetched and why each walk stopped.
    status, stats = ledger_stats(fresh_database, daily.load_id)
    assert status == "succeeded" and stats["requests_made"] == made
    assert stats["lookback_days"] == 90 and not stats["full_refresh"]
    per_blog = stats["per_blog"]
    assert set(per_blog) == {str(b) for b in blogs}
    assert sum(d["requests"] for d in per_blog.values()) == made - FIXED_REQUESTS
    assert all(d["stop"].startswith("settled page ") for d in per_blog.values())
    assert all(d["reach_after"] is None and d["failed_pages"] == [] for d in per_blog.values())


def _date(iso: str):
    import datetime as dt

    return dt.date.fromisoformat(iso)


# -- broken pages are picked up by the next run ------------------------------------------------


FAULT_BLOGS = (100033, 100062, 100010, 32792)  # 351, 352, 95, 75 appeals


def test_pages_that_stayed_broken_are_picked_up_by_the_next_run(fresh_database, tmp_path):
    registry = write_registry(tmp_path / "blogs.csv", FAULT_BLOGS)
    scenario = build_scenario()
    no_retries = HttpConfig(max_attempts=1)
    with DialogSandbox(scenario, knobs=Knobs(error_rate=0.25, fault_seed=5)) as hostile:
        broken = land_dialog(fresh_database, hostile.base_url, registry, http_config=no_retries)
        faults = [r for r in hostile.requests if r.fault is Fault.ERROR]
    status, stats = ledger_stats(fresh_database, broken.load_id)
    assert status == "succeeded" and broken.pages_fetched > 0
    assert len(broken.failed_pages) == len(faults) > 0
    assert stats["failed_pages_total"] == len(faults)
    for url, reason in broken.failed_pages:
        assert "HTTP 50" in reason and "/questions?page=" in url
    owed = {int(b): d["reach_after"] for b, d in stats["per_blog"].items() if d["failed_pages"]}
    assert owed and all(reach is not None for reach in owed.values())
    assert any(reach != "end" for reach in owed.values()), "no gap mid-listing: too easy"
    assert len(latest_payloads(fresh_database)) < len(
        served_records(scenario, FAULT_BLOGS, EVIDENCED)
    )

    with DialogSandbox(scenario) as calm:  # the next scheduled run: incremental
        repaired = land_dialog(fresh_database, calm.base_url, registry)
    assert repaired.failed_pages == []
    assert latest_payloads(fresh_database) == served_records(scenario, FAULT_BLOGS, EVIDENCED)
    _, stats = ledger_stats(fresh_database, repaired.load_id)
    for blog_id, detail in stats["per_blog"].items():
        assert detail["reach_before"] == owed.get(int(blog_id)), blog_id
        assert detail["reach_after"] is None  # nothing owed any more
    # Blogs that owed nothing stopped early; the ledger holds both runs, both succeeded.
    clean = [b for b in FAULT_BLOGS if b not in owed]
    assert all(repaired.stop_reasons[b].startswith("settled page") for b in clean)


# -- SIGKILL while fetching or while loading ---------------------------------------------------


# 10, 254 and 8 pages, in the registry's order. The kill comes when the large blog's walk has
# landed more than its 90-day window: a re-run that took those rows for a finished walk would
# stop among them.
CRASH_BLOGS = (100010, LARGE, 32792)

CHILD = """
import sys
from pathlib import Path
from ingestion.dialog import land_dialog
import ingestion.dialog.load as load

warehouse, base_url, registry, moment = sys.argv[1:5]
if moment == "load":
    original, calls = load.insert_new_rows, []

    def stalled(conn, table, columns, rows):
        added = original(conn, table, columns, rows)
        if table == "raw.dialog_appeals":
            calls.append(table)
            if len(calls) == 20:  # inside a batch's transaction, rows written, no commit
                print("LOADING", flush=True)
                import time
                time.sleep(60)
        return added

    load.insert_new_rows = stalled
land_dialog(warehouse, base_url, Path(registry), batch_pages=5, min_delay=0.01)
print("DONE", flush=True)
"""


def count_appeals(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from raw.dialog_appeals").fetchone()[0]


@pytest.mark.parametrize("moment", ["fetch", "load"])
def test_a_run_killed_outright_then_run_again_lands_what_an_uninterrupted_run_lands(
    fresh_database, tmp_path, moment
):
    registry = write_registry(tmp_path / "blogs.csv", CRASH_BLOGS)
    scenario = build_scenario()
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_raw_schema(conn)  # so that the rows can be counted from the start
    with DialogSandbox(scenario) as portal:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, fresh_database, portal.base_url, str(registry), moment],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            if moment == "load":
                assert child.stdout.readline().strip() == "LOADING"
            else:  # the large blog's walk past its 90-day window (~53 pages), still going
                deadline = time.monotonic() + 60
                while count_appeals(fresh_database) < 1200 and time.monotonic() < deadline:
                    assert child.poll() is None, "the run ended before it could be killed"
                    time.sleep(0.02)
            landed_before_kill = count_appeals(fresh_database)
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == -signal.SIGKILL
        time.sleep(0.2)  # the server notices the lost client and rolls its transaction back
        landed_at_kill = count_appeals(fresh_database)
        assert 0 < landed_before_kill <= landed_at_kill
        if moment == "load":  # the batch in flight was rolled back: nothing of it remains
            assert landed_at_kill == landed_before_kill
        assert landed_at_kill < len(served_records(scenario, CRASH_BLOGS, EVIDENCED))

        again = land_dialog(fresh_database, portal.base_url, registry)  # incremental

    assert again.failed_pages == []
    assert latest_payloads(fresh_database) == served_records(scenario, CRASH_BLOGS, EVIDENCED)
    with psycopg.connect(fresh_database) as conn:
        ledger = conn.execute(
            "select status, count(*) from raw.load_ledger group by status order by status"
        ).fetchall()
        doubled = conn.execute(
            "select count(*) - count(distinct number) from raw.dialog_appeals"
        ).fetchone()[0]
    assert ledger == [("running", 1), ("succeeded", 1)]  # the killed run's row, left as is
    with psycopg.connect(fresh_database) as conn:
        (killed,) = conn.execute(
            "select stats from raw.load_ledger where status = 'running'"
        ).fetchone()
    assert killed["per_blog"]["100010"]["stop"] == "end of listing"  # how far it got
    assert set(killed["per_blog"]) == {"100010"}
    assert doubled == 0  # nothing changed on the portal, so one observation per appeal
    # The killed run had not finished the big blog: its partial rows are not taken for a
    # complete baseline, so the walk went to the end instead of stopping at known pages.
    assert again.stop_reasons[LARGE] == "end of listing"
    _, stats = ledger_stats(fresh_database, again.load_id)
    large = stats["per_blog"][str(LARGE)]
    assert large["reach_before"] == "end"
    # …but from where the killed run had got to, not from page 1 (a first crawl of the
    # archive takes hours): page 1 for what is new, then the last page the killed run landed.
    assert large["resumed_at_page"] > 2, large
    assert large["pages_fetched"] <= 254 - large["resumed_at_page"] + 3
