"""Airflow's environment for the embedded set-up: its home, SQLite metadata, our DAGs, and the
connection and variables the DAGs read, all built from tyndau's settings."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from tyndau.settings import PROJECT_DIR, Settings
from tyndau.warehouse import url_parts

WAREHOUSE_CONN_ID = "tyndau_warehouse"
OPENDATA_CONN_ID = "tyndau_opendata"  # http: host = base URL, password = API key


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
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": json.dumps(connection),
        "AIRFLOW_VAR_DIALOG_BLOGS_FILE": str(settings.dialog_blogs_file),
        "AIRFLOW_VAR_DIALOG_MIN_DELAY": str(settings.dialog_min_delay),
        # Cosmos calls dbt from the same virtual environment as Airflow.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if settings.dialog_base_url:
        env["AIRFLOW_VAR_DIALOG_BASE_URL"] = settings.dialog_base_url
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
    if settings.reader_password:
        # Airflow masks variables named like passwords in its logs
        env["AIRFLOW_VAR_READER_PASSWORD"] = settings.reader_password
    return env


def dbt_executable() -> str:
    return shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
