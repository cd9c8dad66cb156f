"""Shared fixtures: a real Postgres (the embedded one, in a temporary folder) for the session."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tyndau.warehouse.embedded import start_embedded, stop_embedded
from tyndau.warehouse.url import with_database

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the whole session; tests make their own databases in it.

    Its folder is not under pytest's temporary root: as root, Postgres runs as the `pgserver`
    user, and every pytest session that starts resets that root to mode 0700, which would lock
    a concurrent session's server out of its own data.
    """
    home = Path(tempfile.mkdtemp(prefix="tyndau-test-pg-"))
    pgdata = home / "pgdata"
    url = start_embedded(pgdata)
    yield url
    stop_embedded(pgdata)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def fresh_database(pg_server, request):
    """An empty database of its own for one test; returns its URL."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    yield with_database(pg_server, name)


@pytest.fixture
def dbt_build(tmp_path, monkeypatch):
    """Run `dbt seed` + `dbt build` of the project against a database URL; fail on any error."""
    from dbt.cli.main import dbtRunner

    from ingestion.dialog.load import mask_landed
    from tyndau.settings import PROJECT_DIR
    from tyndau.warehouse.raw import ensure_raw_tables
    from tyndau.warehouse.url import dbt_profile_env

    project = PROJECT_DIR / "dbt_project"

    def build(url: str, *options: str) -> None:
        """``options`` go to both commands, e.g. ``--full-refresh``. Masks what is landed
        first, as warehouse_build does."""
        ensure_raw_tables(url)
        with psycopg.connect(url, autocommit=True) as conn:
            mask_landed(conn)
        for name, value in dbt_profile_env(url).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
        common = [
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(tmp_path / "dbt-target"),
        ]
        for command in (["seed"], ["build"]):
            result = dbtRunner().invoke([*command, *common, *options])
            assert result.success, f"dbt {command[0]} failed: {result.exception or result.result}"

    return build


def fingerprint(url: str, schema: str = "marts") -> dict[str, str]:
    """A hash of every table's contents in ``schema``, in a stable order. Leaves out
    ``refreshed_at``: when a build wrote a row is not what the row says."""
    prints = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables"
            " where table_schema = %s order by table_name",
            [schema],
        ).fetchall()
        for (table,) in tables:
            rows = sorted(
                json.dumps(row, sort_keys=True, default=str)
                for (row,) in conn.execute(
                    f'select to_jsonb(t) - \'refreshed_at\' from "{schema}"."{table}" as t'
                )
            )
            prints[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return prints


@pytest.fixture
def marts_fingerprint() -> Callable[..., dict[str, str]]:
    """``fingerprint(url, schema="marts")``: compare a schema's tables before and after."""
    return fingerprint


#: the modules whose tests read the demo's run (the `pipeline` fixture of tests/e2e/conftest.py)
DEMO_READERS = frozenset(
    f"tests/e2e/{name}.py"
    for name in (
        "test_airflow_celery",
        "test_alerts",
        "test_bi",
        "test_docs",
        "test_export",
        "test_marts_analytics",
        "test_pipeline",
        "test_report",
    )
)


def pytest_xdist_make_scheduler(config, log):
    """How pytest-xdist shares the tests out: the demo's readers on one worker (the demo runs
    once per worker that needs it), each other end-to-end or integration module on one worker
    (their module-scoped fixtures run a pipeline or a dbt build once), every unit test on its
    own. xdist's `loadgroup` cannot do this under pytest 9, which no longer reads the group
    suffix it appends to test ids."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module in DEMO_READERS:
                return "the demo's run"
            return nodeid if module.startswith("tests/unit/") else module

    return SharedRunScheduling(config, log)


def pytest_collection_modifyitems(items):
    """A test that reads the demo's run outside DEMO_READERS would start a second one on
    another worker: say so instead."""
    for item in items:
        if "pipeline" in item.fixturenames and item.location[0] not in DEMO_READERS:
            raise pytest.UsageError(
                f"{item.nodeid} reads the demo's run: add its module to DEMO_READERS "
                "in tests/conftest.py"
            )
