"""Airflow DAG: land the open-data catalogue (data.egov.kz) into raw, check the landing,
announce the Asset.

Run with `full_refresh` to re-read every passport (not only new, changed or month-old ones) and
every watched dataset's records (not only those changed since the last load)."""

import pendulum
from airflow.sdk import Param, dag, task

from tyndau import orchestration as orch
from tyndau.orchestration import alerts, opendata


@dag(
    dag_id="opendata_ingest",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Almaty"),
    catchup=False,
    default_args=alerts.DEFAULT_ARGS,  # a failed task alerts (webhook and/or e-mail)
    max_active_runs=1,
    tags=["tyndau", "opendata", "ingest"],
    params={"full_refresh": Param(False, type="boolean", description="re-read everything")},
    doc_md=__doc__,
)
def opendata_ingest():
    @task
    def land(params: dict | None = None) -> dict:  # Airflow fills in the run's params
        return opendata.land_catalogue(full_refresh=params["full_refresh"])

    @task(outlets=[opendata.RAW_OPENDATA])
    def check_raw_landing() -> dict:
        return orch.quality_gate(opendata.RAW_LANDING)

    land() >> check_raw_landing()


opendata_ingest()
