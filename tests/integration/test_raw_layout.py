"""Raw as declared (ingestion/*/tables.py) is raw as the landing's hand-written DDL created it:
the same columns, types, defaults, constraints and indexes, to the byte.

tests/fixtures/raw_layout.json was taken from that DDL (the commit before the declarations) in a
fresh database; a change of raw's layout is a change of this fixture too, made on purpose."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tyndau.warehouse import ensure_raw_tables

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
