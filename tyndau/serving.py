"""What the long-running commands (`tyndau airflow`, `tyndau bi`) share: waiting for a server
they started to answer, and stopping the process groups they started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterable


def wait_for_answer(url: str, check_alive: Callable[[], None], timeout: float) -> bool:
    """Ask `url` once a second until it answers 200 (True) or `timeout` seconds pass (False);
    `check_alive` raises when the server has died, which ends the wait at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_alive()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


def stop_process_groups(procs: Iterable[subprocess.Popen], grace: float) -> None:
    """SIGTERM each process's group (a server and its workers), wait up to `grace` seconds for
    all of them, then SIGKILL the groups still running."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
