"""Schedules, catch-up and backfills of the DAGs, as Airflow itself parses and runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg

from sandbox.opendata import WATCH_FILE, OpendataSandbox, build_scenario
from sandbox.opendata.server import SANDBOX_API_KEY
from tyndau.airflow_env import airflow_environment
from tyndau.pipeline import run_pipeline
from tyndau.settings import load_settings

# what Airflow made of each DAG file, printed from a process with Airflow's environment
DESCRIBE = """
import json
from airflow.dag_processing.dagbag import DagBag
from airflow.settings import DAGS_FOLDER
bag = DagBag(DAGS_FOLDER)
print(json.dumps({
    "import_errors": list(bag.import_errors),
    "dags": {
        dag_id: {
            "schedule": dag.schedule if isinstance(dag.schedule, str) else None,
            "assets": sorted(a.name for a in getattr(dag.schedule, "objects", [])),
            "assets_condition": type(dag.timetable.asset_condition).__name__,
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "alerting_tasks": sorted(
                t.task_id for t in dag.tasks if t.on_failure_callback
            ),
            "tasks": sorted(t.task_id for t in dag.tasks),
            "timeouts": sorted(
                {t.execution_timeout.total_seconds() if t.execution_timeout else None
                 for t in dag.tasks}, key=str
            ),
        }
        for dag_id, dag in bag.dags.items()
    },
}))
"""


def _describe(tmp_path) -> dict:
    settings = load_settings({"TYNDAU_STATE_DIR": str(tmp_path), "TASK_TIMEOUT_MINUTES": "45"})
    env = os.environ | airflow_environment(settings, "postgresql://u@localhost/none")
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, capture_output=True, check=True)
    out = subprocess.run(
        [sys.executable, "-c", DESCRIBE], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_schedules_catchup_and_alerts(tmp_path):
    described = _describe(tmp_path)
    assert described["import_errors"] == []
    dags = described["dags"]
    assert {d: dags[d]["schedule"] for d in dags if not dags[d]["assets"]} == {
        "dialog_ingest": "@daily",  # the crawler: once a day, politely
        "opendata_ingest": "@daily",  # the catalogue: once a day
        "complaints_ingest": "*/30 * * * *",  # the inbox, watched
    }
    # the warehouse builds when any source landed something new: an OR of the Assets, so a
    # source that failed (and announced nothing) does not hold the others' build back
    assert sorted(dags["warehouse_build"]["assets"]) == [
        "raw.complaints_rows",
        "raw.dialog_appeals",
        "raw.opendata_datasets",
    ]
    assert dags["warehouse_build"]["assets_condition"] == "AssetAny"
    for dag_id, dag in dags.items():
        # no catch-up: a DAG switched on (or back on) runs once, not once per missed day
        assert dag["catchup"] is False, dag_id
        assert dag["max_active_runs"] == 1, dag_id
        # every task, the dbt ones Cosmos made included, alerts when it fails
        assert dag["alerting_tasks"] == dag["tasks"], dag_id
        # and none runs for ever: every task has TASK_TIMEOUT_MINUTES as its execution_timeout
        assert dag["timeouts"] == [45 * 60.0], dag_id
    assert "source_freshness" in dags["warehouse_build"]["tasks"]


def test_a_backfill_run_twice_lands_nothing_twice(fresh_database, tmp_path):
    """Three daily runs of the open-data landing (a backfill's), then the same three again from
    a fresh Airflow: the portal shows today's catalogue whatever the logical date, so raw gains
    rows once and every load after the first adds nothing."""
    dates = ["2026-03-01", "2026-03-02", "2026-03-03"]

    def raw_state() -> tuple:
        with psycopg.connect(fresh_database) as conn:
            return conn.execute(
                "select (select count(*) from raw.opendata_datasets),"
                " (select count(*) from raw.opendata_passports),"
                " (select count(*) from raw.opendata_records),"
                " (select count(*) from raw.load_ledger where status = 'succeeded')"
            ).fetchone()

    with OpendataSandbox(build_scenario()) as portal:
        counts = []
        for attempt in ("first", "again"):
            settings = load_settings({"TYNDAU_STATE_DIR": str(tmp_path / attempt)}).replace(
                opendata_base_url=portal.base_url,
                opendata_api_key=SANDBOX_API_KEY,
                opendata_watch_file=WATCH_FILE,
            )
            result = run_pipeline(
                settings, fresh_database, ["opendata_ingest"], logical_dates=dates
            )
            assert [(r["logical_date"], r["state"]) for r in result.dag_results] == [
                (d, "success") for d in dates
            ]
            inserted = [r["tasks"]["land"][1]["dataset_rows_inserted"] for r in result.dag_results]
            counts.append((inserted, raw_state()))
    (first_inserted, first_raw), (again_inserted, again_raw) = counts
    assert first_inserted[0] > 0 and first_inserted[1:] == [0, 0]
    assert again_inserted == [0, 0, 0]
    assert again_raw[:3] == first_raw[:3]  # not a row more
    assert (first_raw[3], again_raw[3]) == (3, 6)  # every run is on the ledger
