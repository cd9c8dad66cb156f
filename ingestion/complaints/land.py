"""One call lands whatever is new in the complaints inbox, and keeps the run's ledger row.

The inbox is a folder (``COMPLAINTS_INBOX``) where people or scripts drop report files:

- ``*.xlsx`` and ``*.csv`` files at its top level are read in the order they arrived (inode
  change time, which a copy or move into the inbox sets and ``cp -p`` or ``touch -d`` cannot
  set back; then name), so that of two files for the same period and body the later drop wins;
- a file is taken only once it has settled: its size and times unchanged for
  ``settle_seconds``. A run waits (at most that long, once) for files that changed more
  recently; one still changing is left in the inbox, reported as waiting, for the next run;
- a file whose content hash is already in raw is a duplicate: no rows are landed, but its
  arrival is recorded, so that dropping an earlier file again puts its figures back in force;
- a file that lands, or is a duplicate, moves to ``<inbox>/processed/``; the inbox itself
  therefore only ever holds what is new (and landing stays idempotent by hash should a file
  be dropped again, under any name);
- a file that cannot be read, lacks a required column or holds an invalid row (an implausible
  value among them: a count beyond ``integer``, a period before 2010 or after the landing day)
  moves to ``<inbox>/rejected/`` with ``<name>.reason.txt`` beside it, and nothing of it is
  landed;
- hidden files (``.name``), Office lock files (``~$name``) and files still being copied
  (``*.part``, ``*.tmp``, ``*.crdownload``) are left alone. Drop files atomically (copy under
  a hidden name, then rename) when a copy can take long;
- a symbolic link is refused (it would read a file outside the inbox), and so is anything
  that stands where ``processed/`` or ``rejected/`` belong (a file or a link of that name);
- a file larger than ``limits.max_file_bytes`` is rejected before it is read;
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
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath

import psycopg

from ingestion.common.bounds import latest_day
from ingestion.common.ledger import recorded_load, start_load
from ingestion.common.raw import landing_connection
from ingestion.common.report import LandingReport as _LandingReport
from ingestion.complaints.load import (
    SOURCE,
    AlreadyLanded,
    LandedFile,
    ensure_raw_schema,
    is_known_file,
    known_report,
    land_report,
    now,
    record_arrival,
    replacements,
)
from ingestion.complaints.parse import ReportError, ReportLimits, parse_report

log = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
REJECTED_DIR = "rejected"
REASON_SUFFIX = ".reason.txt"
_IN_FLIGHT_SUFFIXES = (".part", ".tmp", ".crdownload")
#: Seconds a file's size and times must stay unchanged before it is taken.
DEFAULT_SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class RejectedFile:
    source_file: str
    reason: str
    moved_to: str


@dataclass(frozen=True)
class WaitingFile:
    """A file left in the inbox for the next run (it was still changing)."""

    source_file: str
    reason: str


@dataclass
class LandingReport(_LandingReport):
    """What one run over the inbox did."""

    inbox: str
    files_seen: int = 0
    landed: list[LandedFile] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[RejectedFile] = field(default_factory=list)
    waiting: list[WaitingFile] = field(default_factory=list)
    #: duplicates dropped again while another file was in force: back in force now
    reinstated: list[LandedFile] = field(default_factory=list)

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
            for f in self.landed + self.reinstated
            for entry in f.replaced
        ]

    def figures(self) -> dict:
        return {
            "inbox": self.inbox,
            "files_seen": self.files_seen,
            "files_landed": [f.source_file for f in self.landed],
            "rows_inserted": self.rows_inserted,
            "topic_rows_inserted": self.topic_rows_inserted,
            "duplicates": self.duplicates,
            "reinstated": [f.source_file for f in self.reinstated],
            "rejected": [{"file": r.source_file, "reason": r.reason} for r in self.rejected],
            "waiting": [{"file": w.source_file, "reason": w.reason} for w in self.waiting],
            "replaced": [
                f"{e['period']}/{e['gov_body_code']} ({e['file']})" for e in self.replaced
            ],
        }

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
            "reinstated": [f.source_file for f in self.reinstated],
            "rejected": [asdict(r) for r in self.rejected],
            "waiting": [asdict(w) for w in self.waiting],
            "replaced": self.replaced,
        }


@dataclass(frozen=True)
class Progress:
    """Sent to the ``progress`` callback after every file."""

    source_file: str
    file_number: int  # 1-based
    files_total: int
    outcome: str  # landed | duplicate | rejected | waiting | gone (removed before it was read)


def land_complaints(
    warehouse_url: str,
    inbox: Path,
    *,
    progress: Callable[[Progress], None] | None = None,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    limits: ReportLimits | None = None,
) -> LandingReport:
    """Land every new report file of ``inbox`` in raw; see the module's docstring.

    Rejected files do not fail the run (they are moved aside and listed in the report and the
    ledger), nor do waiting ones (left in the inbox, listed); any other error marks the ledger
    row 'failed' and is re-raised. Files landed before that error stay landed (one transaction
    per file).
    """
    inbox = Path(inbox)
    limits = limits or ReportLimits()
    if not inbox.is_dir():
        raise FileNotFoundError(f"complaints inbox {inbox} is not a folder")
    with landing_connection(warehouse_url) as conn:
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        report = LandingReport(load_id=load_id, inbox=str(inbox))
        with recorded_load(conn, report):
            _refuse_what_blocks_the_folders(report, inbox)
            candidates, refused = inbox_files(inbox)
            report.files_seen = len(candidates) + len(refused)
            log.info(
                "complaints load %s started: %d file(s) in %s", load_id, report.files_seen, inbox
            )
            for path, reason in refused:
                _reject(report, inbox, path, reason, file_hash=None)
            settled = _settled(report, candidates, settle_seconds)
            for number, seen in enumerate(settled, start=1):
                outcome = _land_file(conn, report, inbox, seen, limits)
                if progress is not None:
                    progress(Progress(seen.path.name, number, len(settled), outcome))
    log.info(
        "complaints load %s succeeded: %d file(s) landed (%d figure rows, %d topic rows), "
        "%d duplicate(s), %d rejected, %d waiting, %d period/body key(s) replaced",
        *(load_id, len(report.landed), report.rows_inserted, report.topic_rows_inserted),
        *(len(report.duplicates), len(report.rejected), len(report.waiting)),
        len(report.replaced),
    )
    return report


@dataclass(frozen=True)
class SeenFile:
    """A file of the inbox as a run listed it: what must not change before it is taken."""

    path: Path
    size: int
    mtime_ns: int
    ctime_ns: int  # set by whatever brought the file in (copy, move, link): its arrival

    @classmethod
    def of(cls, path: Path, stat: os.stat_result) -> SeenFile:
        return cls(path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    @property
    def last_change_ns(self) -> int:
        return max(self.mtime_ns, self.ctime_ns)


def inbox_files(inbox: Path) -> tuple[list[SeenFile], list[tuple[Path, str]]]:
    """The files a run considers, in order of arrival (inode change time, then name), and the
    entries it refuses outright, with their reasons."""
    files: list[SeenFile] = []
    refused: list[tuple[Path, str]] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith((".", "~$")) or entry.name.lower().endswith(
                _IN_FLIGHT_SUFFIXES
            ):
                continue
            if entry.is_symlink():
                refused.append((path, _SYMLINK_REASON))
            elif entry.is_file(follow_symlinks=False):
                files.append(SeenFile.of(path, entry.stat(follow_symlinks=False)))
            # folders (processed/, rejected/, any other) and sockets or pipes: not reports
    files.sort(key=lambda seen: (seen.ctime_ns, seen.path.name))
    return files, refused


_SYMLINK_REASON = (
    "a symbolic link: only files inside the inbox are read (a link may lead anywhere); "
    "copy the file itself into the inbox"
)


def _refuse_what_blocks_the_folders(report: LandingReport, inbox: Path) -> None:
    """A file or link named ``processed`` or ``rejected`` stands where a folder of the inbox
    belongs: set it aside first, or no file of the run could be moved after landing."""
    for name in (REJECTED_DIR, PROCESSED_DIR):  # rejected/ first: the other goes into it
        path = inbox / name
        if not path.is_symlink() and (path.is_dir() or not path.exists()):
            continue
        aside = inbox / f".{name}.{uuid.uuid4().hex[:12]}.blocking"  # hidden: never listed
        path.replace(aside)
        reason = (
            f"a {'symbolic link' if aside.is_symlink() else 'file'} named {name!r} stands "
            f"where the inbox keeps its {name}/ folder; renamed and set aside so that the "
            "folder can be made"
        )
        _reject(report, inbox, aside, reason, file_hash=None, name=name)


def _settled(
    report: LandingReport, candidates: list[SeenFile], settle_seconds: float
) -> list[SeenFile]:
    """The candidates that have not changed for ``settle_seconds``. Waits once, at most that
    long, for those that changed more recently; a file still changing then is left waiting."""
    settle_ns = int(settle_seconds * 1e9)
    now = time.time_ns()
    young = [c for c in candidates if c.last_change_ns + settle_ns > now]
    if young:
        wait_ns = max(c.last_change_ns + settle_ns - now for c in young)
        time.sleep(min(wait_ns, settle_ns) / 1e9)
    settled = []
    now = time.time_ns()
    for seen in candidates:
        try:
            again = SeenFile.of(seen.path, seen.path.lstat())
        except FileNotFoundError:  # taken away meanwhile (e.g. by a concurrent run): not ours
            log.info("%s: gone before it could be read", seen.path.name)
            continue
        if again != seen or again.last_change_ns + settle_ns > now:
            _wait(
                report,
                seen.path,
                f"still being written: it changed within the last {settle_seconds:g} s",
            )
            continue
        settled.append(seen)
    return settled


def _wait(report: LandingReport, path: Path, reason: str) -> None:
    reason += "; left in the inbox for the next run"
    report.waiting.append(WaitingFile(path.name, reason))
    log.info("%s waits: %s", path.name, reason)


def _read_settled(seen: SeenFile) -> bytes | None:
    """The file's bytes, or None if it changed since it settled (then it waits). Never follows
    a link (one swapped in since the listing raises)."""
    fd = os.open(seen.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        before = SeenFile.of(seen.path, os.fstat(f.fileno()))
        data = f.read()
        after = SeenFile.of(seen.path, os.fstat(f.fileno()))
    if not before == after == seen or len(data) != seen.size:
        return None
    return data


def _land_file(
    conn: psycopg.Connection,
    report: LandingReport,
    inbox: Path,
    seen: SeenFile,
    limits: ReportLimits,
) -> str:
    path = seen.path
    if seen.size > limits.max_file_bytes:
        _reject(report, inbox, path, limits.file_too_large(seen.size), file_hash=None)
        return "rejected"
    try:
        data = _read_settled(seen)
    except FileNotFoundError:  # taken away meanwhile (e.g. by a concurrent run): not ours
        log.info("%s: gone before it could be read", path.name)
        return "gone"
    except OSError as exc:
        _reject(report, inbox, path, f"cannot read the file: {exc.strerror or exc}", None)
        return "rejected"
    if data is None:
        _wait(report, path, "changed while it was read")
        return "waiting"
    file_hash = hashlib.sha256(data).hexdigest()
    if is_known_file(conn, file_hash):
        return _arrived_again(conn, report, inbox, path, file_hash)
    observed_at = now()  # the file's observation: no period of it may begin later
    try:
        parsed = parse_report(data, path.name, limits, latest=latest_day(observed_at))
    except ReportError as exc:
        _reject(report, inbox, path, str(exc), file_hash)
        return "rejected"
    try:
        landed = land_report(
            conn,
            report.load_id,
            parsed,
            source_file=path.name,
            file_hash=file_hash,
            observed_at=observed_at,
        )
    except AlreadyLanded:  # a concurrent run landed it meanwhile
        return _arrived_again(conn, report, inbox, path, file_hash)
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


def _arrived_again(
    conn: psycopg.Connection, report: LandingReport, inbox: Path, path: Path, file_hash: str
) -> str:
    """A file already in raw: no rows land, but it is a new arrival, so it is in force again
    wherever another file had replaced it (dropping the original again reverts a correction)."""
    with conn.transaction():
        known = known_report(conn, file_hash)
        replaced = replacements(conn, known, file_hash)
        record_arrival(conn, report.load_id, file_hash, path.name)
    report.duplicates.append(path.name)
    if replaced:
        report.reinstated.append(LandedFile(path.name, file_hash, known.kind, 0, replaced))
        log.warning(
            "%s: already landed (sha256 %s), in force again for %s",
            *(path.name, file_hash[:12]),
            ", ".join(f"{e['period']} {e['gov_body_code']}" for e in replaced),
        )
    else:
        log.info("%s: already landed (sha256 %s), nothing to do", path.name, file_hash[:12])
    _move(path, inbox / PROCESSED_DIR, file_hash)
    return "duplicate"


def _reject(
    report: LandingReport,
    inbox: Path,
    path: Path,
    reason: str,
    file_hash: str | None,
    name: str | None = None,
) -> None:
    """Move ``path`` (known to the sender as ``name``) to rejected/ with its reason beside it."""
    name = name or path.name
    target = _move(path, inbox / REJECTED_DIR, file_hash, name)
    target.with_name(target.name + REASON_SUFFIX).write_text(
        f"{name}: set aside, nothing of it was landed (load {report.load_id}).\n"
        + (f"sha256 {file_hash}\n" if file_hash else "")
        + f"\n{reason}\n",
        encoding="utf-8",
    )
    report.rejected.append(RejectedFile(name, reason, str(target)))
    log.warning("%s rejected, moved to %s: %s", name, target, reason)


def _move(path: Path, folder: Path, file_hash: str | None, name: str | None = None) -> Path:
    """Move ``path`` into ``folder`` under ``name`` (default its own), or, when that is taken by
    another file, with its short hash added; when the same bytes already lie there (neither is a
    link, and only a file of known hash is compared), drop the inbox copy."""
    folder.mkdir(exist_ok=True)
    name = PurePath(name or path.name)
    tag = file_hash[:12] if file_hash else uuid.uuid4().hex[:12]
    for target in (folder / name.name, folder / f"{name.stem}.{tag}{name.suffix}"):
        if not target.exists() and not target.is_symlink():
            path.replace(target)
            return target
        same = file_hash and not target.is_symlink() and target.is_file()
        if same and hashlib.sha256(target.read_bytes()).hexdigest() == file_hash:
            path.unlink()
            return target
    target = folder / f"{name.stem}.{uuid.uuid4().hex[:12]}{name.suffix}"
    path.replace(target)
    return target
