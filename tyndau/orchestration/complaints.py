"""Complaint statistics: its Asset, its landing checkpoint and the bodies of its tasks."""

from __future__ import annotations

import logging
from pathlib import Path

from airflow.sdk import Asset, Variable

from tyndau.orchestration import quality_gate, warehouse_url

log = logging.getLogger(__name__)

RAW_COMPLAINTS = Asset(name="raw.complaints_rows", group="raw")
#: The GX checkpoint of the landing (expectations/gx/checkpoints/complaints_raw_landing.json).
RAW_LANDING = "complaints_raw_landing"
INBOX_VARIABLE = "complaints_inbox"


def land_reports() -> dict:
    """Land every new report file of the inbox (Airflow Variable ``complaints_inbox``).

    Files that cannot be used are moved to ``<inbox>/rejected/`` with their reason and listed
    in the summary; they do not stop the other files from landing.
    """
    from ingestion.complaints import ReportLimits, land_complaints
    from ingestion.complaints.land import DEFAULT_SETTLE_SECONDS

    inbox = Path(Variable.get(INBOX_VARIABLE))
    inbox.mkdir(parents=True, exist_ok=True)  # a fresh set-up has nothing dropped yet
    default = ReportLimits()
    limits = ReportLimits(
        max_file_bytes=int(Variable.get("complaints_max_file_bytes", default.max_file_bytes)),
        max_sheet_rows=int(Variable.get("complaints_max_sheet_rows", default.max_sheet_rows)),
        max_sheet_cols=int(Variable.get("complaints_max_sheet_cols", default.max_sheet_cols)),
    )
    settle = float(Variable.get("complaints_settle_seconds", DEFAULT_SETTLE_SECONDS))
    report = land_complaints(warehouse_url(), inbox, settle_seconds=settle, limits=limits)
    for rejected in report.rejected:
        log.warning("file set aside: %s (%s)", rejected.moved_to, rejected.reason)
    for waiting in report.waiting:
        log.info("file left for the next run: %s (%s)", waiting.source_file, waiting.reason)
    for entry in report.replaced:
        log.warning(
            "%s replaces %s for %s %s",
            *(entry["file"], ", ".join(entry["replaced_files"]), entry["period"]),
            entry["gov_body_code"],
        )
    summary = {
        "load_id": str(report.load_id),
        "inbox": str(inbox),
        "files_seen": report.files_seen,
        "files_landed": [f.source_file for f in report.landed],
        "rows_inserted": report.rows_inserted,
        "topic_rows_inserted": report.topic_rows_inserted,
        "duplicates": report.duplicates,
        "reinstated": [f.source_file for f in report.reinstated],
        "rejected": [{"file": r.source_file, "reason": r.reason} for r in report.rejected],
        "waiting": [{"file": w.source_file, "reason": w.reason} for w in report.waiting],
        "replaced": [f"{e['period']}/{e['gov_body_code']} ({e['file']})" for e in report.replaced],
    }
    log.info("complaints landing: %s", summary)
    return summary


def landed_anything(summary: dict) -> bool:
    """Whether the run changed what is in force (landed a file, or put an earlier one back in
    force): only then is the landing checked and the Asset updated (a run over an empty inbox
    must not rebuild the warehouse every 30 minutes)."""
    return bool(summary["files_landed"] or summary.get("reinstated"))


def check_raw_landing() -> dict:
    return quality_gate(RAW_LANDING)


def fail_on_rejected(summary: dict) -> None:
    """Fail (after the good files went on) when files were set aside: someone must look."""
    from airflow.sdk.exceptions import AirflowFailException

    if summary["rejected"]:
        lines = [f"{r['file']}: {r['reason']}" for r in summary["rejected"]]
        raise AirflowFailException(
            f"{len(lines)} report file(s) set aside in {summary['inbox']}/rejected:\n"
            + "\n".join(lines)
        )
