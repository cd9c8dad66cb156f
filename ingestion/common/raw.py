"""Landing rows into the append-only ``raw`` schema: content hashes and COPY-based inserts.

Every raw table keys its rows on (natural key, content hash), so landing the same observation
twice adds nothing, and a changed one adds a row: the history stays, staging takes the latest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

# Built once: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_json(payload: Mapping[str, Any]) -> str:
    """The one serialisation a content hash is taken of: sorted keys, compact, UTF-8 kept."""
    return _CANONICAL.encode(payload)


def content_hash(payload: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of ``payload``."""
    return sha256_hex(canonical_json(payload))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def landing_connection(warehouse_url: str) -> psycopg.Connection:
    """A connection for landing into raw: autocommit (each batch commits on its own), and
    ``synchronous_commit`` off, so a batch does not wait for its WAL flush. A server crash can
    then lose the last fraction of a second of commits, never a later one without an earlier:
    the next run lands them again, since landing is idempotent."""
    conn = psycopg.connect(warehouse_url, autocommit=True)
    conn.execute("set synchronous_commit = off")
    return conn


def insert_new_rows(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Append ``rows`` to ``schema.table``, skipping those already there; returns rows added.

    COPY into a session-scoped temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING``: fast for big batches, idempotent, and duplicates inside the batch are harmless.
    ``rows`` may be a generator: it is consumed while the COPY streams, so building the rows
    overlaps with the server parsing those already sent. Runs in one transaction: the caller's
    if it holds one open, else its own, committed on exit.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    schema, name = table.split(".", 1)
    target = sql.Identifier(schema, name)
    stage = sql.Identifier(f"_stage_{schema}_{name}")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    in_callers = conn.info.transaction_status != TransactionStatus.IDLE
    with nullcontext() if in_callers else conn.transaction(), conn.cursor() as cur:
        # One round trip. Each commit empties the stage (no new file, unlike TRUNCATE); the
        # delete is for an earlier call in the same open transaction.
        cur.execute(
            sql.SQL(
                "create temporary table if not exists {stage} (like {target}) on commit delete "
                "rows; delete from {stage}"
            ).format(stage=stage, target=target)
        )
        with cur.copy(
            sql.SQL("copy {stage} ({cols}) from stdin").format(stage=stage, cols=cols)
        ) as copy:
            copy.write_row(first)
            for row in rows:
                copy.write_row(row)
        cur.execute(
            sql.SQL(
                "insert into {target} ({cols}) select {cols} from {stage} on conflict do nothing"
            ).format(target=target, cols=cols, stage=stage)
        )
        return cur.rowcount
