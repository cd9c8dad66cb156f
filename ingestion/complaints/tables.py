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


def _report_rows(name: str, last_key: str, index: Index) -> RawTable:
    """A report's rows, keyed on their file and the row's natural key: period, body and
    ``last_key``."""
    key = ("file_hash", "period", "gov_body_code", last_key)
    return observations(
        name,
        origin="source_file",
        between=tuple(Column(column, "text") for column in key),
        key=key,
        history=False,
        indexes=(index,),
    )


#: A figures report's rows: per period, body and applicant type.
ROWS = _report_rows(
    "complaints_rows",
    "applicant_type",
    Index("complaints_rows_by_key", ("period", "gov_body_code", "applicant_type", "observed_at")),
)
#: A topic report's rows: justified complaints of a period and body by topic.
TOPICS = _report_rows(
    "complaints_topics",
    "topic",
    Index("complaints_topics_by_key", ("period", "gov_body_code", "observed_at")),
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
