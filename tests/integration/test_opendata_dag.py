"""The `opendata_ingest` DAG through Airflow's own `dag.test()` (as `tyndau run` runs it), against
the sandbox: the landing task, then the GX checkpoint of the landing; and the API key, which
reaches the task through the connection `tyndau_opendata`, in no log Airflow wrote."""

from __future__ import annotations

import psycopg
import pytest

from sandbox.opendata import WATCH_FILE, OpendataSandbox, build_scenario
from tyndau.pipeline import PipelineError, run_pipeline
from tyndau.settings import load_settings

KEY = "dag-test-Key-never-in-a-log"


@pytest.fixture(scope="module")
def portal():
    with OpendataSandbox(build_scenario(), api_key=KEY) as running:
        yield running


def settings_for(state, portal, key):
    return load_settings({"TYNDAU_STATE_DIR": str(state)}).replace(
        opendata_base_url=portal.base_url,
        opendata_api_key=key,
        opendata_watch_file=WATCH_FILE,
    )


def logged_text(state) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in state.rglob("*") if path.suffix == ".log"
    )


def test_the_dag_lands_checks_and_never_logs_the_key(fresh_database, portal, tmp_path):
    result = run_pipeline(settings_for(tmp_path, portal, KEY), fresh_database, ["opendata_ingest"])
    (run,) = result.dag_results
    assert run["dag_id"] == "opendata_ingest" and run["state"] == "success"
    land_state, landed = run["tasks"]["land"]
    check_state, checked = run["tasks"]["check_raw_landing"]
    assert land_state == check_state == "success"
    assert landed["datasets"] == 2840 and landed["watched_datasets"] == 3
    assert checked["checkpoint"] == "opendata_raw_landing" and checked["evaluated"] >= 25
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute("select source, status from raw.load_ledger").fetchall() == [
            ("opendata", "succeeded")
        ]
    logs = logged_text(tmp_path)
    assert "opendata load" in logs and KEY not in logs


def test_a_wrong_key_fails_the_run_and_stays_out_of_the_logs(fresh_database, portal, tmp_path):
    wrong = "wrong-dag-Key-never-in-a-log"
    with pytest.raises(PipelineError, match="opendata_ingest"):
        run_pipeline(settings_for(tmp_path, portal, wrong), fresh_database, ["opendata_ingest"])
    logs = logged_text(tmp_path)
    assert "HTTP 403" in logs and wrong not in logs
