"""Landing rows into the append-only ``raw`` schema: content hashes and COPY-based inserts.

Every raw table keys its rows on (natural key, content hash), so landing the same observation
twice adds nothing, and a changed one adds a row: the history stays, staging takes the latest.
"""

from __future__ import annotations

import hashlib
import itertools
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
        if not isinstance(obj, str):
            raise TypeError(f"a jsonb value is taken as JSON text, not {type(obj).__name__}")
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
        types = _empty_stage(cur, stage, target)
        if missing := [c for c in columns if c not in types]:
            raise ValueError(f"{table} has no column {', '.join(missing)}")
        cur.adapters.register_dumper(None, _JsonTextBinaryDumper)  # for this cursor only
        copy_in = sql.SQL("copy {stage} ({cols}) from stdin (format binary)")
        with cur.copy(copy_in.format(stage=stage, cols=cols)) as copy:
            copy.set_types([types[c][0] for c in columns])
            for row in itertools.chain([first], rows):
                try:
                    copy.write_row(row)
                except (TypeError, ValueError, OverflowError) as exc:  # no values: personal data
                    expected = ", ".join(f"{c} {types[c][1]}" for c in columns)
                    raise TypeError(f"a row for {table} does not fit ({expected}): {exc}") from exc
        cur.execute(
            sql.SQL(
                "insert into {target} ({cols}) select {cols} from {stage} on conflict do nothing"
            ).format(target=target, cols=cols, stage=stage)
        )
        return cur.rowcount


def _empty_stage(
    cur: psycopg.Cursor, stage: sql.Identifier, target: sql.Identifier
) -> dict[str, tuple[int, str]]:
    """Create the stage table (once per session) and empty it; returns the target's columns' types
    (name → oid, SQL name), which the binary COPY needs. One round trip for all three."""
    cur.execute(
        sql.SQL(
            # Each commit empties the stage in place (TRUNCATE would make a new file); the
            # delete is for an earlier batch in the same open transaction.
            "create temporary table if not exists {stage} (like {target}) on commit delete rows;"
            " delete from {stage};"
            " select attname::text, atttypid::int, format_type(atttypid, null) from pg_attribute"
            " where attrelid = {regclass}::regclass and attnum > 0 and not attisdropped"
        ).format(stage=stage, target=target, regclass=sql.Literal(target.as_string(cur)))
    )
    while cur.nextset():  # to the last statement's result
        pass
    return {name: (oid, type_name) for name, oid, type_name in cur.fetchall()}
