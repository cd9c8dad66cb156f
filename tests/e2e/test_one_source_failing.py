"""One source failing does not hold the others back (issue 13, item 7).

`tyndau run` against three sources at once, in a warehouse of its own: the Open Dialogue portal
does not answer (nothing listens on its port), the open-data server is another sandbox, and the
report folder holds good files beside one that is rejected. The open-data and complaint marts
must be published with what landed, the rejected file must land nothing, and the run must exit
non-zero naming both failures and why. In a deployed Airflow the same run announces the Assets
of the two sources that landed, and not the portal's: those events trigger `warehouse_build`,
whose schedule is any of the Assets (checked in Airflow's own metadata below).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date

import psycopg
import pytest

from sandbox.complaints import write_reports, yearly_rows
from sandbox.opendata.scenario import build_scenario as opendata_scenario
from sandbox.opendata.server import SANDBOX_API_KEY, OpendataSandbox
from tyndau.settings import LIVE_BLOGS_FILE
from tyndau.warehouse.url import with_database

SEED = 41  # complaint reports of their own, unlike any other test's
#: a report without the column «Нарушения сроков», for a year no good file covers
REJECTED = "minfin_2015.csv"
REJECTED_TEXT = (
    "Период,Код госоргана,Государственный орган,Уровень,КАТО,Тип заявителя,Поступило,"
    "Рассмотрено,Разъяснено,Удовлетворено вышестоящим органом,Удовлетворено судом,"
    "Обоснованные жалобы\n"
    "2015,MF,Министерство финансов,центральный,,физическое лицо,999,999,5,0,0,1\n"
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with block ends: nothing listens


@pytest.fixture(scope="module")
def failing_run(pg_server, tmp_path_factory):
    """`tyndau run` with a dead portal, a good open-data server and one rejected report among
    good ones; yields (the finished process, the warehouse URL, the state dir, the scenario)."""
    root = tmp_path_factory.mktemp("one-source-failing")
    inbox = root / "reports"
    write_reports(inbox, seed=SEED)
    (inbox / REJECTED).write_text(REJECTED_TEXT, encoding="utf-8")
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists one_source_failing with (force)")
        conn.execute("create database one_source_failing")
    warehouse = with_database(pg_server, "one_source_failing")
    scenario = opendata_scenario(seed=3)
    with OpendataSandbox(scenario) as opendata:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALOG_", "OPENDATA_"))}
        env |= {
            "WAREHOUSE_URL": warehouse,
            "DIALOG_BASE_URL": f"http://127.0.0.1:{_closed_port()}",
            "DIALOG_BLOGS_FILE": str(LIVE_BLOGS_FILE),  # the shipped starter registry
            "OPENDATA_BASE_URL": opendata.base_url,
            "OPENDATA_API_KEY": SANDBOX_API_KEY,
            "COMPLAINTS_INBOX": str(inbox),
            "TYNDAU_STATE_DIR": str(root / "state"),
        }
        tyndau = [sys.executable, "-m", "tyndau.cli", "run"]
        done = subprocess.run(tyndau, env=env, capture_output=True, text=True, check=False)
    yield done, warehouse, root / "state", scenario, inbox


def test_a_dead_portal_does_not_hold_back_the_other_sources(failing_run):
    done, warehouse, state, scenario, _ = failing_run
    output = done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == 1, output
    assert "warehouse_build: success" in done.stdout, output
    assert "dialog_ingest: failed" in done.stdout and "opendata_ingest: success" in done.stdout
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("tyndau: dialog_ingest.land failed: ") and "127.0.0.1" in error
    assert "warehouse_build still published the marts" in error and "Traceback" not in error

    expected = Counter(d.owner for d in scenario.active(date(2017, 12, 31)))
    with psycopg.connect(warehouse) as conn:
        published = dict(
            conn.execute(
                "select gov_body_name_ru, datasets from marts.opendata_freshness"
                " where snapshot_date = '2017-12-31' and datasets > 0"
            ).fetchall()
        )
        appeals = conn.execute("select count(*) from marts.fct_appeals").fetchone()[0]
        ranked = conn.execute("select count(*) from marts.akimat_ranking").fetchone()[0]
    assert published == dict(expected)
    assert appeals == ranked == 0  # the portal's marts hold what raw holds: nothing yet

    # what a deployed Airflow would do: the two sources that landed announced their Assets,
    # which trigger warehouse_build (scheduled on any of them); the dead portal announced none.
    # (Cosmos announces each dbt model too, and publish the marts.)
    with sqlite3.connect(state / "airflow" / "airflow.db") as airflow_db:
        announced = {
            name
            for (name,) in airflow_db.execute(
                "select asset.name from asset_event join asset on asset.id = asset_event.asset_id"
            )
        }
    assert {a for a in announced if a.startswith("raw.")} == {
        "raw.opendata_datasets",
        "raw.complaints_rows",
    }
    assert "marts" in announced


def test_a_rejected_report_fails_its_alert_task_but_the_good_files_are_published(failing_run):
    done, warehouse, _, _, inbox = failing_run
    output = done.stdout[-4000:] + done.stderr[-4000:]
    assert "complaints_ingest: failed" in done.stdout, output
    error = done.stderr.strip().splitlines()[-1]
    assert "complaints_ingest.report_rejected failed: AirflowFailException:" in error
    assert f"{REJECTED}: header on line 1: missing required column(s): Нарушения сроков" in error
    assert "warehouse_build still published the marts" in error

    expected: dict[str, int] = {}
    for row in yearly_rows(2016, seed=SEED):
        expected[row.gov_body_code] = expected.get(row.gov_body_code, 0) + row.received
    with psycopg.connect(warehouse) as conn:
        got = dict(
            conn.execute(
                "select gov_body_code, sum(received)::int from marts.complaints_scorecard"
                " where year = 2016 group by 1"
            ).fetchall()
        )
        rejected_year = conn.execute(
            "select count(*) from marts.complaints_scorecard where year = 2015"
        ).fetchone()[0]
    assert got == expected
    assert rejected_year == 0  # nothing of the rejected file landed
    assert (inbox / "rejected" / REJECTED).is_file()
    assert not list(inbox.glob("*.csv")) and not list(inbox.glob("*.xlsx"))  # the rest landed
