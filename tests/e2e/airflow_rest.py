"""Airflow's REST API as the end-to-end tests drive it (imported by name: pytest puts this
folder on sys.path, it has no __init__.py)."""

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
            assert proc.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(1)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        proc.wait(timeout=90)
    assert "Airflow stopped." in output.read_text()
    assert proc.returncode == 0, output.read_text()


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
