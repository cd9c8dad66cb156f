"""Airflow DAGs: one ingest DAG per source of the registry (tyndau.sources) — `dialog_ingest`,
`opendata_ingest`, `complaints_ingest`: land, check the landing, announce the source's Asset."""

from tyndau.orchestration.ingest import SOURCES, ingest_dag

for source in SOURCES:
    ingest_dag(source)
