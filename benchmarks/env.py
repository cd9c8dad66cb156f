"""What every figure needs: a scratch warehouse, its databases, the machine, progress lines."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from tyndau.warehouse.embedded import start_embedded, stop_embedded
from tyndau.warehouse.url import with_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = ROOT / ".tyndau" / "bench"


def say(message: str) -> None:
    """A progress line (long steps print one every few seconds)."""
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


@contextmanager
def step(what: str):
    say(f"{what} …")
    started = time.perf_counter()
    yield
    say(f"{what}: {time.perf_counter() - started:.1f} s")


class ScratchWarehouse:
    """The embedded Postgres under its own state dir (never the user's ``.tyndau/pgdata``),
    one fresh database per figure."""

    def __init__(self, state_dir: Path):
        self.pgdata = state_dir / "pgdata"
        self.url = ""

    def __enter__(self) -> ScratchWarehouse:
        self.url = start_embedded(self.pgdata)
        return self

    def __exit__(self, *exc) -> None:
        stop_embedded(self.pgdata)

    def fresh_database(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return with_database(self.url, name)

    def postgres_version(self) -> str:
        with psycopg.connect(self.url) as conn:
            return conn.execute("show server_version").fetchone()[0]


def machine_info(warehouse: ScratchWarehouse) -> dict:
    """CPU, cores, RAM, versions, the load on the machine when the run began."""
    from dbt.version import __version__ as dbt_version

    cpu = platform.processor() or ""
    meminfo: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        lines = Path("/proc/meminfo").read_text().splitlines()
        meminfo = dict((k, v.strip()) for k, v in (line.split(":", 1) for line in lines))
    except OSError:
        pass
    ram_kb = int(meminfo.get("MemTotal", "0 kB").split()[0])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_kb / 1024**2, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgres": warehouse.postgres_version(),
        "dbt": str(dbt_version),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": _git_commit(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def python_in(venv: Path) -> Path:
    return venv / "bin" / "python"


def child_env() -> dict[str, str]:
    """The environment of a child process running project code."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run_python(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=child_env(), **kwargs)
