"""The complaint reports' raw tables, declared once (see ``ingestion.common.raw.RawTable``):
what the landing creates and writes, what dbt's sources and the landing suites name."""

from __future__ import annotations

from ingestion.common.ledger import LEDGER
from ingestion.common.raw import Column, Index, RawTable, observations

#: One row per landed file, keyed on the sha256 of its bytes.
REPORT_FILES = observations(
    "complaints_report_files",
    origin="source_file",
    between=(Column("report_kind", "text"),),
    key=("content_hash",),
    history=False,
)

_SLICE = (Column("file_hash", "text"), Column("period", "text"), Column("gov_body_code", "text"))

#: A figures report's rows, keyed on their file and natural key (period, body, applicant type).
ROWS = observations(
    "complaints_rows",
    origin="source_file",
    between=(*_SLICE, Column("applicant_type", "text")),
    key=("file_hash", "period", "gov_body_code", "applicant_type"),
    history=False,
    indexes=(
        Index(
            "complaints_rows_by_key", ("period", "gov_body_code", "applicant_type", "observed_at")
        ),
    ),
)

#: A topic report's rows: justified complaints of a period and body by topic.
TOPICS = observations(
    "complaints_topics",
    origin="source_file",
    between=(*_SLICE, Column("topic", "text")),
    key=("file_hash", "period", "gov_body_code", "topic"),
    history=False,
    indexes=(Index("complaints_topics_by_key", ("period", "gov_body_code", "observed_at")),),
)

#: One row per time a file was taken from the inbox (a re-drop of a known file too).
ARRIVALS = RawTable(
    "complaints_arrivals",
    (
        Column("load_id", "uuid"),
        Column("arrived_at", "timestamptz"),
        Column("source_file", "text"),
        Column("file_hash", "text"),
    ),
    key=("file_hash", "arrived_at"),
)

RAW_TABLES = (LEDGER, REPORT_FILES, ROWS, TOPICS, ARRIVALS)
