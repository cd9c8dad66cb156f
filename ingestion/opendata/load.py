"""Land open-data observations in ``raw``: the catalogue, mappings, passports and records.

Append-only, like every raw table: a row is (natural key, content hash), so landing the same
observation again adds nothing and a changed one adds a row. No URL stored here carries the
API key. The tables are declared in tables.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

from ingestion.common.raw import ensure_raw_tables, insert_new_rows, raw_row
from ingestion.opendata import api
from ingestion.opendata.tables import DATASETS, MAPPINGS, PASSPORTS, RAW_TABLES, RECORDS

SOURCE = "opendata"


@dataclass(frozen=True)
class Observed:
    """Something read from one URL (without the key) at one moment."""

    url: str
    payload: Mapping[str, Any]
    observed_at: dt.datetime


def ensure_raw_schema(conn: psycopg.Connection) -> None:
    """Create the raw schema, the ledger and the open-data tables, if missing (idempotent)."""
    ensure_raw_tables(conn, RAW_TABLES)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def land_datasets(conn: psycopg.Connection, load_id: uuid.UUID, entries: Iterable[Observed]) -> int:
    """Catalogue entries as read (responsible contacts included: raw keeps what was seen)."""
    rows = [_row(load_id, e, e.payload[api.DATASET_KEY]) for e in entries]
    return insert_new_rows(conn, DATASETS.qualified, DATASETS.column_names, rows)


def land_mappings(
    conn: psycopg.Connection, load_id: uuid.UUID, entries: Iterable[tuple[str, Observed]]
) -> int:
    """(apiUri, its mapping) pairs; the payload is ``{"mappings": {version: {properties}}}``."""
    rows = [_row(load_id, e, uri) for uri, e in entries]
    return insert_new_rows(conn, MAPPINGS.qualified, MAPPINGS.column_names, rows)


def land_passports(
    conn: psycopg.Connection, load_id: uuid.UUID, entries: Iterable[tuple[str, str, Observed]]
) -> int:
    """(apiUri, version, passport) triples."""
    rows = [_row(load_id, e, uri, version) for uri, version, e in entries]
    return insert_new_rows(conn, PASSPORTS.qualified, PASSPORTS.column_names, rows)


def land_records(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    api_uri: str,
    version: str,
    key: str,
    url: str,
    records: Iterable[Mapping[str, Any]],
    observed_at: dt.datetime,
) -> int:
    rows = [
        raw_row(load_id, observed_at, url, record, api_uri, version, str(record[key]))
        for record in records
    ]
    return insert_new_rows(conn, RECORDS.qualified, RECORDS.column_names, rows)


def catalogue_state(conn: psycopg.Connection) -> dict[str, str | None]:
    """Each dataset in raw → the modifiedDate of its latest catalogue observation."""
    rows = conn.execute(
        "select distinct on (api_uri) api_uri, payload->>'modifiedDate' "
        "from raw.opendata_datasets order by api_uri, observed_at desc, content_hash"
    ).fetchall()
    return dict(rows)


def passport_ages(conn: psycopg.Connection) -> dict[str, dt.datetime]:
    """Each dataset with a passport in raw → when its latest passport was observed."""
    rows = conn.execute(
        "select api_uri, max(observed_at) from raw.opendata_passports group by api_uri"
    ).fetchall()
    return dict(rows)


def record_watermark(conn: psycopg.Connection, api_uri: str, version: str) -> str | None:
    """The modification watermark a *succeeded* load reached for a dataset's records.

    Taken from the ledger, not from raw: a load that failed its reconciliation may have landed
    a prefix of the records (in key order, not modification order), and a watermark taken from
    those would skip the rest for good.
    """
    row = conn.execute(
        "select stats->'records'->%(k)s->>'watermark' from raw.load_ledger "
        "where source = %(s)s and status = 'succeeded' "
        "and stats->'records'->%(k)s->>'watermark' is not null "
        "order by finished_at desc limit 1",
        {"k": f"{api_uri}/{version}", "s": SOURCE},
    ).fetchone()
    return row[0] if row else None


def _row(load_id: uuid.UUID, observed: Observed, *key: str) -> tuple:
    return raw_row(load_id, observed.observed_at, observed.url, observed.payload, *key)
