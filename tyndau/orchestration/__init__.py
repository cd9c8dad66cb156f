"""What the DAGs share: the warehouse connection, the quality gate, publishing, and dbt's
configuration for Cosmos. One module per source (`dialog`, …) holds that source's Assets and
task bodies.

Kept out of `dags/` so the DAG files stay a few lines of wiring, and out of `ingestion/` so the
ingestion library never imports Airflow.
"""

from __future__ import annotations

import logging

from airflow.sdk import Asset, BaseHook, Variable

from tyndau.airflow_env import WAREHOUSE_CONN_ID
from tyndau.settings import DBT_PROJECT_DIR
from tyndau.warehouse import make_url

log = logging.getLogger(__name__)

# Assets name tables in the warehouse; the warehouse is whatever the connection points at.
PUBLISHED_MARTS = Asset(name="marts", group="marts")


def warehouse_url() -> str:
    """The warehouse's URL, from the Airflow connection built from WAREHOUSE_URL."""
    conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
    return make_url(
        host=conn.host, port=conn.port, user=conn.login, password=conn.password, dbname=conn.schema
    )


def prepare_raw() -> None:
    """Every source's raw tables exist before dbt reads them, landed or not."""
    from tyndau.warehouse import ensure_raw_tables

    ensure_raw_tables(warehouse_url())


def quality_gate(checkpoint: str) -> dict:
    """Run a committed GX checkpoint; a failure fails the task, with every failed expectation."""
    from airflow.exceptions import AirflowFailException

    from expectations.gate import run_checkpoint

    result = run_checkpoint(checkpoint, warehouse_url())
    log.info("%s\nData Docs: %s", result.summary(), result.data_docs)
    if not result.success:
        raise AirflowFailException(result.summary())
    return {"checkpoint": checkpoint, "evaluated": result.evaluated}


def publish() -> list[str]:
    from tyndau.publish import publish_marts

    reader_password = Variable.get("reader_password", default=None)
    tables = publish_marts(warehouse_url(), reader_password)
    log.info("published marts: %s", ", ".join(tables))
    return tables


def dbt_task_group_args() -> dict:
    """Cosmos configuration of the dbt project: profile from the Airflow connection."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    from tyndau.airflow_env import dbt_executable

    return {
        "project_config": ProjectConfig(DBT_PROJECT_DIR),
        "profile_config": ProfileConfig(
            profile_name="tyndau",
            target_name="airflow",
            profile_mapping=PostgresUserPasswordProfileMapping(
                conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": "public"}
            ),
        ),
        "execution_config": ExecutionConfig(
            dbt_executable_path=dbt_executable(), invocation_mode=InvocationMode.DBT_RUNNER
        ),
        # `dbt build` per node; a test with two parents (relationships) gets its own task after
        # both, since it cannot run with either one alone
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_LS,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
        ),
        "operator_args": {"install_deps": False},
    }
