"""`raw_holds_data`: whether a build has anything to publish when no source landed anything."""

from __future__ import annotations

import psycopg

from tyndau.warehouse.raw import ensure_raw_tables, raw_holds_data

TABLES = ["raw.dialog_appeals", "raw.opendata_datasets", "raw.complaints_rows"]


def test_missing_and_empty_tables_hold_nothing_a_row_does(fresh_database):
    assert not raw_holds_data(fresh_database, TABLES)  # no raw schema at all yet
    ensure_raw_tables(fresh_database)
    assert not raw_holds_data(fresh_database, TABLES)
    with psycopg.connect(fresh_database) as conn:
        conn.execute('create table raw."odd name" (i int)')
        conn.execute('insert into raw."odd name" values (1)')
    assert raw_holds_data(fresh_database, [*TABLES, "raw.odd name"])
    assert not raw_holds_data(fresh_database, TABLES)
