"""Landing rows into the append-only ``raw`` schema: content hashes and COPY-based inserts.

Every raw table keys its rows on (natural key, content hash), so landing the same observation
twice adds nothing, and a changed one adds a row: the history stays, staging takes the latest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

import msgspec
import psycopg
from psycopg import postgres, sql
from psycopg.adapt import Dumper
from psycopg.pq import Format, TransactionStatus

# Built once: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# msgspec writes the very same bytes several times faster, except for floats (1e16 where json
# writes 1e+16) and keys that are not strings: payloads holding those take the json module.
_FAST = msgspec.json.Encoder(order="sorted")
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def canonical_json(payload: Mapping[str, Any]) -> str:
    """The one serialisation a content hash is taken of: sorted keys, compact, UTF-8 kept."""
    return canonical_json_bytes(payload).decode()


def canonical_json_bytes(payload: Mapping[str, Any]) -> bytes:
    """``canonical_json`` as UTF-8 bytes, what is hashed and sent."""
    if _plain(payload):
        return _FAST.encode(payload)
    return _CANONICAL.encode(payload).encode()


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only str-keyed dicts, lists and tuples of strings, ints, booleans
    and None: what msgspec writes byte for byte as the json module does."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (type(item) in _PLAIN_SCALARS or _plain(item)):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _PLAIN_SCALARS or _plain(item) for item in value)
    return kind in _PLAIN_SCALARS


def content_hash(payload: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of ``payload``."""
    return hashlib.sha256(canonical_json_bytes(payload)).hexdigest()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def raw_row(
    load_id: uuid.UUID, observed_at: dt.datetime, source: str, payload: Mapping[str, Any], *key: Any
) -> tuple:
    """A row in the shape raw's tables share: (load_id, observed_at, source URL or file,
    content_hash, *natural key, payload). The payload is serialised once, for both its hash and
    its column (as UTF-8 bytes): the one Python cost per landed row."""
    data = canonical_json_bytes(payload)
    return (load_id, observed_at, source, hashlib.sha256(data).hexdigest(), *key, data)


def landing_connection(warehouse_url: str) -> psycopg.Connection:
    """A connection for landing into raw: autocommit (each batch commits on its own), and
    ``synchronous_commit`` off, so a batch does not wait for its WAL flush. A server crash can
    then lose the last fraction of a second of commits, never a later one without an earlier:
    the next run lands them again, since landing is idempotent."""
    conn = psycopg.connect(warehouse_url, autocommit=True)
    conn.execute("set synchronous_commit = off")
    return conn


class _JsonTextBinaryDumper(Dumper):
    """A jsonb column's value given as JSON text, str or UTF-8 bytes (how every loader passes its
    payload), in COPY's binary format: the version byte, then the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str | bytes) -> bytes:
        if isinstance(obj, bytes):
            return b"\x01" + obj
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

    The rows are COPYed straight into the table, in binary, while they are built: ``rows`` may be
    a generator, and building them overlaps with the server storing those already sent. That is
    the fast path, for rows the table does not hold yet (a first landing). A batch that meets a
    row already there (a re-run, the boundary page of a daily crawl, a row twice in the batch) is
    rolled back to its savepoint, and landed again through a stage: COPY into a session-scoped
    temporary table, then ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Either way the table's
    unique key decides what is new, so landing stays idempotent under concurrent loaders too.

    Each value must be of its column's Python type (uuid.UUID, an aware datetime, int, str; a
    jsonb column takes its JSON text). The rows are kept until the batch is in (the fallback sends
    them again). Runs in one transaction: the caller's if it holds one open, else its own.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    schema, name = table.split(".", 1)
    target = sql.Identifier(schema, name)
    sent: list[Sequence[Any]] = []
    in_callers = conn.info.transaction_status != TransactionStatus.IDLE
    with nullcontext() if in_callers else conn.transaction(), conn.cursor() as cur:
        types = _column_types(cur, target)
        if missing := [c for c in columns if c not in types]:
            raise ValueError(f"{table} has no column {', '.join(missing)}")
        cur.adapters.register_dumper(None, _JsonTextBinaryDumper)  # for this cursor only
        try:
            with conn.transaction():  # the savepoint a batch that meets a known row returns to
                _copy_rows(cur, table, target, columns, types, _kept(first, rows, sent))
            return len(sent)
        except psycopg.errors.UniqueViolation:
            pass
        stage = sql.Identifier(f"_stage_{schema}_{name}")
        _empty_stage(cur, stage, target)
        # the rows sent, then any the rejected COPY had not taken yet
        _copy_rows(cur, table, stage, columns, types, itertools.chain(sent, rows))
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        cur.execute(
            sql.SQL(
                "insert into {target} ({cols}) select {cols} from {stage} on conflict do nothing"
            ).format(target=target, cols=cols, stage=stage)
        )
        return cur.rowcount


def _kept(
    first: Sequence[Any], rest: Iterator[Sequence[Any]], sent: list[Sequence[Any]]
) -> Iterator[Sequence[Any]]:
    """The rows, each added to ``sent`` as it goes."""
    for row in itertools.chain([first], rest):
        sent.append(row)
        yield row


def _copy_rows(
    cur: psycopg.Cursor,
    table: str,
    into: sql.Identifier,
    columns: Sequence[str],
    types: dict[str, tuple[int, str]],
    rows: Iterable[Sequence[Any]],
) -> None:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    statement = sql.SQL("copy {into} ({cols}) from stdin (format binary)")
    with cur.copy(statement.format(into=into, cols=cols)) as copy:
        copy.set_types([types[c][0] for c in columns])
        for row in rows:
            try:
                copy.write_row(row)
            except (TypeError, ValueError, OverflowError) as exc:  # no values: personal data
                expected = ", ".join(f"{c} {types[c][1]}" for c in columns)
                raise TypeError(f"a row for {table} does not fit ({expected}): {exc}") from exc


def _column_types(cur: psycopg.Cursor, target: sql.Identifier) -> dict[str, tuple[int, str]]:
    """The table's columns' types (name → oid, SQL name), which the binary COPY needs."""
    cur.execute(
        "select attname::text, atttypid::int, format_type(atttypid, null) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped",
        (target.as_string(cur),),
    )
    return {name: (oid, type_name) for name, oid, type_name in cur.fetchall()}


def _empty_stage(cur: psycopg.Cursor, stage: sql.Identifier, target: sql.Identifier) -> None:
    """Create the stage table (once per session) and empty it, in one round trip."""
    cur.execute(
        sql.SQL(
            # Each commit empties the stage in place (TRUNCATE would make a new file); the
            # delete is for an earlier batch in the same open transaction.
            "create temporary table if not exists {stage} (like {target}) on commit delete rows;"
            " delete from {stage}"
        ).format(stage=stage, target=target)
    )
