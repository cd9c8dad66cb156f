"""`tyndau run` against another portal, another blog registry and another warehouse.

The portal is the sandbox with another seed and a tenth of the appeals, in a shape no other
test uses (the evidenced card in a wrapper of another class, no footer, the last page served
again past the end); the registry picks four akimats (under other names) and a ministry; the
warehouse is a database of its own. The ranking
must follow the rules of docs/calibration.md "Definitions", recomputed here from what the portal
serves, independently of dbt.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date
from fractions import Fraction

import psycopg
import pytest

from sandbox.complaints import write_reports, yearly_rows
from sandbox.dialog.markup import EVIDENCED, markup_named
from sandbox.dialog.scenario import build_scenario, write_registry
from sandbox.dialog.server import DialogSandbox, Knobs
from sandbox.opendata import WATCH_FILE as OPENDATA_WATCH_FILE
from sandbox.opendata.scenario import build_scenario as opendata_scenario
from sandbox.opendata.server import OpendataSandbox
from tyndau.settings import LIVE_BLOGS_FILE
from tyndau.warehouse.url import with_database

PICKED = {  # blog_id → (code, name in our registry, region)
    100075: ("ALA", "Акимат мегаполиса Алматы", "75"),
    100063: ("VKO", "Акимат ВКО", "63"),
    100033: ("ZHT", "Акимат Жетісу", "33"),
    100010: ("ABA", "Акимат Абай", "10"),
}
MINISTRY = 32785


def expected_ranking(scenario) -> list[tuple]:
    """(kato, appeals, answered, answer_rank, rated, unsatisfied, satisfaction_rank)."""
    rows = []
    for blog_id, (_, _, kato) in PICKED.items():
        appeals = scenario.appeals_by_blog[blog_id]
        answered = sum(a.status == "answered" for a in appeals)
        rated = sum(a.rating is not None for a in appeals)
        unsatisfied = sum(a.rating == "negative" for a in appeals)
        rows.append([kato, len(appeals), answered, rated, unsatisfied])
    by_answers = sorted(rows, key=lambda r: (-Fraction(r[2], r[1]), -r[2], r[0]))
    answer_rank = {r[0]: i for i, r in enumerate(by_answers, 1)}
    rated_rows = [r for r in rows if r[3]]
    by_satisfaction = sorted(rated_rows, key=lambda r: (Fraction(r[4], r[3]), -r[3], r[0]))
    satisfaction_rank = {r[0]: i for i, r in enumerate(by_satisfaction, 1)}
    return sorted(
        (k, n, a, answer_rank[k], rt, u, satisfaction_rank.get(k)) for k, n, a, rt, u in rows
    )


@pytest.fixture(scope="module")
def other_portal():
    shape = replace(EVIDENCED, wrapper_class="panel appeal-entry", past_end="last", footer=False)
    with DialogSandbox(build_scenario(seed=7, scale=0.1), knobs=Knobs(markup=shape)) as server:
        yield server


def test_tyndau_run_elsewhere_ranks_by_the_same_rules(pg_server, other_portal, tmp_path):
    registry = tmp_path / "blogs.csv"
    with registry.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["blog_id", "gov_body_code", "gov_body_name_ru", "body_type", "region_kato"]
        )
        for blog_id, (code, name, kato) in PICKED.items():
            writer.writerow([blog_id, code, name, "akimat", kato])
        writer.writerow([MINISTRY, "MZ", "Министерство здравоохранения", "ministry", ""])
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists elsewhere with (force)")
        conn.execute("create database elsewhere")
    warehouse = with_database(pg_server, "elsewhere")
    env = os.environ | {
        "WAREHOUSE_URL": warehouse,
        "DIALOG_BASE_URL": other_portal.base_url,
        "DIALOG_BLOGS_FILE": str(registry),
        "TYNDAU_STATE_DIR": str(tmp_path / "state"),
    }
    tyndau = [sys.executable, "-m", "tyndau.cli", "run"]
    done = subprocess.run(tyndau, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with psycopg.connect(warehouse) as conn:
        got = conn.execute(
            "select region_kato, appeals, answered, answer_rank, rated_answers, unsatisfied,"
            " satisfaction_rank from marts.akimat_ranking order by region_kato"
        ).fetchall()
        names = dict(conn.execute("select region_kato, akimat_name_ru from marts.akimat_ranking"))
        ministry_rows = conn.execute(
            "select count(*) from marts.fct_appeals where blog_id = %s", [MINISTRY]
        ).fetchone()[0]
    assert got == expected_ranking(other_portal.scenario)
    assert names == {kato: name for _, name, kato in PICKED.values()}
    assert ministry_rows == len(other_portal.scenario.appeals_by_blog[MINISTRY])


def test_tyndau_run_fails_loudly_when_the_portal_is_down(pg_server, tmp_path):
    """The only source configured fails on an empty warehouse: nothing to build from, so the
    build is not run, and the run says both."""
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists portal_down with (force)")
        conn.execute("create database portal_down")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENDATA_", "COMPLAINTS_"))}
    env |= {
        "WAREHOUSE_URL": with_database(pg_server, "portal_down"),
        "DIALOG_BASE_URL": "http://127.0.0.1:9",  # discard port: nothing listens
        "DIALOG_BLOGS_FILE": str(LIVE_BLOGS_FILE),
        "TYNDAU_STATE_DIR": str(tmp_path / "state"),
    }
    tyndau = [sys.executable, "-m", "tyndau.cli", "run"]
    done = subprocess.run(tyndau, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("tyndau: dialog_ingest.land failed: ") and "127.0.0.1:9" in error
    assert "warehouse_build not run: every source failed, and raw holds nothing" in error
    assert "warehouse_build: not run" in done.stdout


def test_tyndau_run_against_a_redesigned_portal_says_which_page_and_what_it_looked_for(
    pg_server, tmp_path
):
    """Cards in markup the parser does not know: not "end of listing" with nothing landed and
    a green run, but a failure naming the page and what was looked for."""
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists redesigned with (force)")
        conn.execute("create database redesigned")
    scenario = build_scenario(seed=7, scale=0.1)
    knobs = Knobs(markup=markup_named("redesigned info list"))
    with DialogSandbox(scenario, knobs=knobs) as portal:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OPENDATA_", "COMPLAINTS_"))
        }
        env |= {
            "WAREHOUSE_URL": with_database(pg_server, "redesigned"),
            "DIALOG_BASE_URL": portal.base_url,
            "DIALOG_BLOGS_FILE": str(write_registry(tmp_path / "blogs.csv", (100010, MINISTRY))),
            "TYNDAU_STATE_DIR": str(tmp_path / "state"),
        }
        tyndau = [sys.executable, "-m", "tyndau.cli", "run"]
        done = subprocess.run(tyndau, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("tyndau: dialog_ingest.land failed: "), error
    page_1 = f"{portal.base_url}/blogs/100010/questions?page=1"
    assert f"{page_1}: no appeal card found on page 1" in error, error
    assert "looked for an element holding a ul.blog-info" in done.stdout + done.stderr


def test_tyndau_run_loads_another_folder_of_reports(pg_server, tmp_path):
    """COMPLAINTS_INBOX pointed at other reports in the same layout: only they are run, and
    each body's figures come out as the files give them."""
    inbox = tmp_path / "reports"
    write_reports(inbox, seed=99)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists reports_only with (force)")
        conn.execute("create database reports_only")
    warehouse = with_database(pg_server, "reports_only")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALOG_", "OPENDATA_"))}
    env |= {
        "WAREHOUSE_URL": warehouse,
        "COMPLAINTS_INBOX": str(inbox),
        "TYNDAU_STATE_DIR": str(tmp_path / "state"),
    }
    tyndau = [sys.executable, "-m", "tyndau.cli", "run"]
    done = subprocess.run(tyndau, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "dialog_ingest" not in done.stdout and "complaints_ingest: success" in done.stdout

    expected: dict[str, int] = {}
    for row in yearly_rows(2016, seed=99):
        expected[row.gov_body_code] = expected.get(row.gov_body_code, 0) + row.received
    with psycopg.connect(warehouse) as conn:
        got = dict(
            conn.execute(
                "select gov_body_code, sum(received)::int from marts.complaints_scorecard"
                " where year = 2016 group by 1"
            ).fetchall()
        )
    assert got == expected
    assert not list(inbox.glob("*.xlsx")) and not list(inbox.glob("*.csv"))  # all processed


def test_tyndau_run_lands_another_open_data_server_and_reconciles(pg_server, tmp_path):
    """Another catalogue (another seed) behind another key: every body's dataset count comes
    out as the server lists it, every watched dataset's records land in full, and the key
    shows up in none of the output or logs."""
    scenario = opendata_scenario(seed=5)
    key = "another-server-key-5f3a9c"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists opendata_only with (force)")
        conn.execute("create database opendata_only")
    warehouse = with_database(pg_server, "opendata_only")
    state = tmp_path / "state"
    with OpendataSandbox(scenario, api_key=key) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALOG_", "COMPLAINTS_"))}
        env |= {
            "WAREHOUSE_URL": warehouse,
            "OPENDATA_BASE_URL": server.base_url,
            "OPENDATA_API_KEY": key,
            "OPENDATA_WATCH_FILE": str(OPENDATA_WATCH_FILE),
            "TYNDAU_STATE_DIR": str(state),
        }
        tyndau = [sys.executable, "-m", "tyndau.cli", "run"]
        done = subprocess.run(tyndau, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    expected = Counter(d.owner for d in scenario.active(date(2017, 12, 31)))
    with psycopg.connect(warehouse) as conn:
        got = dict(
            conn.execute(
                "select gov_body_name_ru, datasets from marts.opendata_freshness"
                " where snapshot_date = '2017-12-31' and datasets > 0"
            ).fetchall()
        )
        records = dict(
            conn.execute(
                "select api_uri || '/' || version, count(distinct record_key)"
                " from raw.opendata_records group by 1"
            ).fetchall()
        )
    assert got == dict(expected)
    watched = {f"{uri}/{version}": len(rows) for (uri, version), rows in scenario.records.items()}
    assert records and all(records[k] == watched[k] for k in records)
    assert max(records.values()) > 10_000  # past the depth where naive paging loses records
    logs = "".join(p.read_text(errors="replace") for p in state.rglob("*.log"))
    assert key not in done.stdout + done.stderr + logs
