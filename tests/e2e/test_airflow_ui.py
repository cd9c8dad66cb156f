"""`tyndau airflow` for real: the four Airflow components on a temporary state dir, driven in
headless Chromium: log in, see every DAG and no import error, trigger a run, see it succeed;
then the build its Asset starts, with one `dbt build` and a task per model."""

from __future__ import annotations

import json
import time

import psycopg
import pytest
from playwright.sync_api import expect

from benchmarks.airflow_modes import api as _api
from benchmarks.airflow_modes import free_port as _free_port
from benchmarks.airflow_modes import stand_in_env, tyndau_airflow
from benchmarks.airflow_modes import token as login
from tyndau.demo import stand_ins
from tyndau.report.browser import chromium
from tyndau.settings import load_settings

DAGS = ["complaints_ingest", "dialog_ingest", "opendata_ingest", "warehouse_build"]
PASSWORD = "ui-test-password"


@pytest.fixture
def airflow_ui(fresh_database, tmp_path):
    """`tyndau airflow` on a free port, fed by the demo's stand-ins; yields (base URL, output)."""
    state = tmp_path / "state"
    port = _free_port()
    with stand_ins(load_settings({"TYNDAU_STATE_DIR": str(state)})) as demo:
        env = stand_in_env(demo, state, fresh_database, PASSWORD)
        output = tmp_path / "tyndau-airflow.out"
        with tyndau_airflow(["--port", str(port)], env, output):
            yield f"http://localhost:{port}", output
        for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
            assert (state / "logs" / "airflow" / f"{name}.log").stat().st_size > 0


def test_login_see_dags_trigger_and_succeed(airflow_ui, fresh_database):
    base, output = airflow_ui
    printed = output.read_text()
    assert f"Airflow UI:  {base}" in printed
    assert f"Log in as:   admin / {PASSWORD}" in printed

    # every DAG parsed, none failed to import (the DAG processor may need a moment)
    token = login(base, PASSWORD)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        listed = sorted(d["dag_id"] for d in _api(base, "/api/v2/dags", token)["dags"])
        if listed == DAGS:
            break
        time.sleep(2)
    assert listed == DAGS
    assert _api(base, "/api/v2/importErrors", token)["total_entries"] == 0

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # a shared machine and SQLite's one writer make the UI slow at times (every component
        # stalled ~60 s at once here, see _api): wait, don't flake
        page.set_default_timeout(150_000)
        expect.set_options(timeout=150_000)
        page.goto(base + "/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/")

        page.goto(base + "/dags")
        expect(page.get_by_text(f"{len(DAGS)} Dags")).to_be_visible()
        for dag_id in DAGS:
            expect(page.get_by_role("link", name=dag_id, exact=True)).to_be_visible()
        expect(page.get_by_text("Import Errors")).to_have_count(0)

        # the complaints landing: the demo inbox's report files into the warehouse
        page.goto(base + "/dags/complaints_ingest")
        page.get_by_role("button", name="Trigger").first.click()
        page.get_by_role("dialog").get_by_role("button", name="Trigger").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        # the DAGs start paused; the dialog unpauses this one, else its run would wait forever
        # (its request can fail in an SQLite stall, see _api: then unpause it as a user would)
        deadline = time.monotonic() + 90
        while _api(base, "/api/v2/dags/complaints_ingest", token)["is_paused"]:
            if time.monotonic() > deadline:
                _api(base, "/api/v2/dags/complaints_ingest", token, "PATCH", {"is_paused": False})
            time.sleep(2)

        manual_run = page.get_by_role("row").filter(has_text="manual__")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            page.goto(base + "/dags/complaints_ingest/runs")
            expect(manual_run).to_have_count(1)
            if manual_run.get_by_text("Success", exact=True).count():
                break
            assert not manual_run.get_by_text("Failed", exact=True).count(), page.content()
            time.sleep(3)
        expect(manual_run.get_by_text("Success", exact=True)).to_be_visible()

    with psycopg.connect(fresh_database) as conn:  # the run did land the files
        files = conn.execute("select count(*) from raw.complaints_report_files").fetchone()[0]
    assert files > 0

    # The build under the scheduler: one `dbt build` does the work, and every model keeps a
    # task of its own, with its state and its log. (The landing's Asset event, sent while the
    # build was paused, did not start it once unpaused: the run is triggered.) With SQLite the
    # scheduler runs one task at a time, ~5-9 s each here: the test waits for the build and a
    # first model's report, not for the ~80 tasks of the run (dag.test() runs those everywhere
    # else).
    _api(base, "/api/v2/dags/warehouse_build", token, "PATCH", {"is_paused": False})
    runs_path = "/api/v2/dags/warehouse_build/dagRuns"
    run_id = _api(base, runs_path, token, "POST", {"logical_date": None})["dag_run_id"]
    tasks_path = f"{runs_path}/{run_id}/taskInstances"
    model = "dbt.stg_dialog__appeals.run"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        listed = _api(base, f"{tasks_path}?limit=1000", token)["task_instances"]
        tasks = {t["task_id"]: t for t in listed}
        assert "failed" not in {t["state"] for t in tasks.values()}, tasks
        if tasks.get(model, {}).get("state") == "success":
            break
        time.sleep(5)
    producer = tasks["dbt.dbt_producer_watcher"]
    assert (producer["state"], producer["try_number"]) == ("success", 1)  # dbt ran once
    assert tasks[model]["state"] == "success"
    assert {"dbt.fct_appeals.run", "dbt.akimat_ranking.run", "dbt.akimat_ranking.test"} <= set(
        tasks
    )
    log = _api(base, f"{tasks_path}/{model}/logs/1?full_content=true", token)
    assert "model.tyndau.stg_dialog__appeals" in json.dumps(log)
