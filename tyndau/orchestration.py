"""What the DAGs share: Assets, the warehouse connection, and the task bodies they wire up.

Kept out of `dags/` so the DAG files stay a few lines of wiring, and out of `ingestion/` so the
ingestion library never imports Airflow.
"""

from __future__ import annotations

import logging
from pathlib import Path

from airflow.sdk import Asset, BaseHook, Variable

from tyndau.airflow_env import WAREHOUSE_CONN_ID
from tyndau.settings import PROJECT_DIR
from tyndau.warehouse import make_url

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"

# Assets name tables in the warehouse; the warehouse is whatever the connection points at.
RAW_DIALOG_APPEALS = Asset(name="raw.dialog_appeals", group="raw")
PUBLISHED_MARTS = Asset(name="marts", group="marts")


def warehouse_url() -> str:
    """The warehouse's URL, from the Airflow connection built from WAREHOUSE_URL."""
    conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
    return make_url(
        host=conn.host, port=conn.port, user=conn.login, password=conn.password, dbname=conn.schema
    )


def land_dialog_appeals() -> dict:
    """Crawl every blog of the registry and land what it sees in raw.

    Pages that stay broken are set aside (the next run picks them up); the task fails only
    when the portal gave nothing at all.
    """
    from ingestion.dialog import land_dialog

    report = land_dialog(
        warehouse_url(),
        Variable.get("dialog_base_url"),
        Path(Variable.get("dialog_blogs_file")),
        crawl_delay_floor=float(Variable.get("dialog_min_delay", default="0")),
    )
    for url, reason in report.failed_pages:
        log.warning("page set aside: %s (%s)", url, reason)
    if report.failed_pages and not report.pages_fetched:
        url, reason = report.failed_pages[0]
        raise RuntimeError(f"the portal gave no page at all; first failure: {url}: {reason}")
    summary = {
        "load_id": str(report.load_id),
        "pages_fetched": report.pages_fetched,
        "requests_made": report.requests_made,
        "cards_seen": report.cards_seen,
        "rows_inserted": report.rows_inserted,
        "rejects": report.rejects,
        "failed_pages": len(report.failed_pages),
    }
    log.info("dialog landing: %s", summary)
    return summary


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
