"""The open-data catalogue's raw tables, declared once (see ``ingestion.common.raw.RawTable``):
what the landing creates and writes, what dbt's sources and the landing suites name. Each keeps a
history per key: a value that changes back lands again (see insert_new_rows)."""

from __future__ import annotations

from ingestion.common.ledger import LEDGER
from ingestion.common.raw import Column, observations

_API_URI = Column("api_uri", "text")
_VERSION = Column("version", "text")

DATASETS = observations(
    "opendata_datasets", origin="source_url", between=(_API_URI,), key=("api_uri",)
)
MAPPINGS = observations(
    "opendata_mappings", origin="source_url", between=(_API_URI,), key=("api_uri",)
)
PASSPORTS = observations(
    "opendata_passports",
    origin="source_url",
    between=(_API_URI, _VERSION),
    key=("api_uri", "version"),
)
RECORDS = observations(
    "opendata_records",
    origin="source_url",
    between=(_API_URI, _VERSION, Column("record_key", "text")),
    key=("api_uri", "version", "record_key"),
)

RAW_TABLES = (LEDGER, DATASETS, MAPPINGS, PASSPORTS, RECORDS)
