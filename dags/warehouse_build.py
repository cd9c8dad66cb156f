"""Airflow DAG: build the dbt project with Cosmos, validate the marts with GX, publish if green.

Before dbt, every landed appeal without masked texts under the current masking rules is masked
(personal data never reaches dbt unmasked; param `remask` masks every appeal again).

Beside the build, `dbt source freshness` checks that every source still lands: a stale one is
a warning (in the log and through the alert channels), never a failed build."""

import pendulum
from airflow.sdk import Param, dag, task
from cosmos import DbtTaskGroup

from tyndau import orchestration as orch
from tyndau.orchestration import MARTS_GATE, alerts


@dag(
    dag_id="warehouse_build",
    # any source that landed something new triggers a build
    schedule=orch.any_raw_asset(),
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
        ),
        "remask": Param(
            False,
            type="boolean",
            description="mask the personal data of every landed appeal again, not only of "
            "those not masked under the current rules (which every build does)",
        ),
    },
    doc_md=__doc__,
)
def warehouse_build():
    @task
    def prepare_raw() -> None:
        orch.prepare_raw()

    @task
    def mask_personal_data(params: dict | None = None) -> dict:  # Airflow fills in the params
        return orch.mask_personal_data(everything=params["remask"])

    dbt = DbtTaskGroup(group_id="dbt", **orch.dbt_task_group_args())

    @task
    def source_freshness(parse_cache: str | None) -> dict:
        return orch.source_freshness(parse_cache)

    @task
    def marts_gate() -> dict:
        return orch.quality_gate(MARTS_GATE)

    @task(outlets=[orch.PUBLISHED_MARTS])
    def publish() -> list[str]:
        return orch.publish()

    raw = prepare_raw()
    masked = mask_personal_data()
    # dbt parses the project once: the check starts from the build's cached parse
    cache_dir = dbt.dbt_graph.cache_dir
    raw >> source_freshness(str(cache_dir) if cache_dir else None)
    raw >> masked >> dbt >> marts_gate() >> publish()
    orch.report_after_the_build(dbt, masked)


warehouse_build()
