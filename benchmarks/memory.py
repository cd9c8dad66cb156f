"""Figure 4, memory: peak RSS of crawling and landing N appeals with ``land_dialog``, for two N.

Each landing runs in a child process of its own (``python -m benchmarks.memory URL BASE_URL``)
that reports its own peak resident set size (VmHWM); the sandbox serves from this process, so
its pages are not counted. Per N, two runs on a fresh database: the first run walks the whole
history (raw empty), the next one is the daily incremental run over a raw that holds all of it.
Flat means the peak barely moves when N grows.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from benchmarks.env import run_python, say
from sandbox.dialog.lazy import build_lazy_scenario
from sandbox.dialog.scenario import REGISTRY_FILE
from sandbox.dialog.server import DialogSandbox, Knobs


def run(fresh_database, sizes: list[int]) -> dict:
    """``fresh_database(name)`` returns the URL of an empty database."""
    by_size = []
    for appeals in sizes:
        url = fresh_database(f"bench_memory_{appeals}")
        with DialogSandbox(build_lazy_scenario(appeals), knobs=Knobs(crawl_delay=0)) as portal:
            say(f"  memory: first run over {appeals:,} appeals")
            first = _land_in_child(url, portal.base_url)
            say(f"  memory: daily run over a raw of {appeals:,} appeals")
            daily = _land_in_child(url, portal.base_url)
        by_size.append({"appeals": appeals, "first_run": first, "daily_run": daily})
    smallest, largest = by_size[0], by_size[-1]
    return {
        "by_size": by_size,
        "growth": {
            run: round(largest[run]["peak_rss_mb"] / smallest[run]["peak_rss_mb"], 2)
            for run in ("first_run", "daily_run")
        },
        "size_ratio": round(largest["appeals"] / smallest["appeals"], 1),
    }


def _land_in_child(url: str, base_url: str) -> dict:
    out = run_python(
        ["-m", "benchmarks.memory", url, base_url], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"the landing child failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(url: str, base_url: str) -> None:
    from ingestion.dialog import land_dialog

    started = time.perf_counter()
    report = land_dialog(url, base_url, REGISTRY_FILE)
    seconds = time.perf_counter() - started
    peak_kb = _peak_rss_kb()
    print(
        json.dumps(
            {
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "seconds": round(seconds, 2),
                "cards_seen": report.cards_seen,
                "rows_inserted": report.rows_inserted,
                "requests": report.requests_made,
                "appeals_per_second": round(report.cards_seen / seconds),
            }
        )
    )


def _peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, not getrusage: Linux carries ``ru_maxrss`` over fork
    and exec, so a child would report at least its parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


if __name__ == "__main__":
    _child(*sys.argv[1:3])
