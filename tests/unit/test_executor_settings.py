"""The executor's settings, tyndau.airflow_env.executor_environment: one task at a time on
SQLite, several on Postgres metadata (through psycopg 3), and the Celery cluster's broker and
result backend; a cluster without a broker or on SQLite is refused with a clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tyndau.airflow_env import airflow_environment, executor_environment
from tyndau.settings import ConfigError, load_settings

PG = "postgresql://airflow:secret@db.example:5432/airflow"


def test_sqlite_metadata_runs_one_task_postgres_several():
    sqlite = executor_environment("local", "sqlite:////tmp/a/airflow.db?timeout=60")
    assert sqlite["AIRFLOW__CORE__PARALLELISM"] == "1"
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC" not in sqlite
    pg = executor_environment("local", PG)
    assert int(pg["AIRFLOW__CORE__PARALLELISM"]) > 1
    assert pg["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    # psycopg 3 for both engines: asyncpg, Airflow's default for the async one, is not installed
    psycopg3 = "postgresql+psycopg://airflow:secret@db.example:5432/airflow"
    assert pg["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == psycopg3
    assert pg["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == psycopg3


def test_the_metadata_url_of_the_settings_reaches_airflow_the_same_way(tmp_path):
    settings = load_settings(
        {"TYNDAU_STATE_DIR": str(tmp_path), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": PG}
    )
    env = airflow_environment(settings, "postgresql://u@localhost/w")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")


def test_the_cluster_has_its_broker_and_its_results_in_the_metadata_database():
    env = executor_environment("celery", PG, "redis://127.0.0.1:6380/0", 3)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6380/0"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == (
        "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    )
    assert env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "3"


@pytest.mark.parametrize(
    ("metadata", "broker"), [("sqlite:////tmp/airflow.db", "redis://r/0"), (PG, None)]
)
def test_a_cluster_without_postgres_or_a_broker_is_refused(metadata, broker):
    with pytest.raises(ConfigError, match="broker .*Postgres metadata"):
        executor_environment("celery", metadata, broker)


def test_a_celery_component_without_its_metadata_database_says_so(tmp_path):
    tyndau = Path(sys.executable).parent / "tyndau"
    done = subprocess.run(
        [str(tyndau), "airflow", "--executor", "celery", "--component", "celery-worker"],
        env={"TYNDAU_STATE_DIR": str(tmp_path), "WAREHOUSE_URL": "postgresql://u@localhost/w"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "needs AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in done.stderr


def test_a_long_running_airflow_retries_and_a_cluster_notices_a_dead_worker(tmp_path):
    """TASK_RETRIES and TASK_RETRY_DELAY_SECONDS reach `tyndau airflow` (not `tyndau run`, whose
    one process is the run); a Celery cluster fails a task whose heartbeat is a minute old
    (Airflow's default: five), the LocalExecutor keeps Airflow's."""
    from tyndau.airflow_ui import ui_environment

    assert (
        executor_environment("celery", PG, "redis://r/0")[
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"
        ]
        == "60"
    )
    assert "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT" not in executor_environment(
        "local", PG
    )
    env = {"TYNDAU_STATE_DIR": str(tmp_path), "TASK_RETRIES": "3", "TASK_RETRY_DELAY_SECONDS": "7"}
    settings = load_settings(env)
    ui = ui_environment(settings, "postgresql://u@localhost/w", 8080, "127.0.0.1")
    assert (
        ui["AIRFLOW__CORE__DEFAULT_TASK_RETRIES"],
        ui["AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY"],
    ) == (
        "3",
        "7",
    )
    assert "AIRFLOW__CORE__DEFAULT_TASK_RETRIES" not in airflow_environment(
        settings, "postgresql://u@localhost/w"
    )
    defaults = load_settings({"TYNDAU_STATE_DIR": str(tmp_path)})
    assert (defaults.task_retries, defaults.task_heartbeat_timeout_seconds) == (2, 60)
    for name, bad in [("TASK_RETRIES", "-1"), ("TASK_HEARTBEAT_TIMEOUT_SECONDS", "0")]:
        with pytest.raises(ConfigError, match=name):
            load_settings({name: bad})
