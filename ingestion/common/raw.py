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
from psycopg import postgres, sql
from psycopg.adapt import Dumper
from psycopg.pq import Format, TransactionStatus

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


class _JsonTextBinaryDumper(Dumper):
    """A jsonb column's value given as JSON text (how every loader passes its payload), in COPY's
    binary format: the version byte, then the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()


def insert_new_rows(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Append ``rows`` to ``schema.table``, skipping those already there; returns rows added.

    COPY into a session-scoped temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING``: fast for big batches, idempotent, and duplicates inside the batch are harmless.
    The COPY is binary (cheaper to write and to read than text), so each value must be of its
    column's Python type (uuid.UUID, an aware datetime, int, str; a jsonb column takes its JSON
    text). ``rows`` may be a generator: it is consumed while the COPY streams, so building the
    rows overlaps with the server reading those already sent. Runs in one transaction: the
    caller's if it holds one open, else its own, committed on exit.
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
        # One round trip: the stage (each commit empties it, without a new file as TRUNCATE
        # makes; the delete is for an earlier call in the same open transaction) and the
        # columns' types, which the binary COPY needs.
        cur.execute(
            sql.SQL(
                "create temporary table if not exists {stage} (like {target}) on commit delete "
                "rows; delete from {stage}; select attname::text, atttypid::int from pg_attribute "
                "where attrelid = {regclass}::regclass and attnum > 0 and not attisdropped"
            ).format(stage=stage, target=target, regclass=sql.Literal(target.as_string(conn)))
        )
        while cur.nextset():  # to the last statement's result
            pass
        types = dict(cur.fetchall())
        if missing := [c for c in columns if c not in types]:
            raise ValueError(f"{table} has no column {', '.join(missing)}")
        cur.adapters.register_dumper(None, _JsonTextBinaryDumper)  # for this cursor only
        with cur.copy(
            sql.SQL("copy {stage} ({cols}) from stdin (format binary)").format(
                stage=stage, cols=cols
            )
        ) as copy:
            copy.set_types([types[c] for c in columns])
            copy.write_row(first)
            for row in rows:
                copy.write_row(row)
        cur.execute(
            sql.SQL(
                "insert into {target} ({cols}) select {cols} from {stage} on conflict do nothing"
            ).format(target=target, cols=cols, stage=stage)
        )
        return cur.rowcount
