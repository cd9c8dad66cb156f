"""The ingest DAG of a source, built from its registry entry (tyndau.sources): land, check the
landing with its GX checkpoint and announce its Asset; for a source that says so, skip the
check when nothing landed, and fail at the end when files were set aside."""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import Param, dag, task

from tyndau.orchestration import airflow_settings, alerts, quality_gate, raw_asset, warehouse_url
from tyndau.settings import env_name
from tyndau.sources import SOURCES as SOURCES
from tyndau.sources import Source

log = logging.getLogger(__name__)


def land(source: Source, params: dict) -> dict:
    """The source's land step on the settings it declares, as Airflow carries them; its
    report's summary is what the task returns (and `tyndau run` prints)."""
    from airflow.sdk.exceptions import AirflowFailException

    settings = airflow_settings(source.settings)
    if not source.configured(settings):
        # a missing setting is not a passing fault: no retry
        raise AirflowFailException(
            f"{env_name(source.configured_by)} is not set: {source.dag_id} has nothing to land"
        )
    report = source.land(
        settings, warehouse_url(), **{name: params[name] for name in source.params}
    )
    summary = report.summary()
    log.info("%s landing: %s", source.name, summary)
    return summary


def ingest_dag(source: Source):
    """The DAG `<source>_ingest`."""

    @dag(
        dag_id=source.dag_id,
        schedule=source.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Almaty"),
        catchup=False,
        default_args=alerts.DEFAULT_ARGS,  # a failed task alerts (webhook and/or e-mail)
        max_active_runs=1,
        tags=source.tags,
        doc_md=source.doc,
        params={name: Param(**spec) for name, spec in source.params.items()},
    )
    def ingest():
        @task(task_id="land")
        def land_task(params: dict | None = None) -> dict:  # Airflow fills in the run's params
            return land(source, params)

        @task(outlets=[raw_asset(source)])
        def check_raw_landing() -> dict:
            return quality_gate(source.checkpoint)

        summary = land_task()
        if source.landed_anything:

            @task.short_circuit
            def landed_anything(summary: dict) -> bool:
                return source.landed_anything(summary)

            landed_anything(summary) >> check_raw_landing()
        else:
            summary >> check_raw_landing()
        if source.rejected:

            @task
            def report_rejected(summary: dict) -> None:
                from airflow.sdk.exceptions import AirflowFailException

                if why := source.rejected(summary):
                    raise AirflowFailException(why)

            report_rejected(summary)

    return ingest()
