"""The run ledger: one row per load in ``raw.load_ledger``, from start to its outcome.

A load that never finishes stays 'running' with no finished_at, which is itself the signal;
its ``stats`` hold what it reported last (see ``record_progress``). Nothing reads a 'running'
row back as a state to start from: a killed load is only a record of what happened.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Jsonb

from ingestion.common.raw import Column, RawTable
from ingestion.common.secrets import redact, redact_value

log = logging.getLogger(__name__)

#: Shared by every source: each source's raw tables include it.
LEDGER = RawTable(
    "load_ledger",
    (
        Column("load_id", "uuid"),
        Column("source", "text"),
        Column("started_at", "timestamptz"),
        Column("finished_at", "timestamptz", nullable=True),
        Column("status", "text", check="status in ('running','succeeded','failed')"),
        Column("stats", "jsonb", default="'{}'"),
        Column("error", "text", nullable=True),
    ),
    key=("load_id",),
)
STATUSES = frozenset({"running", "succeeded", "failed"})


def start_load(conn: psycopg.Connection, source: str) -> uuid.UUID:
    """Record a load as running; returns its id, stamped on every row it lands."""
    load_id = uuid.uuid4()
    with conn.transaction():
        conn.execute(
            "insert into raw.load_ledger (load_id, source, started_at, status) "
            "values (%s, %s, clock_timestamp(), 'running')",
            (load_id, source),
        )
    return load_id


def record_progress(conn: psycopg.Connection, load_id: uuid.UUID, stats: Mapping[str, Any]) -> None:
    """Update a running load's figures, so that a load killed outright still tells how far it
    got; a finished load is left alone."""
    with conn.transaction():
        conn.execute(
            "update raw.load_ledger set stats = %s where load_id = %s and status = 'running'",
            (Jsonb(redact_value(dict(stats))), load_id),
        )


def finish_load(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    status: str,
    stats: Mapping[str, Any],
    error: str | None = None,
) -> None:
    """Record a load's outcome ('succeeded' or 'failed'), its figures and its error, if any;
    both redacted (a failed page's reason may quote a URL with a key in it)."""
    if status not in STATUSES - {"running"}:
        raise ValueError(f"a load finishes as 'succeeded' or 'failed', not {status!r}")
    with conn.transaction():
        cur = conn.execute(
            "update raw.load_ledger set finished_at = clock_timestamp(), status = %s, "
            "stats = %s, error = %s where load_id = %s",
            (status, Jsonb(redact_value(dict(stats))), error and redact(error), load_id),
        )
        if cur.rowcount != 1:
            raise LookupError(f"no load {load_id} in raw.load_ledger")


def record_failure(
    conn: psycopg.Connection, load_id: uuid.UUID, stats: Mapping[str, Any], error: str
) -> None:
    """Mark a load failed, never raising: the caller re-raises the error that ended the load,
    which must not be masked by a second one (e.g. the warehouse itself is gone)."""
    try:
        finish_load(conn, load_id, "failed", stats, error=error)
    except Exception:
        log.exception("could not record the failure of load %s", load_id)


class LoadFigures(Protocol):
    """What a loader reports: its ledger id and the figures for the ``stats`` column."""

    load_id: uuid.UUID

    def as_stats(self) -> Mapping[str, Any]: ...


@contextmanager
def recorded_load(
    conn: psycopg.Connection,
    report: LoadFigures,
    *,
    before_finish: Callable[[], None] | None = None,
    redact: Callable[[str], str] = redact,
) -> Iterator[None]:
    """Close the ledger row of ``report``'s load with the outcome of the ``with`` block.

    'succeeded' with the report's figures when the block ends normally; 'failed' with the
    (redacted) error otherwise, an interrupted task included, and the error is re-raised.
    ``before_finish`` brings the report's figures up to date first in either case.
    """
    try:
        yield
    except BaseException as exc:
        if before_finish is not None:
            before_finish()
        error = redact(f"{type(exc).__name__}: {exc}")
        record_failure(conn, report.load_id, report.as_stats(), error)
        raise
    if before_finish is not None:
        before_finish()
    finish_load(conn, report.load_id, "succeeded", report.as_stats())
