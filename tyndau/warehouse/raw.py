"""The raw schema as a whole: every source's tables created, and whether any holds data."""

from __future__ import annotations

import psycopg
from psycopg import sql


def ensure_raw_tables(warehouse: str | psycopg.Connection) -> None:
    """Create every source's raw tables (idempotent), so the warehouse builds, tests and
    validates with any subset of sources landed so far: those the registry declares."""
    from ingestion.common import raw
    from tyndau.sources import SOURCES

    if isinstance(warehouse, str):
        with psycopg.connect(warehouse, autocommit=True) as conn:
            return ensure_raw_tables(conn)
    raw.ensure_raw_tables(warehouse, [table for s in SOURCES for table in s.raw_tables])


def raw_holds_data(url: str, tables: list[str]) -> bool:
    """Whether any of these tables (``schema.table``) exists and holds a row: whether a build
    has anything to publish even when no source landed anything in this run."""
    with psycopg.connect(url) as conn:
        for table in tables:
            schema, name = table.split(".", 1)
            exists = "select from pg_tables where schemaname = %s and tablename = %s"
            if conn.execute(exists, [schema, name]).fetchone() is None:
                continue
            query = sql.SQL("select exists (select from {})").format(sql.Identifier(schema, name))
            if conn.execute(query).fetchone()[0]:
                return True
    return False
