"""One call lands the Open Dialogue source: registry, every blog's pages, the run's ledger row.

This is what the Airflow task calls (it must not import Airflow); the CLI and tests call it too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from ingestion.common.http import HttpConfig, PoliteSession
from ingestion.common.ledger import finish_load, start_load
from ingestion.dialog.crawl import DialogCrawler, IncrementalStop
from ingestion.dialog.load import (
    SOURCE,
    Landed,
    ObservedPage,
    ensure_raw_schema,
    known_question_ids,
    land_blogs,
    land_pages,
    now,
)
from ingestion.dialog.registry import Blog, read_registry

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = 90
DEFAULT_BATCH_PAGES = 20
_MAX_FAILED_PAGES_IN_LEDGER = 200  # the ledger row stays small; the report has them all


@dataclass
class LoadReport:
    """What one landing did. ``cards_seen`` counts every card read, ``rejects`` the unreadable
    ones among them; ``rows_inserted`` counts new appeal observations only."""

    load_id: uuid.UUID
    pages_fetched: int = 0
    requests_made: int = 0
    cards_seen: int = 0
    rows_inserted: int = 0
    rejects: int = 0
    failed_pages: list[tuple[str, str]] = field(default_factory=list)
    blogs: int = 0
    blog_rows_inserted: int = 0
    reject_rows_inserted: int = 0
    full_refresh: bool = True
    http: dict = field(default_factory=dict)

    def as_stats(self) -> dict:
        """The figures for the ledger's ``stats`` column (JSON)."""
        stats = asdict(self)
        stats["load_id"] = str(self.load_id)
        stats["failed_pages_total"] = len(self.failed_pages)
        stats["failed_pages"] = [list(p) for p in self.failed_pages[:_MAX_FAILED_PAGES_IN_LEDGER]]
        return stats


@dataclass(frozen=True)
class Progress:
    """Sent to the ``progress`` callback after every page."""

    blog_id: int
    blog_number: int  # 1-based
    blogs_total: int
    page_url: str
    total_pages: int | None
    cards_seen: int  # so far, in the whole run


def land_dialog(
    warehouse_url: str,
    base_url: str,
    blogs_file: str | Path,
    *,
    crawl_delay_floor: float = 0.0,
    full_refresh: bool = False,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    batch_pages: int = DEFAULT_BATCH_PAGES,
    http_config: HttpConfig | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> LoadReport:
    """Crawl every blog of the registry at ``base_url`` and land what is seen in ``raw``.

    Incremental by default: a blog's crawl stops after the first page holding only appeals
    already in raw, no longer pending, and older than ``lookback_days`` before the blog's newest
    appeal (see ``IncrementalStop``); with nothing in raw yet that is a full crawl.
    ``full_refresh=True`` walks every page of every blog.
    Pages that stay broken after retries are listed in ``failed_pages`` and do not fail the
    run; any other error marks the ledger row failed and is re-raised.
    """
    if batch_pages < 1:
        raise ValueError("batch_pages must be at least 1")
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        report = LoadReport(load_id=load_id, full_refresh=full_refresh)
        log.info(
            "dialog load %s started (%s)",
            load_id,
            "full refresh" if full_refresh else "incremental",
        )
        session = PoliteSession(http_config, min_delay=crawl_delay_floor)
        try:
            with session:
                _land(
                    conn,
                    session,
                    report,
                    base_url,
                    Path(blogs_file),
                    full_refresh,
                    lookback_days,
                    batch_pages,
                    progress,
                )
        except BaseException as exc:  # also an interrupted task: the ledger must say so
            report.http = session.stats.as_dict()
            report.requests_made = session.stats.requests
            _finish_quietly(conn, report, "failed", f"{type(exc).__name__}: {exc}")
            raise
        report.http = session.stats.as_dict()
        report.requests_made = session.stats.requests
        finish_load(conn, load_id, "succeeded", report.as_stats())
    log.info(
        "dialog load %s succeeded: %d blogs, %d pages, %d requests, %d cards, %d new rows, "
        "%d rejects, %d failed pages",
        load_id,
        report.blogs,
        report.pages_fetched,
        report.requests_made,
        report.cards_seen,
        report.rows_inserted,
        report.rejects,
        len(report.failed_pages),
    )
    return report


def _land(
    conn: psycopg.Connection,
    session: PoliteSession,
    report: LoadReport,
    base_url: str,
    blogs_file: Path,
    full_refresh: bool,
    lookback_days: int,
    batch_pages: int,
    progress: Callable[[Progress], None] | None,
) -> None:
    blogs = read_registry(blogs_file)
    report.blog_rows_inserted = land_blogs(conn, report.load_id, blogs, str(blogs_file))
    crawler = DialogCrawler(session, base_url, failed_pages=report.failed_pages)
    batch = _Batch(conn, report, batch_pages)
    try:
        for number, blog in enumerate(blogs, start=1):
            stop = None
            if not full_refresh:
                stop = IncrementalStop(known_question_ids(conn, blog.blog_id), lookback_days)
            _land_blog(crawler, blog, stop, batch, report, number, len(blogs), progress)
            batch.flush()
            report.blogs += 1
    finally:
        batch.flush_quietly()  # keep what was seen before an interruption


def _land_blog(
    crawler: DialogCrawler,
    blog: Blog,
    stop: IncrementalStop | None,
    batch: _Batch,
    report: LoadReport,
    number: int,
    blogs_total: int,
    progress: Callable[[Progress], None] | None,
) -> None:
    pages = cards = rejects = 0
    failed_before = len(crawler.failed_pages)
    for url, page in crawler.crawl_blog(blog.blog_id, stop=stop):
        batch.add(ObservedPage(blog.blog_id, url, page, now()))
        pages += 1
        cards += len(page.cards) + len(page.rejects)
        rejects += len(page.rejects)
        report.pages_fetched += 1
        report.cards_seen += len(page.cards) + len(page.rejects)
        report.rejects += len(page.rejects)
        if progress is not None:
            progress(
                Progress(
                    blog.blog_id, number, blogs_total, url, page.total_pages, report.cards_seen
                )
            )
    log.info(
        "blog %s (%s) [%d/%d]: %d pages, %d cards, %d rejects, %d failed pages",
        blog.blog_id,
        blog.gov_body_code,
        number,
        blogs_total,
        pages,
        cards,
        rejects,
        len(crawler.failed_pages) - failed_before,
    )


class _Batch:
    """Pages waiting to be landed together: one COPY and one commit per ``size`` pages."""

    def __init__(self, conn: psycopg.Connection, report: LoadReport, size: int):
        self.conn = conn
        self.report = report
        self.size = size
        self.pages: list[ObservedPage] = []

    def add(self, page: ObservedPage) -> None:
        self.pages.append(page)
        if len(self.pages) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.pages:
            return
        landed: Landed = land_pages(self.conn, self.report.load_id, self.pages)
        self.pages = []
        self.report.rows_inserted += landed.appeals
        self.report.reject_rows_inserted += landed.rejects

    def flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:  # the original error matters more
            log.exception("could not land the last %d pages", len(self.pages))


def _finish_quietly(conn: psycopg.Connection, report: LoadReport, status: str, error: str) -> None:
    try:
        finish_load(conn, report.load_id, status, report.as_stats(), error=error)
    except Exception:
        log.exception("could not record the outcome of load %s", report.load_id)
