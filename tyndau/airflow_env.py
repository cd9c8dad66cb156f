"""Airflow's environment: its home, its metadata database (SQLite under the state dir unless
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN says otherwise), our DAGs, and the connections and variables
the DAGs read, all built from tyndau's settings. `tyndau run`, `tyndau airflow` and the
containers of docker-compose.yml all start Airflow with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tyndau.settings import (
    DAGS_DIR,
    DEFAULT_TASK_HEARTBEAT_TIMEOUT_SECONDS,
    ConfigError,
    Connection,
    Settings,
    Variable,
    carrier,
)
from tyndau.warehouse.url import url_parts

WAREHOUSE_CONN_ID = "tyndau_warehouse"

#: seconds a metadata write waits for SQLite's one writer (Airflow itself turns on write-ahead
#: logging, so reads never wait). sqlite3's 5 s default is too short for Airflow's four components
#: on a busy machine: a UI request once failed with "database is locked".
SQLITE_BUSY_TIMEOUT = 60


def airflow_environment(settings: Settings, warehouse_url: str) -> dict[str, str]:
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    parts = url_parts(warehouse_url)
    connection = {
        "conn_type": "postgres",
        "host": parts["host"],
        "port": int(parts["port"]),
        "login": parts["user"],
        "password": parts["password"],
        "schema": parts["dbname"],
    }
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        **metadata_environment(
            settings.airflow_metadata_url
            or f"sqlite:///{home / 'airflow.db'}?timeout={SQLITE_BUSY_TIMEOUT}"
        ),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        # Cosmos runs `dbt ls` when it first parses warehouse_build: on a small, busy machine
        # that takes longer than Airflow's 30 s default
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "240",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": json.dumps(connection),
        # every task's execution_timeout (tyndau.orchestration.alerts.DEFAULT_ARGS), in seconds
        "AIRFLOW__CORE__DEFAULT_TASK_EXECUTION_TIMEOUT": str(
            round(settings.task_timeout_minutes * 60)
        ),
        # Cosmos calls dbt from the same virtual environment as Airflow.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if settings.airflow_base_url:  # where the alerts' log links start
        env["AIRFLOW__API__BASE_URL"] = settings.airflow_base_url
    if settings.alert_email and not settings.alert_smtp_url:
        raise ConfigError(
            "ALERT_EMAIL is set but ALERT_SMTP_URL is not: give the mail server as an "
            "Airflow connection URI, e.g. smtp://user:password@mail.example.org:587"
            "?from_email=tyndau%40example.org"
        )
    return env | carried_settings(settings)


#: tasks at once on one machine's LocalExecutor with Postgres metadata (SQLite: one, its one
#: writer); the Celery cluster's scheduler sends out up to CLUSTER_PARALLELISM, each worker runs
#: its concurrency
LOCAL_PARALLELISM = 4
CLUSTER_PARALLELISM = 32
WORKER_CONCURRENCY = 4
EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}


def metadata_environment(url: str) -> dict[str, str]:
    """Airflow's metadata database: SQLite as given; Postgres through psycopg 3 (installed;
    Airflow would take psycopg2 for `postgresql://` and asyncpg, not installed, for its async
    engine), for both engines."""
    scheme, rest = url.split("://", 1)
    if scheme.split("+")[0] not in ("postgresql", "postgres"):
        return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url}
    url = f"postgresql+psycopg://{rest}"
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": url,
    }


def executor_environment(
    executor: str,
    metadata_url: str,
    broker_url: str | None = None,
    worker_concurrency: int | str = WORKER_CONCURRENCY,
    heartbeat_timeout: int | str = DEFAULT_TASK_HEARTBEAT_TIMEOUT_SECONDS,
) -> dict[str, str]:
    """The executor's settings, the one definition of them: `tyndau airflow` (either executor)
    starts with these, and docker-compose.yml's environment is this function's output with the
    containers' hosts (tests/unit/test_compose.py checks it).

    A Celery worker that dies (killed, its machine lost) leaves its tasks `running` until
    their heartbeats are `heartbeat_timeout` seconds old; then the scheduler fails them and
    they are retried on another worker. Airflow's 300 s default holds a dead worker's tasks
    five minutes; TASK_HEARTBEAT_TIMEOUT_SECONDS (60) notices one in about a minute and still
    forgives a busy task runner a dozen late heartbeats (it beats every few seconds). Not
    on the LocalExecutor: its tasks are the scheduler's children, and on SQLite metadata every
    component has been seen to stall for a minute at once."""
    env = metadata_environment(metadata_url) | {"AIRFLOW__CORE__EXECUTOR": EXECUTORS[executor]}
    if executor == "local":
        sqlite = metadata_url.startswith("sqlite")
        return env | {"AIRFLOW__CORE__PARALLELISM": "1" if sqlite else str(LOCAL_PARALLELISM)}
    if not broker_url or metadata_url.startswith("sqlite"):
        raise ConfigError("the CeleryExecutor needs a broker (Redis) and Postgres metadata")
    return env | {
        "AIRFLOW__CORE__PARALLELISM": str(CLUSTER_PARALLELISM),
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        # the task states Celery reports, in Airflow's own database
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(heartbeat_timeout),
    }


def carried_settings(settings: Settings) -> dict[str, str]:
    """Every set setting as its carrier says (tyndau.settings): an Airflow variable
    (`AIRFLOW_VAR_<FIELD>`; Airflow masks those named like passwords in its logs), or a part
    of an Airflow connection, made only when its host or URI is set."""
    env, connections = {}, {}
    for field in Settings.model_fields:
        how, value = carrier(field), getattr(settings, field)
        if isinstance(how, Variable) and value is not None:
            env[f"AIRFLOW_VAR_{field.upper()}"] = str(value)
        elif isinstance(how, Connection):
            parts = connections.setdefault(how.conn_id, {"conn_type": how.conn_type})
            parts[how.part] = "" if value is None else str(value)
    for conn_id, parts in connections.items():
        if parts.get("uri"):
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = parts["uri"]
        elif parts.get("host"):
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(parts)
    return env


def migrate_metadata(settings: Settings, env: dict[str, str], log) -> bool:
    """`airflow db migrate`, unless this Airflow already migrated this very SQLite file (a
    stamp beside it names the Airflow version and the file's inode): on a busy machine the
    check alone takes Airflow 10 s. A database elsewhere (Postgres) is always migrated, as is
    a file copied in or restored (a new inode). Returns whether the migration ran; raises
    ConfigError, naming the log, when it failed."""
    from importlib.metadata import version

    database = settings.airflow_home / "airflow.db"
    stamp = settings.airflow_home / "airflow.db.migrated"
    sqlite = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(f"sqlite:///{database}")

    def mark() -> str:
        airflow = version("apache-airflow-core")
        return f"apache-airflow-core {airflow} inode {database.stat().st_ino}"

    if sqlite and database.exists() and stamp.exists() and stamp.read_text() == mark():
        return False
    stamp.unlink(missing_ok=True)
    airflow = str(Path(sys.executable).parent / "airflow")
    done = subprocess.run([airflow, "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise ConfigError(f"`airflow db migrate` failed (see {log.name})")
    if sqlite:
        stamp.write_text(mark())
    return True


def dbt_executable() -> str:
    return shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
