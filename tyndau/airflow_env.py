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

from tyndau.settings import DAGS_DIR, ConfigError, Settings
from tyndau.warehouse.url import url_parts

WAREHOUSE_CONN_ID = "tyndau_warehouse"
OPENDATA_CONN_ID = "tyndau_opendata"  # http: host = base URL, password = API key
ALERT_WEBHOOK_CONN_ID = "tyndau_alert_webhook"  # http: host = the URL alerts are POSTed to
ALERT_SMTP_CONN_ID = "tyndau_alert_smtp"  # smtp: the server alert e-mails go through

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
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
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
        "AIRFLOW_VAR_DIALOG_MIN_DELAY": str(settings.dialog_min_delay),
        "AIRFLOW_VAR_DIALOG_MAX_REJECT_SHARE": str(settings.dialog_max_reject_share),
        "AIRFLOW_VAR_COMPLAINTS_SETTLE_SECONDS": str(settings.complaints_settle_seconds),
        "AIRFLOW_VAR_COMPLAINTS_MAX_FILE_BYTES": str(settings.complaints_limits.max_file_bytes),
        "AIRFLOW_VAR_COMPLAINTS_MAX_SHEET_ROWS": str(settings.complaints_limits.max_sheet_rows),
        "AIRFLOW_VAR_COMPLAINTS_MAX_SHEET_COLS": str(settings.complaints_limits.max_sheet_cols),
        "AIRFLOW_VAR_HTTP_MAX_BODY_MB": str(settings.http_max_body_mb),
        # every task's execution_timeout (tyndau.orchestration.alerts.DEFAULT_ARGS), in seconds
        "AIRFLOW__CORE__DEFAULT_TASK_EXECUTION_TIMEOUT": str(
            round(settings.task_timeout_minutes * 60)
        ),
        "AIRFLOW_VAR_READER_STATEMENT_TIMEOUT": settings.reader_statement_timeout,
        # Cosmos calls dbt from the same virtual environment as Airflow.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if settings.dialog_base_url:
        env["AIRFLOW_VAR_DIALOG_BASE_URL"] = settings.dialog_base_url
    if settings.dialog_blogs_file:
        env["AIRFLOW_VAR_DIALOG_BLOGS_FILE"] = str(settings.dialog_blogs_file)
    if settings.complaints_inbox:
        env["AIRFLOW_VAR_COMPLAINTS_INBOX"] = str(settings.complaints_inbox)
    if settings.opendata_base_url:
        opendata = {
            "conn_type": "http",
            "host": settings.opendata_base_url,
            "password": settings.opendata_api_key or "",
        }
        env[f"AIRFLOW_CONN_{OPENDATA_CONN_ID.upper()}"] = json.dumps(opendata)
    if settings.opendata_watch_file:
        env["AIRFLOW_VAR_OPENDATA_WATCH_FILE"] = str(settings.opendata_watch_file)
    env |= _alert_environment(settings)
    if settings.reader_password:
        # Airflow masks variables named like passwords in its logs
        env["AIRFLOW_VAR_READER_PASSWORD"] = settings.reader_password
    return env


def _alert_environment(settings: Settings) -> dict[str, str]:
    """The alert channels (tyndau.orchestration.alerts) as Airflow connections and a variable;
    the base URL the alerts' log links start with."""
    env = {}
    if settings.airflow_base_url:
        env["AIRFLOW__API__BASE_URL"] = settings.airflow_base_url
    if settings.alert_webhook_url:
        webhook = {"conn_type": "http", "host": settings.alert_webhook_url}
        env[f"AIRFLOW_CONN_{ALERT_WEBHOOK_CONN_ID.upper()}"] = json.dumps(webhook)
    if settings.alert_email:
        if not settings.alert_smtp_url:
            raise ConfigError(
                "ALERT_EMAIL is set but ALERT_SMTP_URL is not: give the mail server as an "
                "Airflow connection URI, e.g. smtp://user:password@mail.example.org:587"
                "?from_email=tyndau%40example.org"
            )
        env["AIRFLOW_VAR_ALERT_EMAIL"] = settings.alert_email
    if settings.alert_smtp_url:
        env[f"AIRFLOW_CONN_{ALERT_SMTP_CONN_ID.upper()}"] = settings.alert_smtp_url
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
