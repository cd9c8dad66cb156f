"""One call lands whatever is new in the complaints inbox, and keeps the run's ledger row.

The inbox is a folder (``COMPLAINTS_INBOX``) where people or scripts drop report files:

- ``*.xlsx`` and ``*.csv`` files at its top level are read, oldest first (modification time,
  then name), so that of two files for the same period and body the later drop wins;
- a file whose content hash is already in raw is a duplicate: nothing is landed;
- a file that lands, or is a duplicate, moves to ``<inbox>/processed/``; the inbox itself
  therefore only ever holds what is new (and landing stays idempotent by hash should a file
  be dropped again, under any name);
- a file that cannot be read, lacks a required column or holds an invalid row moves to
  ``<inbox>/rejected/`` with ``<name>.reason.txt`` beside it, and nothing of it is landed;
- hidden files (``.name``), Office lock files (``~$name``) and files still being copied
  (``*.part``, ``*.tmp``, ``*.crdownload``) are left alone. Drop files atomically (copy under
  a hidden name, then rename) when a copy can take long;
- any other file is rejected as an unsupported type.

A name already taken in ``processed/`` or ``rejected/`` by another file gets the file's short
hash appended (a corrected file often keeps the name); the very same bytes already there are
not kept twice. The load ledger (source ``complaints``) lists, per run, the files landed, the
duplicates, the files set aside with their reasons, and every period + body whose figures a
corrected file replaced.
This is what the Airflow task calls (it must not import Airflow); the tests call it too.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from ingestion.common.ledger import recorded_load, start_load
from ingestion.common.raw import landing_connection
from ingestion.complaints.load import (
    SOURCE,
    AlreadyLanded,
    LandedFile,
    ensure_raw_schema,
    is_known_file,
    land_report,
)
from ingestion.complaints.parse import ReportError, parse_report

log = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
REJECTED_DIR = "rejected"
REASON_SUFFIX = ".reason.txt"
_IN_FLIGHT_SUFFIXES = (".part", ".tmp", ".crdownload")


@dataclass(frozen=True)
class RejectedFile:
    source_file: str
    reason: str
    moved_to: str


@dataclass
class LandingReport:
    """What one run over the inbox did."""

    load_id: uuid.UUID
    inbox: str
    files_seen: int = 0
    landed: list[LandedFile] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[RejectedFile] = field(default_factory=list)

    @property
    def rows_inserted(self) -> int:
        return sum(f.rows_inserted for f in self.landed if f.kind == "figures")

    @property
    def topic_rows_inserted(self) -> int:
        return sum(f.rows_inserted for f in self.landed if f.kind == "topics")

    @property
    def replaced(self) -> list[dict]:
        """Every period + body whose earlier figures a file of this run replaced."""
        return [
            {"file": f.source_file, "kind": f.kind} | entry
            for f in self.landed
            for entry in f.replaced
        ]

    def as_stats(self) -> dict:
        """The figures for the ledger's ``stats`` column (JSON)."""
        return {
            "load_id": str(self.load_id),
            "inbox": self.inbox,
            "files_seen": self.files_seen,
            "files_landed": len(self.landed),
            "rows_inserted": self.rows_inserted,
            "topic_rows_inserted": self.topic_rows_inserted,
            "landed": [asdict(f) | {"replaced": len(f.replaced)} for f in self.landed],
            "duplicates": self.duplicates,
            "rejected": [asdict(r) for r in self.rejected],
            "replaced": self.replaced,
        }


@dataclass(frozen=True)
class Progress:
    """Sent to the ``progress`` callback after every file."""

    source_file: str
    file_number: int  # 1-based
    files_total: int
    outcome: str  # landed | duplicate | rejected | gone (removed before it was read)


def land_complaints(
    warehouse_url: str,
    inbox: Path,
    *,
    progress: Callable[[Progress], None] | None = None,
) -> LandingReport:
    """Land every new report file of ``inbox`` in raw; see the module's docstring.

    Rejected files do not fail the run (they are moved aside and listed in the report and the
    ledger); any other error marks the ledger row 'failed' and is re-raised. Files landed
    before that error stay landed (one transaction per file).
    """
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise FileNotFoundError(f"complaints inbox {inbox} is not a folder")
    candidates = inbox_files(inbox)
    with landing_connection(warehouse_url) as conn:
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        report = LandingReport(load_id=load_id, inbox=str(inbox), files_seen=len(candidates))
        log.info("complaints load %s started: %d file(s) in %s", load_id, len(candidates), inbox)
        with recorded_load(conn, report):
            for number, path in enumerate(candidates, start=1):
                outcome = _land_file(conn, report, inbox, path)
                if progress is not None:
                    progress(Progress(path.name, number, len(candidates), outcome))
    log.info(
        "complaints load %s succeeded: %d file(s) landed (%d figure rows, %d topic rows), "
        "%d duplicate(s), %d rejected, %d period/body key(s) replaced",
        *(load_id, len(report.landed), report.rows_inserted, report.topic_rows_inserted),
        *(len(report.duplicates), len(report.rejected), len(report.replaced)),
    )
    return report


def inbox_files(inbox: Path) -> list[Path]:
    """The files a run considers, oldest first (modification time, then name)."""
    files = [
        path
        for path in inbox.iterdir()
        if path.is_file()
        and not path.name.startswith((".", "~$"))
        and not path.name.lower().endswith(_IN_FLIGHT_SUFFIXES)
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _land_file(conn: psycopg.Connection, report: LandingReport, inbox: Path, path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # taken away meanwhile (e.g. by a concurrent run): not ours
        log.info("%s: gone before it could be read", path.name)
        return "gone"
    except OSError as exc:
        _reject(report, inbox, path, f"cannot read the file: {exc}", file_hash=None)
        return "rejected"
    file_hash = hashlib.sha256(data).hexdigest()
    if is_known_file(conn, file_hash):
        log.info("%s: already landed (sha256 %s), nothing to do", path.name, file_hash[:12])
        report.duplicates.append(path.name)
        _move(path, inbox / PROCESSED_DIR, file_hash)
        return "duplicate"
    try:
        parsed = parse_report(data, path.name)
    except ReportError as exc:
        _reject(report, inbox, path, str(exc), file_hash)
        return "rejected"
    try:
        landed = land_report(
            conn, report.load_id, parsed, source_file=path.name, file_hash=file_hash
        )
    except AlreadyLanded:
        report.duplicates.append(path.name)
        _move(path, inbox / PROCESSED_DIR, file_hash)
        return "duplicate"
    report.landed.append(landed)
    for entry in landed.replaced:
        log.warning(
            "%s replaces the figures of %s for %s %s (changed: %s)",
            *(path.name, ", ".join(entry["replaced_files"]), entry["period"]),
            *(entry["gov_body_code"], ", ".join(entry["changed"]) or "none"),
        )
    log.info("%s: %s report, %d rows landed", path.name, landed.kind, landed.rows_inserted)
    _move(path, inbox / PROCESSED_DIR, file_hash)
    return "landed"


def _reject(
    report: LandingReport, inbox: Path, path: Path, reason: str, file_hash: str | None
) -> None:
    target = _move(path, inbox / REJECTED_DIR, file_hash)
    target.with_name(target.name + REASON_SUFFIX).write_text(
        f"{path.name}: set aside, nothing of it was landed (load {report.load_id}).\n"
        + (f"sha256 {file_hash}\n" if file_hash else "")
        + f"\n{reason}\n",
        encoding="utf-8",
    )
    report.rejected.append(RejectedFile(path.name, reason, str(target)))
    log.warning("%s rejected, moved to %s: %s", path.name, target, reason)


def _move(path: Path, folder: Path, file_hash: str | None) -> Path:
    """Move ``path`` into ``folder`` under its name, or, when that is taken by another file,
    with its short hash added; when the same bytes already lie there, drop the inbox copy."""
    folder.mkdir(exist_ok=True)
    tag = file_hash[:12] if file_hash else uuid.uuid4().hex[:12]
    data = None
    for target in (folder / path.name, folder / f"{path.stem}.{tag}{path.suffix}"):
        if not target.exists():
            path.replace(target)
            return target
        data = path.read_bytes() if data is None else data
        if target.read_bytes() == data:
            path.unlink()
            return target
    target = folder / f"{path.stem}.{uuid.uuid4().hex[:12]}{path.suffix}"
    path.replace(target)
    return target
