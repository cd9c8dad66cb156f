"""A portal that fails, throttles, stalls, truncates and drifts: nothing lost, nothing doubled.

One crawl against the sandbox with its knobs turned up (more than 10% faulty responses, new
appeals arriving mid-crawl), followed by the next scheduled (incremental) run against the calm
portal, must give exactly the marts of a clean full crawl of the same portal.
"""

from __future__ import annotations

import csv

import psycopg
import pytest

from ingestion.common.http import HttpConfig
from ingestion.dialog import land_dialog
from sandbox.dialog.scenario import REGISTRY_FILE, build_scenario
from sandbox.dialog.server import DialogSandbox, Fault, Knobs
from tyndau.warehouse.url import with_database

BLOGS = {100071, 100033, 100010, 32792}  # a big akimat, two small ones, a ministry
HOSTILE = Knobs(
    error_rate=0.05,
    rate_limit_rate=0.02,
    retry_after=1,
    slow_rate=0.02,
    slow_seconds=1.5,
    truncate_rate=0.03,
    drift_every=15,
    drift_blog_ids=tuple(sorted(BLOGS)),
    fault_seed=11,
)
IMPATIENT = HttpConfig(read_timeout=0.5, connect_timeout=2, max_total_seconds=60)


def _database(pg_server: str, name: str) -> str:
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return with_database(pg_server, name)


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "blogs.csv"
    with REGISTRY_FILE.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(r for r in reader if int(r["blog_id"]) in BLOGS)
    return path


def test_faults_and_drift_change_nothing(pg_server, registry, dbt_build, marts_fingerprint):
    scenario = build_scenario()
    before = sum(len(scenario.appeals_by_blog[b]) for b in BLOGS)
    hostile_db, clean_db = _database(pg_server, "hostile"), _database(pg_server, "clean")

    with DialogSandbox(scenario, knobs=HOSTILE) as hostile:
        land_dialog(hostile_db, hostile.base_url, registry, http_config=IMPATIENT)
        listing = [r for r in hostile.requests if "/questions" in r.path]
        faulty = [r for r in listing if r.fault is not Fault.NONE]
    after = sum(len(scenario.appeals_by_blog[b]) for b in BLOGS)
    assert len(faulty) >= 0.10 * len(listing), (len(faulty), len(listing))
    assert after > before, "drift added no appeal"

    with DialogSandbox(scenario) as calm:
        land_dialog(hostile_db, calm.base_url, registry)  # the next scheduled run
        land_dialog(clean_db, calm.base_url, registry, full_refresh=True)

    for url in (hostile_db, clean_db):
        with psycopg.connect(url) as conn:
            landed = conn.execute("select count(distinct number) from raw.dialog_appeals")
            assert landed.fetchone()[0] == after
        dbt_build(url)
    assert marts_fingerprint(hostile_db, "marts_candidate") == marts_fingerprint(
        clean_db, "marts_candidate"
    )
    with psycopg.connect(hostile_db) as conn:
        appeals = conn.execute("select count(*) from marts_candidate.fct_appeals").fetchone()[0]
    assert appeals == after
