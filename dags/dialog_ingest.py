"""Airflow DAG: crawl the Open Dialogue portal into raw, check the landing, announce the Asset."""

import pendulum
from airflow.sdk import Param, dag, task

from expectations.gate import RAW_LANDING
from tyndau import orchestration as orch
from tyndau.orchestration import alerts, dialog


@dag(
    dag_id="dialog_ingest",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Almaty"),
    catchup=False,
    default_args=alerts.DEFAULT_ARGS,  # a failed task alerts (webhook and/or e-mail)
    max_active_runs=1,
    tags=["tyndau", "dialog", "ingest"],
    doc_md=__doc__,
    params={
        "full_refresh": Param(
            False,
            type="boolean",
            description="Re-read every page of every blog instead of stopping at settled pages.",
        )
    },
)
def dialog_ingest():
    @task
    def land(params: dict | None = None) -> dict:  # Airflow fills in the run's params
        return dialog.land_appeals(full_refresh=params["full_refresh"])

    @task(outlets=[dialog.RAW_DIALOG_APPEALS])
    def check_raw_landing() -> dict:
        return orch.quality_gate(RAW_LANDING)

    land() >> check_raw_landing()


dialog_ingest()
