"""What the long-running commands (`tyndau airflow`, `tyndau bi`) share: waiting for a server
they started to answer."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable


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
