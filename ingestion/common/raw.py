"""Landing rows into the append-only ``raw`` schema: content hashes and COPY-based inserts.

A raw table of observations keys its rows on (natural key, observed_at, content hash): an
observation lands when its content differs from the latest one of its key, so landing the same
observation again adds nothing, a changed one adds a row, and one that changes back (A, B, A)
adds a row too: the history stays, staging takes the latest. Tables keyed otherwise (a file's
rows, rejects keyed on their content) add what their key does not hold yet.

Each raw table is declared once, as a ``RawTable`` (each source's ``tables.py``): its DDL, the
upgrades of older warehouses' layouts and the columns the loaders write all come from there, and
tests/unit/test_raw_contract.py holds dbt's sources and GX's landing suites to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

import msgspec
import psycopg
from psycopg import postgres, sql
from psycopg.adapt import Dumper
from psycopg.pq import Format, TransactionStatus


@dataclass(frozen=True)
class Column:
    """A column of a raw table: its Postgres type and what it may hold."""

    name: str
    type: str
    nullable: bool = False
    check: str | None = None
    default: str | None = None

    def ddl(self) -> str:
        return " ".join(
            [self.name, self.type]
            + ([] if self.nullable else ["not null"])
            + ([f"check ({self.check})"] if self.check else [])
            + ([f"default {self.default}"] if self.default is not None else [])
        )


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class RawTable:
    """One table of raw, declared once: what ``ensure_raw_tables`` creates, and the columns a
    loader writes (``column_names``, in the table's order)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the primary key
    indexes: tuple[Index, ...] = ()
    #: idempotent DDL bringing an older warehouse's table to this layout, run in this order
    #: after the ``create … if not exists`` (which leaves an existing table as it is)
    upgrades: tuple[str, ...] = ()
    schema: str = "raw"

    def __post_init__(self) -> None:
        named = set(self.column_names)
        used = [*self.key, *(c for index in self.indexes for c in index.columns)]
        if unknown := [c for c in used if c not in named]:
            raise ValueError(f"{self.qualified} has no column {', '.join(unknown)}")

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def ddl(self) -> tuple[str, ...]:
        columns = ", ".join(column.ddl() for column in self.columns)
        create = (
            f"create table if not exists {self.qualified} ({columns}, "
            f"primary key ({', '.join(self.key)}))"
        )
        indexes = tuple(
            f"create index if not exists {index.name} on {self.qualified} "
            f"({', '.join(index.columns)})"
            for index in self.indexes
        )
        return (create, *self.upgrades, *indexes)


def observations(
    name: str,
    *,
    origin: str,
    between: Sequence[Column],
    key: Sequence[str],
    history: bool = True,
    indexes: Sequence[Index] = (),
    upgrades: Sequence[str] = (),
) -> RawTable:
    """A table of observations in ``raw_row``'s shape: (load_id, observed_at, ``origin`` — the
    source URL or file, content_hash, *``between``, payload).

    With ``history`` its primary key is (``key``, observed_at, content_hash), a history per
    natural key (see insert_new_rows), and a warehouse keyed otherwise is migrated to it after
    the table's own ``upgrades``; without, the key is ``key`` alone.
    """
    columns = (
        Column("load_id", "uuid"),
        Column("observed_at", "timestamptz"),
        Column(origin, "text"),
        Column("content_hash", "text"),
        *between,
        Column("payload", "jsonb"),
    )
    table = RawTable(name, columns, tuple(key), tuple(indexes), tuple(upgrades))
    if not history:
        return table
    return replace(
        table,
        key=(*key, *_HISTORY_KEY),
        upgrades=(*upgrades, history_key_ddl(table.qualified, key)),
    )


def ensure_raw_tables(conn: psycopg.Connection, tables: Iterable[RawTable]) -> None:
    """Create ``tables`` and their schemas if missing and bring older layouts of them up to date
    (idempotent), in one transaction serialised across sessions."""
    tables = tuple(dict.fromkeys(tables))  # a table several sources need (the ledger) once
    schemas = dict.fromkeys(table.schema for table in tables)
    run_ddl(
        conn,
        [
            *(f"create schema if not exists {schema}" for schema in schemas),
            *(statement for table in tables for statement in table.ddl()),
        ],
    )


_DDL_LOCK_KEY = 0x7479_6E64  # "tynd": serialises DDL of concurrent loads


def run_ddl(conn: psycopg.Connection, statements: Sequence[str]) -> None:
    """Run idempotent DDL in one transaction, serialised across sessions.

    ``create … if not exists`` is not safe against a concurrent twin (both see nothing, one
    fails on the catalog's unique index), hence the transaction-scoped advisory lock.
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
        for statement in statements:
            cur.execute(statement)


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

    A table whose primary key holds ``observed_at`` and ``content_hash`` keeps a history per
    natural key (the key's other columns): there a row is new when its content differs from
    the latest row of its key (by observed_at, then content_hash, as staging orders them), or,
    for a key met several times in the batch, from the one before it. That check is one
    set-based statement over a stage, serialised per table (a transaction-scoped advisory
    lock), so two loaders landing at once cannot both add the same observation.

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
        types, key = _table_info(cur, target)
        if missing := [c for c in columns if c not in types]:
            raise ValueError(f"{table} has no column {', '.join(missing)}")
        cur.adapters.register_dumper(None, _JsonTextBinaryDumper)  # for this cursor only
        if set(key) >= _HISTORY_COLUMNS:
            natural = [c for c in key if c not in _HISTORY_COLUMNS]
            if missing := [c for c in (*natural, *_HISTORY_COLUMNS) if c not in columns]:
                raise ValueError(f"rows for {table} must carry {', '.join(missing)}")
            rows = itertools.chain([first], rows)
            return _insert_changed(cur, table, target, columns, types, natural, rows)
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


def upsert_rows(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Write ``rows`` into ``schema.table``, replacing the other columns of a row whose primary
    key is there already; returns the rows written. For tables that derive from raw and are
    rewritten (masked texts under new rules), never for raw's own append-only tables. Streams
    the rows in binary into a session stage as ``insert_new_rows`` does, then one
    ``INSERT … ON CONFLICT DO UPDATE``; in the caller's transaction if it holds one open."""
    schema, name = table.split(".", 1)
    target = sql.Identifier(schema, name)
    stage = sql.Identifier(f"_upsert_stage_{schema}_{name}")
    in_callers = conn.info.transaction_status != TransactionStatus.IDLE
    with nullcontext() if in_callers else conn.transaction(), conn.cursor() as cur:
        types, key = _table_info(cur, target)
        cur.adapters.register_dumper(None, _JsonTextBinaryDumper)  # for this cursor only
        _empty_stage(cur, stage, target)
        _copy_rows(cur, table, stage, columns, types, rows)
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        replaced = sql.SQL(", ").join(
            sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c))
            for c in columns
            if c not in key
        )
        cur.execute(
            sql.SQL(
                "insert into {target} ({cols}) select {cols} from {stage}"
                " on conflict ({key}) do update set {replaced}"
            ).format(
                target=target,
                cols=cols,
                stage=stage,
                key=sql.SQL(", ").join(sql.Identifier(c) for c in key),
                replaced=replaced,
            )
        )
        return cur.rowcount


_HISTORY_KEY = ("observed_at", "content_hash")  # after the natural key, in this order
_HISTORY_COLUMNS = frozenset(_HISTORY_KEY)
#: The first half of the advisory lock that serialises landings into one history table (the
#: second is the table's oid): "tyndau raw" in ASCII, distinct from the DDL lock.
_HISTORY_LOCK_CLASS = 0x72617721


def _insert_changed(
    cur: psycopg.Cursor,
    table: str,
    target: sql.Identifier,
    columns: Sequence[str],
    types: dict[str, tuple[int, str]],
    natural: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Land the rows whose content differs from the latest of their key (see insert_new_rows)."""
    schema, name = table.split(".", 1)
    stage = sql.Identifier(f"_history_stage_{schema}_{name}")
    cur.execute(
        sql.SQL(
            "create temporary table if not exists {stage} (like {target},"
            " _position bigint generated always as identity) on commit delete rows;"
            " delete from {stage}"
        ).format(stage=stage, target=target)
    )
    _copy_rows(cur, table, stage, columns, types, rows)
    # After the COPY, so that streaming overlaps another loader's insert; before the INSERT,
    # whose snapshot then sees what that loader committed.
    cur.execute(
        "select pg_advisory_xact_lock(%s, %s::regclass::oid::int)",
        (_HISTORY_LOCK_CLASS, target.as_string(cur)),
    )
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in natural)
    same_key = sql.SQL(" and ").join(
        sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in natural
    )
    cur.execute(
        sql.SQL(
            "insert into {target} ({cols})"
            " select {cols} from ("
            "  select *, lag(content_hash) over in_key as previous_hash,"
            "   row_number() over in_key as place_in_key"
            "  from {stage} window in_key as (partition by {keys} order by observed_at, _position)"
            " ) as s"
            " where s.previous_hash is distinct from s.content_hash"
            "  and (s.place_in_key > 1 or s.content_hash is distinct from ("
            "   select t.content_hash from {target} as t where {same_key}"
            "   order by t.observed_at desc, t.content_hash limit 1))"
            " on conflict do nothing"
        ).format(target=target, cols=cols, stage=stage, keys=keys, same_key=same_key)
    )
    return cur.rowcount


def history_key_ddl(table: str, key: Sequence[str]) -> str:
    """An idempotent migration: ``table``'s primary key becomes (``key``, observed_at,
    content_hash), what keeps a history per key (see insert_new_rows), unless it is already."""
    columns = [*key, *_HISTORY_KEY]
    wanted = ", ".join(f"'{c}'" for c in columns)
    return f"""
do $$
declare
    old_key name;
begin
    select c.conname into old_key from pg_constraint as c
    where c.conrelid = '{table}'::regclass and c.contype = 'p'
        and array(
            select a.attname::text from unnest(c.conkey) with ordinality as k (attnum, n)
            join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum
            order by k.n
        ) is distinct from array[{wanted}];
    if old_key is not null then
        execute format(
            'alter table {table} drop constraint %I, add primary key ({", ".join(columns)})',
            old_key
        );
    end if;
end
$$
"""


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


def _table_info(
    cur: psycopg.Cursor, target: sql.Identifier
) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """The table's columns' types (name → oid, SQL name), which the binary COPY needs, and its
    primary key's columns in order."""
    cur.execute(
        "select a.attname::text, a.atttypid::int, format_type(a.atttypid, null),"
        " array_position(i.indkey::int2[], a.attnum)"
        " from pg_attribute as a left join pg_index as i"
        " on i.indrelid = a.attrelid and i.indisprimary"
        " where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped",
        (target.as_string(cur),),
    )
    rows = cur.fetchall()
    key = [name for name, *_, place in sorted(rows, key=lambda r: r[3] or 0) if place is not None]
    return {name: (oid, type_name) for name, oid, type_name, _ in rows}, key


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
