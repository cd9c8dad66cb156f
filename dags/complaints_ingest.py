"""Airflow DAG: land new complaint report files from the inbox, check the landing, announce it.

Every 30 minutes, whatever is new in the inbox (Airflow Variable `complaints_inbox`) is landed
in raw; no sensor. Only a run that landed a file checks the landing with GX and updates the
Asset `raw.complaints_rows`, so an empty inbox does not trigger the warehouse. Files set aside
(unreadable, a missing column) fail the run's last task, after the good files went on.
"""

import pendulum
from airflow.sdk import dag, task

from tyndau.orchestration import alerts, complaints


@dag(
    dag_id="complaints_ingest",
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Almaty"),
    catchup=False,
    default_args=alerts.DEFAULT_ARGS,  # a failed task alerts (webhook and/or e-mail)
    max_active_runs=1,
    tags=["tyndau", "complaints", "ingest"],
    doc_md=__doc__,
)
def complaints_ingest():
    @task
    def land() -> dict:
        return complaints.land_reports()

    @task.short_circuit
    def landed_anything(summary: dict) -> bool:
        return complaints.landed_anything(summary)

    @task(outlets=[complaints.RAW_COMPLAINTS])
    def check_raw_landing() -> dict:
        return complaints.check_raw_landing()

    @task
    def report_rejected(summary: dict) -> None:
        complaints.fail_on_rejected(summary)

    summary = land()
    landed_anything(summary) >> check_raw_landing()
    report_rejected(summary)


complaints_ingest()
