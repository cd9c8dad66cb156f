"""A `tyndau run` killed outright (SIGKILL: no handler, no clean-up) takes its DAG runner with
it: nothing keeps landing behind its back, and no load is marked succeeded after it died."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import psycopg
import pytest

from sandbox.dialog.scenario import build_scenario, write_registry
from sandbox.dialog.server import DialogSandbox, Knobs

STEADY = 32792  # 75 appeals, 8 listing pages: with each page slow, a landing of half a minute
SLOW_SECONDS = 3.0

RUN = """
import json, sys
from pathlib import Path
from tyndau.pipeline import run_pipeline
from tyndau.settings import load_settings
state, url, portal, registry = json.loads(sys.argv[1])
settings = load_settings({"TYNDAU_STATE_DIR": state}).replace(
    dialog_base_url=portal,
    dialog_blogs_file=Path(registry),
)
run_pipeline(settings, url, ["dialog_ingest"])
"""


def _ledger(url: str) -> list[tuple[str, str]]:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("select source, status from raw.load_ledger").fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def _wait_for(what: str, condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.5)
    pytest.fail(f"gave up waiting for {what} after {seconds:.0f} s")


def _runners(parent: psutil.Process) -> list[psutil.Process]:
    try:
        children = parent.children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in children if "tyndau.dag_runner" in " ".join(p.cmdline())]


def test_killing_tyndau_run_stops_its_dag_runner(fresh_database, tmp_path):
    registry = write_registry(tmp_path / "blogs.csv", (STEADY,))
    slow = Knobs(slow_rate=1.0, slow_seconds=SLOW_SECONDS)
    with DialogSandbox(build_scenario(), knobs=slow) as portal:
        args = json.dumps([str(tmp_path / "state"), fresh_database, portal.base_url, str(registry)])
        parent = subprocess.Popen(
            [sys.executable, "-c", RUN, args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        watched = psutil.Process(parent.pid)
        family: list[psutil.Process] = []
        try:
            (runner,) = _wait_for("the DAG runner", lambda: _runners(watched), 120)
            family += [runner, *runner.children(recursive=True)]
            _wait_for(
                "the landing to start",
                lambda: ("dialog", "running") in _ledger(fresh_database),
                300,
            )
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait(10)
            gone, alive = psutil.wait_procs(family, timeout=10)
            assert alive == [], f"still running after their parent was killed: {alive}"
            time.sleep(2 * SLOW_SECONDS)  # what a surviving runner would land meanwhile
            assert _ledger(fresh_database) == [("dialog", "running")]
        finally:  # whatever this test started, should the code under test leave it running
            for process in [watched, *family]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
