"""Land Open Dialogue observations in ``raw``: appeals, rejected cards, the blog registry.

Append-only, a history per key (see ``insert_new_rows``): landing the same observation again
adds nothing; a changed appeal (status, answers, rating, views) adds a row, and so does one that
changes back. An appeal's natural key is its registration number (``754733``, ``754733/1``):
the one field every card carries, pending and rejected ones included; ``question_id`` is known
only once a card is answered. Raw keys an observation on the blog it was seen on too: an appeal
shown on two blogs keeps a history on each (in the hash it would flip between the two at every
crawl), and one moved from blog X to Y lands anew on Y, whose later observation staging takes.
The tables are declared in tables.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from ingestion.common.raw import (
    ensure_raw_tables,
    insert_new_rows,
    raw_row,
    sha256_hex,
    upsert_rows,
)
from ingestion.dialog.masking import MASKING_VERSION, masked_texts
from ingestion.dialog.parse import ListingPage, Reject
from ingestion.dialog.registry import Blog
from ingestion.dialog.tables import APPEALS, BLOGS, MASKED_TEXTS, RAW_TABLES, REJECTS, WALKS

SOURCE = "dialog"

#: what the landing benchmark writes too
APPEAL_COLUMNS = APPEALS.column_names


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


#: A walk's position in a listing is a submission date (the listing is newest first): question
#: ids are missing on pending and rejected cards, and follow-ups' numbers are out of order.
#: Owing ``TO_THE_END`` means reading to the end of the listing: no card is older than it.
TO_THE_END = dt.date.min


@dataclass(frozen=True)
class WalkRecord:
    """A finished walk over one blog, landed in ``raw.dialog_walks`` with its last pages.

    It is what the next run of the blog starts from: ``reach_on`` is the submission date the
    next walk must read past (to a card submitted before it) before it may stop early
    (``TO_THE_END``: to the end of the listing; None: nothing owed), ``lowest_on`` how deep this
    walk read. A blog with no walk at all has never been read to completion (e.g. its first walk
    was killed): its next walk goes to the end, whatever raw already holds of it. Written in the
    same transaction as the walk's last pages, so a recorded walk is a landed one; a killed walk
    leaves no record and the previous one stands.
    """

    blog_id: int
    full_refresh: bool
    pages_fetched: int
    requests: int
    stop_reason: str
    failed_pages: list[tuple[int, str]]  # (page number, reason)
    lowest_on: dt.date | None
    reach_on: dt.date | None
    walked_at: dt.datetime | None = None


@dataclass(frozen=True)
class WalkState:
    """Where the next walk of a blog starts from (from its latest ``WalkRecord``)."""

    reach_on: dt.date | None = TO_THE_END  # never walked: to the end
    lowest_on: dt.date | None = None
    resume_at: int | None = None  # a first crawl was killed after landing pages up to here


def ensure_raw_schema(conn: psycopg.Connection) -> None:
    """Create the raw schema, the ledger and the dialog tables, if missing (idempotent)."""
    ensure_raw_tables(conn, RAW_TABLES)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: The payload landed for a blog the registry no longer lists: staging drops the blog.
UNLISTED = "unlisted"


def land_blogs(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    blogs: Iterable[Blog],
    source_file: str,
    observed_at: dt.datetime | None = None,
) -> int:
    """Land the registry rows (as strings), and for each blog raw holds as listed that this
    registry does not list, an ``{"unlisted": true}`` observation: staging follows the latest
    registry. Returns the rows added."""
    observed_at = observed_at or now()
    blogs = list(blogs)
    rows = [
        raw_row(load_id, observed_at, source_file, blog.as_payload(), blog.blog_id)
        for blog in blogs
    ]
    listed_before = conn.execute(
        "select blog_id from (select distinct on (blog_id) blog_id, payload from raw.dialog_blogs"
        " order by blog_id, observed_at desc, content_hash) as latest"
        f" where not (payload ? '{UNLISTED}') and not (blog_id = any(%s))",
        ([blog.blog_id for blog in blogs],),
    ).fetchall()
    rows += [
        raw_row(load_id, observed_at, source_file, {"blog_id": str(b), UNLISTED: True}, b)
        for (b,) in listed_before
    ]
    return insert_new_rows(conn, BLOGS.qualified, BLOGS.column_names, rows)


def land_registry_rejects(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    refused: Iterable[tuple[Blog, str]],
    source_file: str,
) -> int:
    """Land the registry rows refused (``registry.refuse_unknown_regions``) as rejects."""
    observed_at = now()
    rows = []
    for blog, reason in refused:
        fragment = raw_row(load_id, observed_at, "", blog.as_payload())[-1].decode()
        rows.append((load_id, observed_at, source_file, reason, fragment, sha256_hex(fragment)))
    return insert_new_rows(conn, REJECTS.qualified, REJECTS.column_names, rows)


def land_pages(
    conn: psycopg.Connection, load_id: uuid.UUID, pages: Sequence[ObservedPage]
) -> Landed:
    """Land the cards and rejects of some pages, and the cards' masked texts, in one
    transaction (one commit per batch): no observation is in raw without its masked texts."""
    contents: dict[tuple[str, str], dict] = {}  # (number, content hash) → its card

    def appeals():  # built while the COPY streams them (see insert_new_rows)
        for observed in pages:
            for record in observed.page.cards:
                row = appeal_row(load_id, observed, record)
                contents.setdefault((record["number"], row[3]), record)
                yield row

    rejects = [
        _reject_row(load_id, observed, reject)
        for observed in pages
        for reject in observed.page.rejects
    ]
    with conn.transaction():
        added_appeals = insert_new_rows(conn, APPEALS.qualified, APPEAL_COLUMNS, appeals())
        masked_at = now()
        insert_new_rows(
            conn,
            MASKED_TEXTS.qualified,
            MASKED_TEXTS.column_names,
            (
                masked_row(number, digest, card, masked_at)
                for (number, digest), card in contents.items()
            ),
        )
        added_rejects = insert_new_rows(conn, REJECTS.qualified, REJECTS.column_names, rejects)
    return Landed(appeals=added_appeals, rejects=added_rejects)


def masked_row(number: str, digest: str, payload: dict, masked_at: dt.datetime) -> tuple:
    """raw.dialog_masked_texts' row (MASKED_TEXTS' columns) of one observed content."""
    return (number, digest, MASKING_VERSION, *masked_texts(payload), masked_at)


def mask_landed(
    conn: psycopg.Connection, *, everything: bool = False, batch_rows: int = 5_000, progress=None
) -> int:
    """Mask the texts of every landed observation that has no masked texts under the current
    rules (MASKING_VERSION), or of all of them (``everything``); returns how many. Run before
    every build: a warehouse landed before masking moved here, or under older rules, is brought
    up to date without re-crawling, and staging re-derives the appeals concerned (by
    ``masked_at``). Batches commit one by one, so a killed run keeps what it did. ``progress``,
    if given, is called with the count so far after each batch."""
    stale = "true" if everything else "m.number is null or m.masking_version <> %(version)s"
    query = (
        "select distinct on (a.number, a.content_hash) a.number, a.content_hash, a.payload"
        " from raw.dialog_appeals as a left join raw.dialog_masked_texts as m"
        " using (number, content_hash)"
        f" where {stale} order by a.number, a.content_hash"
    )
    done = 0
    # A second connection reads (a server-side cursor, so memory stays flat) while this one
    # writes and commits batch by batch.
    with (
        psycopg.connect(conn.info.dsn, password=conn.info.password) as reader,
        reader.cursor(name="unmasked") as cur,
    ):
        cur.itersize = batch_rows
        cur.execute(query, {"version": MASKING_VERSION})
        while rows := cur.fetchmany(batch_rows):
            masked_at = now()
            with conn.transaction():
                upsert_rows(
                    conn,
                    MASKED_TEXTS.qualified,
                    MASKED_TEXTS.column_names,
                    (masked_row(n, digest, payload, masked_at) for n, digest, payload in rows),
                )
            done += len(rows)
            if progress is not None:
                progress(done)
    return done


def known_states(
    conn: psycopg.Connection, numbers: Collection[str]
) -> dict[str, tuple[str, str | None, int]]:
    """The latest (status, rating, answer count) in raw of each of ``numbers`` (registration
    numbers) raw holds: what ``IncrementalStop`` compares a page with (an observation from
    before answers were listed counts none, so it is seen anew once). Asked page by page (the
    primary key's index), so a walk's memory does not grow with the blog's history."""
    rows = conn.execute(
        "select distinct on (number) number, payload->>'status', payload->>'rating', "
        "coalesce(jsonb_array_length(payload->'answers'), -1) "
        "from raw.dialog_appeals where number = any(%s) "
        "order by number, observed_at desc",
        (list(numbers),),
    ).fetchall()
    return {number: (status, rating, answers) for number, status, rating, answers in rows}


def land_walk(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    pages: Sequence[ObservedPage],
    walk: WalkRecord,
) -> Landed:
    """Land a walk's last pages and its record in one transaction."""
    with conn.transaction():
        landed = land_pages(conn, load_id, pages)
        conn.execute(
            f"insert into {WALKS.qualified} ({', '.join(WALKS.column_names)}) "
            f"values ({', '.join(['%s'] * len(WALKS.columns))}) on conflict do nothing",
            (
                load_id,
                walk.blog_id,
                walk.walked_at or now(),
                walk.full_refresh,
                walk.pages_fetched,
                walk.requests,
                walk.stop_reason,
                Jsonb([list(failed) for failed in walk.failed_pages]),
                None,  # lowest_id, reach_id: positions of walks recorded before dates
                None,
                walk.lowest_on,
                walk.reach_on,
            ),
        )
        conn.execute("delete from raw.dialog_walk_progress where blog_id = %s", (walk.blog_id,))
    return landed


def record_walk_progress(
    conn: psycopg.Connection, load_id: uuid.UUID, blog_id: int, resume_page: int
) -> None:
    """Where a first crawl of ``blog_id`` can resume: run in the transaction of the batch that
    landed the pages before it."""
    conn.execute(
        "insert into raw.dialog_walk_progress values (%s, %s, %s, clock_timestamp()) "
        "on conflict (blog_id) do update set load_id = excluded.load_id, "
        "resume_page = excluded.resume_page, updated_at = excluded.updated_at",
        (blog_id, load_id, resume_page),
    )


def walk_states(conn: psycopg.Connection) -> dict[int, WalkState]:
    """Each walked blog → where its next walk starts from (its latest recorded walk, and where a
    killed first crawl got to). A walk recorded before positions were dates, owing a question
    id, owes the end: its debt cannot be placed on the listing any more, and one walk to the
    end pays it."""
    rows = conn.execute(
        "select distinct on (blog_id) blog_id, reach_on, lowest_on, reach_id "
        "from raw.dialog_walks order by blog_id, walked_at desc"
    ).fetchall()
    states = {
        blog_id: WalkState(
            TO_THE_END if reach_on is None and reach_id is not None else reach_on, lowest_on
        )
        for blog_id, reach_on, lowest_on, reach_id in rows
    }
    for blog_id, page in conn.execute(
        "select blog_id, resume_page from raw.dialog_walk_progress"
    ).fetchall():
        state = states.get(blog_id, WalkState())
        if state.reach_on == TO_THE_END:  # only a crawl owed to the end resumes
            states[blog_id] = WalkState(state.reach_on, state.lowest_on, page)
    return states


def appeal_row(load_id: uuid.UUID, observed: ObservedPage, record: dict) -> tuple:
    """raw.dialog_appeals' row (APPEAL_COLUMNS) of one card."""
    return raw_row(
        load_id,
        observed.observed_at,
        observed.url,
        record,
        record["number"],
        record["question_id"],
        observed.blog_id,
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
