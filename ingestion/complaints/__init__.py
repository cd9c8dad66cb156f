"""Complaint statistics: report files dropped into an inbox folder, landed in raw.

- ``columns``: every assumption about the files (Russian column names → canonical names, value
  spellings, totals markers), in one place;
- ``parse``: one file's bytes → a :class:`Report` of records, or a :class:`ReportError` (pure);
- ``tables``: the raw tables, declared once;
- ``load``: how one report lands in them (one transaction per file);
- ``land``: ``land_complaints``, the one call that walks the inbox and keeps the ledger.

Raw is append-only: a file lands once (by the sha256 of its bytes); every time a file is taken
from the inbox its arrival is recorded. A corrected file for the same period and body lands
beside the earlier one; staging takes, per period and body, all the rows of the file that
arrived last, and the ledger's stats list the period/body keys whose figures were replaced.
"""

from ingestion.complaints.land import (
    LandingReport,
    Progress,
    RejectedFile,
    WaitingFile,
    land_complaints,
)
from ingestion.complaints.load import LandedFile, ensure_raw_schema
from ingestion.complaints.parse import Report, ReportError, ReportLimits, parse_count, parse_report

__all__ = [
    "LandedFile",
    "LandingReport",
    "Progress",
    "RejectedFile",
    "WaitingFile",
    "Report",
    "ReportError",
    "ReportLimits",
    "ensure_raw_schema",
    "land_complaints",
    "parse_count",
    "parse_report",
]
