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
from ingestion.dialog.crawl import DialogCrawler, FailedPage, IncrementalStop
from ingestion.dialog.load import (
    SOURCE,
    ObservedPage,
    ensure_raw_schema,
    known_states,
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
    failed_pages: list[FailedPage] = field(default_factory=list)  # (url, reason)
    blogs: int = 0
    blog_rows_inserted: int = 0
    reject_rows_inserted: int = 0
    full_refresh: bool = False
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


@dataclass(frozen=True)
class LandingOptions:
    full_refresh: bool = False
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    batch_pages: int = DEFAULT_BATCH_PAGES
    progress: Callable[[Progress], None] | None = None


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
    already in raw in the same state, no longer pending, and older than ``lookback_days``
    before the blog's newest appeal (see ``IncrementalStop``); with nothing in raw yet that is
    a full crawl. ``full_refresh=True`` walks every page of every blog.

    Pages that stay broken after retries are listed in ``failed_pages`` and do not fail the
    run; any other error marks the ledger row 'failed' and is re-raised.
    """
    if batch_pages < 1:
        raise ValueError("batch_pages must be at least 1")
    options = LandingOptions(full_refresh, lookback_days, batch_pages, progress)
    mode = "full refresh" if full_refresh else "incremental"
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        report = LoadReport(load_id=load_id, full_refresh=full_refresh)
        log.info("dialog load %s started (%s) from %s", load_id, mode, base_url)
        session = PoliteSession(http_config, min_delay=crawl_delay_floor)
        try:
            with session:
                blogs = read_registry(blogs_file)
                report.blog_rows_inserted = land_blogs(conn, load_id, blogs, str(blogs_file))
                _Landing(conn, session, report, base_url, options).run(blogs)
        except BaseException as exc:  # an interrupted task too: the ledger must say so
            _record_http(report, session)
            _finish_quietly(conn, report, f"{type(exc).__name__}: {exc}")
            raise
        _record_http(report, session)
        finish_load(conn, load_id, "succeeded", report.as_stats())
    log.info(
        "dialog load %s succeeded: %d blogs, %d pages, %d requests, %d cards, %d new rows, "
        "%d rejects, %d failed pages",
        *(load_id, report.blogs, report.pages_fetched, report.requests_made, report.cards_seen),
        *(report.rows_inserted, report.rejects, len(report.failed_pages)),
    )
    return report


class _Landing:
    """One run over the registry's blogs: crawl each, land its pages in batches."""

    def __init__(
        self,
        conn: psycopg.Connection,
        session: PoliteSession,
        report: LoadReport,
        base_url: str,
        options: LandingOptions,
    ):
        self.conn = conn
        self.report = report
        self.options = options
        self.crawler = DialogCrawler(session, base_url, failed_pages=report.failed_pages)
        self.pending: list[ObservedPage] = []  # pages read, not yet landed

    def run(self, blogs: list[Blog]) -> None:
        try:
            for number, blog in enumerate(blogs, start=1):
                self._land_blog(blog, number, len(blogs))
                self._flush()
                self.report.blogs += 1
        finally:
            self._flush_quietly()  # keep what was read before an interruption

    def _land_blog(self, blog: Blog, number: int, blogs_total: int) -> None:
        report = self.report
        before = (report.pages_fetched, report.cards_seen, report.rejects, len(report.failed_pages))
        for url, page in self.crawler.crawl_blog(blog.blog_id, stop=self._stop_rule(blog)):
            self.pending.append(ObservedPage(blog.blog_id, url, page, now()))
            report.pages_fetched += 1
            report.cards_seen += len(page.cards) + len(page.rejects)
            report.rejects += len(page.rejects)
            if len(self.pending) >= self.options.batch_pages:
                self._flush()
            if self.options.progress is not None:
                where = (blog.blog_id, number, blogs_total, url, page.total_pages)
                self.options.progress(Progress(*where, cards_seen=report.cards_seen))
        after = (report.pages_fetched, report.cards_seen, report.rejects, len(report.failed_pages))
        log.info(
            "blog %s (%s) [%d/%d]: %d pages, %d cards, %d rejects, %d failed pages",
            *(blog.blog_id, blog.gov_body_code, number, blogs_total),
            *(b - a for a, b in zip(before, after, strict=True)),
        )

    def _stop_rule(self, blog: Blog) -> IncrementalStop | None:
        if self.options.full_refresh:
            return None
        return IncrementalStop(known_states(self.conn, blog.blog_id), self.options.lookback_days)

    def _flush(self) -> None:
        """Land the pending pages: one COPY per table and one commit."""
        if not self.pending:
            return
        landed = land_pages(self.conn, self.report.load_id, self.pending)
        self.pending = []
        self.report.rows_inserted += landed.appeals
        self.report.reject_rows_inserted += landed.rejects

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except Exception:  # the error that interrupted the run matters more
            log.exception("could not land the last %d pages", len(self.pending))


def _record_http(report: LoadReport, session: PoliteSession) -> None:
    stats = session.stats
    report.requests_made = stats.requests
    report.http = stats.as_dict()


def _finish_quietly(conn: psycopg.Connection, report: LoadReport, error: str) -> None:
    try:
        finish_load(conn, report.load_id, "failed", report.as_stats(), error=error)
    except Exception:  # e.g. the warehouse itself is gone; the original error is re-raised
        log.exception("could not record the failure of load %s", report.load_id)
