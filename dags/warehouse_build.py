"""Airflow DAG: build the dbt project with Cosmos, validate the marts with GX, publish if green.

Beside the build, `dbt source freshness` checks that every source still lands: a stale one is
a warning (in the log and through the alert channels), never a failed build."""

import pendulum
from airflow.sdk import Param, dag, task
from cosmos import DbtTaskGroup

from expectations.gate import MARTS_GATE
from tyndau import orchestration as orch
from tyndau.orchestration import alerts, complaints, dialog, opendata


@dag(
    dag_id="warehouse_build",
    # any source that landed something new triggers a build
    schedule=(dialog.RAW_DIALOG_APPEALS | opendata.RAW_OPENDATA | complaints.RAW_COMPLAINTS),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Almaty"),
    catchup=False,
    default_args=alerts.DEFAULT_ARGS,  # a failed task alerts (webhook and/or e-mail)
    max_active_runs=1,
    tags=["tyndau", "dbt", "quality"],
    params={
        "full_refresh": Param(
            False,
            type="boolean",
            description="rebuild the incremental models from scratch (after a change of the "
            "models, the calendar or the legal term)",
        )
    },
    doc_md=__doc__,
)
def warehouse_build():
    @task
    def prepare_raw() -> None:
        orch.prepare_raw()

    @task
    def source_freshness() -> dict:
        return orch.source_freshness()

    dbt = DbtTaskGroup(group_id="dbt", **orch.dbt_task_group_args())

    @task
    def marts_gate() -> dict:
        return orch.quality_gate(MARTS_GATE)

    @task(outlets=[orch.PUBLISHED_MARTS])
    def publish() -> list[str]:
        return orch.publish()

    raw = prepare_raw()
    raw >> source_freshness()
    raw >> dbt >> marts_gate() >> publish()
    orch.report_after_the_build(dbt, raw)


warehouse_build()
