"""Raw as declared (ingestion/*/tables.py) is raw as the landing's hand-written DDL created it:
the same columns, types, defaults, constraints and indexes, to the byte.

tests/fixtures/raw_layout.json was taken from that DDL (the commit before the declarations) in a
fresh database; a change of raw's layout is a change of this fixture too, made on purpose."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tyndau.warehouse.raw import ensure_raw_tables

SNAPSHOT = Path(__file__).parent.parent / "fixtures" / "raw_layout.json"


def raw_layout(conn: psycopg.Connection) -> dict[str, dict]:
    """Each table of ``raw`` → its columns, constraints and indexes, as the catalog says."""
    layout: dict[str, dict] = {}
    columns = conn.execute(
        "select table_name, ordinal_position, column_name, data_type, is_nullable, column_default"
        " from information_schema.columns where table_schema = 'raw'"
        " order by table_name, ordinal_position"
    )
    for table, position, name, data_type, nullable, default in columns:
        entry = layout.setdefault(table, {"columns": [], "constraints": {}, "indexes": {}})
        entry["columns"].append([position, name, data_type, nullable, default])
    constraints = conn.execute(
        "select c.relname, k.conname, pg_get_constraintdef(k.oid) from pg_constraint as k"
        " join pg_class as c on c.oid = k.conrelid where k.connamespace = 'raw'::regnamespace"
    )
    for table, name, definition in constraints:
        layout[table]["constraints"][name] = definition
    for table, name, definition in conn.execute(
        "select tablename, indexname, indexdef from pg_indexes where schemaname = 'raw'"
    ):
        layout[table]["indexes"][name] = definition
    return layout


def test_the_declared_raw_tables_are_the_ones_landing_created(fresh_database):
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_raw_tables(conn)
        ensure_raw_tables(conn)  # idempotent: the upgrades of older layouts change nothing
        assert raw_layout(conn) == json.loads(SNAPSHOT.read_text())


#: Raw as older landings created it: appeals keyed on question_id (before the registration
#: number), the catalogue and the blogs keyed on (key, content hash) (before a history per key),
#: walks whose positions were question ids.
OLDER_RAW = """
create schema raw;
create table raw.dialog_appeals (load_id uuid not null, observed_at timestamptz not null,
    source_url text not null, content_hash text not null, question_id bigint not null,
    blog_id bigint not null, payload jsonb not null, primary key (question_id, content_hash));
create table raw.dialog_blogs (load_id uuid not null, observed_at timestamptz not null,
    source_file text not null, content_hash text not null, blog_id bigint not null,
    payload jsonb not null, primary key (blog_id, content_hash));
create table raw.dialog_walks (load_id uuid not null, blog_id bigint not null,
    walked_at timestamptz not null, full_refresh boolean not null, pages_fetched integer not null,
    requests integer not null, stop_reason text not null, failed_pages jsonb not null,
    lowest_id bigint, reach_id bigint, primary key (load_id, blog_id));
create table raw.opendata_passports (load_id uuid not null, observed_at timestamptz not null,
    source_url text not null, content_hash text not null, api_uri text not null,
    version text not null, payload jsonb not null, primary key (api_uri, version, content_hash));
insert into raw.dialog_appeals values (gen_random_uuid(), now(), 'https://dialog/1', 'h', 42, 7,
    '{"number": "№ 754733/1"}');
"""


def test_an_older_warehouse_is_brought_to_the_declared_layout(fresh_database):
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(OLDER_RAW)
        ensure_raw_tables(conn)
        ensure_raw_tables(conn)
        upgraded = raw_layout(conn)
        assert conn.execute("select number from raw.dialog_appeals").fetchall() == [("754733/1",)]
    # a column an upgrade adds comes last: the same columns, in another order
    assert ignoring_positions(upgraded) == ignoring_positions(json.loads(SNAPSHOT.read_text()))


def ignoring_positions(layout: dict[str, dict]) -> dict[str, dict]:
    return {
        table: {**entry, "columns": sorted(column[1:] for column in entry["columns"])}
        for table, entry in layout.items()
    }
