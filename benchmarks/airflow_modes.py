"""The demo's wall time in each of Airflow's modes: one process (`tyndau run`), `tyndau airflow`
(LocalExecutor, Postgres metadata) and `tyndau airflow --executor celery --workers 2`: the
three landings triggered at once through the REST API, then `warehouse_build`, on the sandboxes,
each on a fresh embedded warehouse. The end-to-end tests drive Airflow with the same helpers.

    python -m benchmarks.airflow_modes single|local|celery [--state-dir DIR]

Prints one JSON line: the mode, the DAGs' states and the seconds from the first trigger to the
build's end (Airflow's own start and end dates of the runs).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, path: str, token: str, method: str = "GET", body: dict | None = None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    # SQLite's one writer: on this shared machine every component has been seen to stall for
    # ~60 s at once (the API's write waits out its busy timeout, then answers 500). Ask again,
    # as a user would; a request that keeps failing still fails the test.
    for attempt in range(3):
        try:
            with urllib.request.urlopen(request, timeout=90) as response:
                return json.load(response)
        except (urllib.error.HTTPError, TimeoutError) as exc:
            if attempt == 2 or (isinstance(exc, urllib.error.HTTPError) and exc.code < 500):
                raise
            time.sleep(5)


def token(base: str, password: str) -> str:
    body = json.dumps({"username": "admin", "password": password}).encode()
    request = urllib.request.Request(
        base + "/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


@contextmanager
def tyndau_airflow(args: list[str], env: dict[str, str], output: Path, start_timeout=240):
    """`tyndau airflow ARGS` until its components run; Ctrl-C (SIGINT) when done, which must
    stop it cleanly. Yields the process; its output goes to `output`."""
    with output.open("w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "tyndau"), "airflow", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + start_timeout
        while "Ctrl-C stops Airflow" not in output.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tyndau airflow did not start:\n{output.read_text()}")
            time.sleep(1)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        proc.wait(timeout=90)
    if "Airflow stopped." not in output.read_text() or proc.returncode != 0:
        raise RuntimeError(f"tyndau airflow did not stop cleanly:\n{output.read_text()}")


def stand_in_env(demo, state: Path, warehouse_url: str, password: str) -> dict[str, str]:
    """The environment of a `tyndau airflow` fed by the demo's stand-ins (`demo`: the settings
    `tyndau.demo.stand_ins` yields)."""
    return os.environ | {
        "TYNDAU_STATE_DIR": str(state),
        "WAREHOUSE_URL": warehouse_url,
        "DIALOG_BASE_URL": demo.dialog_base_url,
        "DIALOG_BLOGS_FILE": str(demo.dialog_blogs_file),
        "OPENDATA_BASE_URL": demo.opendata_base_url,
        "OPENDATA_API_KEY": demo.opendata_api_key,
        "OPENDATA_WATCH_FILE": str(demo.opendata_watch_file),
        "COMPLAINTS_INBOX": str(demo.complaints_inbox),
        "TYNDAU_AIRFLOW_PASSWORD": password,
    }


INGEST = ["complaints_ingest", "dialog_ingest", "opendata_ingest"]
BUILD = "warehouse_build"


def wait_for_run(base: str, auth: str, dag_id: str, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(base, f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", auth)
        if run["state"] in ("success", "failed"):
            return run
        time.sleep(5)
    raise RuntimeError(f"{dag_id} {run_id} still {run['state']} after {timeout:.0f} s")


def run_the_four(base: str, auth: str, during=None) -> tuple[dict[str, str], float]:
    """Unpause the four DAGs, trigger the three landings at once, then the build once they are
    done; ({dag_id: state}, seconds from the first run's start to the build's end). `during`
    (the fault tests') is called with {dag_id: run_id} after each of the two triggers."""
    from datetime import datetime

    deadline = time.monotonic() + 300  # the DAG processor's first parse (Cosmos runs `dbt ls`)
    while sorted(d["dag_id"] for d in api(base, "/api/v2/dags", auth)["dags"]) != sorted(
        [*INGEST, BUILD]
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the four DAGs were not parsed in 300 s")
        time.sleep(3)
    for dag_id in [*INGEST, BUILD]:
        api(base, f"/api/v2/dags/{dag_id}", auth, "PATCH", {"is_paused": False})

    def trigger(dag_id: str) -> str:
        path = f"/api/v2/dags/{dag_id}/dagRuns"
        return api(base, path, auth, "POST", {"logical_date": None})["dag_run_id"]

    started = {dag_id: trigger(dag_id) for dag_id in INGEST}
    if during:
        during(started)
    runs = {dag_id: wait_for_run(base, auth, dag_id, run, 900) for dag_id, run in started.items()}
    build = trigger(BUILD)
    if during:
        during({BUILD: build})
    runs[BUILD] = wait_for_run(base, auth, BUILD, build, 1200)
    first = min(datetime.fromisoformat(r["start_date"]) for r in runs.values())
    last = datetime.fromisoformat(runs[BUILD]["end_date"])
    return {d: r["state"] for d, r in runs.items()}, (last - first).total_seconds()


#: tyndau airflow's arguments per mode (the port is added)
MODES = {"local": [], "celery": ["--executor", "celery", "--workers", "2"]}
PASSWORD = "benchmark-password"


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json
    import tempfile

    from tyndau.airflow_ui import metadata_database
    from tyndau.demo import stand_ins
    from tyndau.pipeline import run_pipeline
    from tyndau.settings import load_settings
    from tyndau.warehouse.embedded import start_embedded, stop_embedded

    parser = argparse.ArgumentParser(prog="python -m benchmarks.airflow_modes")
    parser.add_argument("mode", choices=["single", *MODES])
    parser.add_argument("--state-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    state = args.state_dir or Path(tempfile.mkdtemp(prefix="tyndau-modes-"))
    settings = load_settings({"TYNDAU_STATE_DIR": str(state)})
    url = start_embedded(settings.embedded_pgdata)
    try:
        with stand_ins(settings) as demo:
            if args.mode == "single":
                began = time.monotonic()
                result = run_pipeline(demo, url, out=open(os.devnull, "w"))  # noqa: SIM115
                seconds = time.monotonic() - began
                states = {r["dag_id"]: r["state"] for r in result.dag_results}
            else:
                env = stand_in_env(demo, state, url, PASSWORD) | {
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_database(url),
                    # only the runs asked for: no cron run, no Asset-triggered build beside them
                    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                }
                port = free_port()
                output = state / f"tyndau-airflow-{args.mode}.out"
                with tyndau_airflow([*MODES[args.mode], "--port", str(port)], env, output):
                    base = f"http://localhost:{port}"
                    states, seconds = run_the_four(base, token(base, PASSWORD))
    finally:
        stop_embedded(settings.embedded_pgdata)
    print(json.dumps({"mode": args.mode, "states": states, "seconds": round(seconds)}))


if __name__ == "__main__":
    main()
