"""Land Open Dialogue observations in ``raw``: appeals, rejected cards, the blog registry.

Append-only: a row is (natural key, content hash) → landing the same observation again adds
nothing; a changed appeal (status, rating, views) adds a row. The dbt staging models build on
exactly the DDL below.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg

from ingestion.common.ledger import LEDGER_DDL, run_ddl
from ingestion.common.raw import canonical_json, content_hash, insert_new_rows, sha256_hex
from ingestion.dialog.parse import ListingPage, Reject
from ingestion.dialog.registry import Blog

SOURCE = "dialog"

DIALOG_DDL = (
    "create table if not exists raw.dialog_appeals (load_id uuid not null, observed_at "
    "timestamptz not null, source_url text not null, content_hash text not null, question_id "
    "bigint not null, blog_id bigint not null, payload jsonb not null, primary key "
    "(question_id, content_hash))",
    "create table if not exists raw.dialog_blogs (load_id uuid not null, observed_at "
    "timestamptz not null, source_file text not null, content_hash text not null, blog_id "
    "bigint not null, payload jsonb not null, primary key (blog_id, content_hash))",
    "create table if not exists raw.dialog_rejects (load_id uuid not null, observed_at "
    "timestamptz not null, source_url text not null, reason text not null, fragment text, "
    "content_hash text not null, primary key (content_hash, reason))",
)

APPEAL_COLUMNS = (
    "load_id",
    "observed_at",
    "source_url",
    "content_hash",
    "question_id",
    "blog_id",
    "payload",
)
BLOG_COLUMNS = ("load_id", "observed_at", "source_file", "content_hash", "blog_id", "payload")
REJECT_COLUMNS = ("load_id", "observed_at", "source_url", "reason", "fragment", "content_hash")


@dataclass(frozen=True)
class ObservedPage:
    """A listing page of one blog, as seen at one moment."""

    blog_id: int
    url: str
    page: ListingPage
    observed_at: dt.datetime


@dataclass(frozen=True)
class Landed:
    """Rows a landing actually added (already-known observations are not counted)."""

    appeals: int = 0
    rejects: int = 0


def ensure_raw_schema(conn: psycopg.Connection) -> None:
    """Create the raw schema, the ledger and the dialog tables, if missing (idempotent)."""
    run_ddl(conn, LEDGER_DDL + DIALOG_DDL)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def land_blogs(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    blogs: Iterable[Blog],
    source_file: str,
    observed_at: dt.datetime | None = None,
) -> int:
    """Land the registry rows (as strings); returns the rows added."""
    observed_at = observed_at or now()
    rows = []
    for blog in blogs:
        payload = blog.as_payload()
        rows.append(
            (
                load_id,
                observed_at,
                source_file,
                content_hash(payload),
                blog.blog_id,
                canonical_json(payload),
            )
        )
    return insert_new_rows(conn, "raw.dialog_blogs", BLOG_COLUMNS, rows)


def land_pages(
    conn: psycopg.Connection, load_id: uuid.UUID, pages: Sequence[ObservedPage]
) -> Landed:
    """Land the cards and rejects of some pages in one transaction (one commit per batch)."""
    appeals = [
        _appeal_row(load_id, observed, record)
        for observed in pages
        for record in observed.page.cards
    ]
    rejects = [
        _reject_row(load_id, observed, reject)
        for observed in pages
        for reject in observed.page.rejects
    ]
    with conn.transaction():
        added_appeals = insert_new_rows(conn, "raw.dialog_appeals", APPEAL_COLUMNS, appeals)
        added_rejects = insert_new_rows(conn, "raw.dialog_rejects", REJECT_COLUMNS, rejects)
    return Landed(appeals=added_appeals, rejects=added_rejects)


def known_states(conn: psycopg.Connection, blog_id: int) -> dict[int, tuple[str, str | None]]:
    """Each appeal of a blog in raw → its latest (status, rating): for ``IncrementalStop``."""
    rows = conn.execute(
        "select distinct on (question_id) question_id, payload->>'status', payload->>'rating' "
        "from raw.dialog_appeals where blog_id = %s "
        "order by question_id, observed_at desc",
        (blog_id,),
    ).fetchall()
    return {question_id: (status, rating) for question_id, status, rating in rows}


def _appeal_row(load_id: uuid.UUID, observed: ObservedPage, record: dict) -> tuple:
    return (
        load_id,
        observed.observed_at,
        observed.url,
        content_hash(record),
        record["question_id"],
        observed.blog_id,
        canonical_json(record),
    )


def _reject_row(load_id: uuid.UUID, observed: ObservedPage, reject: Reject) -> tuple:
    # Keyed on the fragment: the same broken card seen again (e.g. pushed to the next page
    # by new appeals) adds nothing.
    return (
        load_id,
        observed.observed_at,
        observed.url,
        reject.reason,
        reject.fragment,
        sha256_hex(reject.fragment),
    )
