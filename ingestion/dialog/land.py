"""One call lands the Open Dialogue source: registry, every blog's pages, the run's ledger row.

This is what the Airflow task calls (it must not import Airflow); the CLI and tests call it too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import psycopg

from ingestion.common.http import HttpConfig, PoliteSession
from ingestion.common.ledger import record_progress, recorded_load, start_load
from ingestion.common.raw import landing_connection
from ingestion.common.report import LandingReport
from ingestion.dialog.crawl import (
    BlogWalk,
    DialogCrawler,
    FailedPage,
    IncrementalStop,
    UnrecognisedListing,
)
from ingestion.dialog.load import (
    SOURCE,
    TO_THE_END,
    ObservedPage,
    WalkRecord,
    WalkState,
    ensure_raw_schema,
    known_states,
    land_blogs,
    land_pages,
    land_registry_rejects,
    land_walk,
    now,
    record_walk_progress,
    walk_states,
)
from ingestion.dialog.registry import (
    REGIONS_SEED,
    Blog,
    known_region_katos,
    read_registry,
    refuse_unknown_regions,
)

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = 90
#: A landing in which more of the cards read are rejected fails (after landing the rest): the
#: portal's markup has probably changed under the parser.
DEFAULT_MAX_REJECT_SHARE = 0.02
#: Blogs in a row whose first page holds no recognisable card before the run gives up: one is
#: an empty or wrong blog, several are a redesign, and crawling on would cost hours for nothing.
_UNRECOGNISED_BLOGS_TO_ABORT = 3
DEFAULT_BATCH_PAGES = 100  # pages per commit: ~1,000 appeals, what a killed run re-reads
_MAX_FAILED_PAGES_IN_LEDGER = 200  # the ledger row stays small; the report has them all
_MAX_FAILED_PAGES_PER_BLOG = 50


@dataclass
class LoadReport(LandingReport):
    """What one landing did. ``cards_seen`` counts every card read, ``rejects`` the unreadable
    ones among them; ``rows_inserted`` counts new appeal observations only."""

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
    lookback_days: int | None = None  # None for a full refresh
    http: dict = field(default_factory=dict)
    #: blog_id (as text, a JSON key) → what its walk did: see ``_Landing._record``.
    per_blog: dict[str, dict] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)  # reason → cards
    answered_seen: int = 0  # answered cards read…
    rated_seen: int = 0  # …and those carrying a rating ([assumed] markup)
    unrecognised: list[str] = field(default_factory=list)  # why, per blog without a card
    registry_rejects: list[str] = field(default_factory=list)  # rows refused, with why

    @property
    def reject_share(self) -> float:
        return self.rejects / self.cards_seen if self.cards_seen else 0.0

    @property
    def ratings_note(self) -> str | None:
        """Said when answered cards were read but none carried a rating: the rating markup is
        [assumed], and satisfaction figures built on no rating would be a ranking of zeros."""
        if self.answered_seen and not self.rated_seen:
            return (
                f"no rating on any of the {self.answered_seen} answered cards read: the "
                "rating markup (ingestion/dialog/selectors.py, [assumed]) may not match the "
                "portal; satisfaction figures stay null"
            )
        return None

    def as_stats(self) -> dict:
        """The figures for the ledger's ``stats`` column (JSON)."""
        stats = asdict(self)
        stats["load_id"] = str(self.load_id)
        stats["failed_pages_total"] = len(self.failed_pages)
        stats["failed_pages"] = [list(p) for p in self.failed_pages[:_MAX_FAILED_PAGES_IN_LEDGER]]
        stats["reject_reasons"] = dict(Counter(self.reject_reasons).most_common(20))
        stats["ratings_note"] = self.ratings_note
        return stats

    def figures(self) -> dict:
        return {
            "pages_fetched": self.pages_fetched,
            "requests_made": self.requests_made,
            "cards_seen": self.cards_seen,
            "rows_inserted": self.rows_inserted,
            "rejects": self.rejects,
            "failed_pages": len(self.failed_pages),
            "ratings": self.ratings_note or f"{self.rated_seen} rated answers",
            # why each blog's walk stopped: shows an operator what an incremental run skipped
            "stops": {str(blog): why for blog, why in self.stop_reasons.items()},
        }

    def commonest_rejects(self, top: int = 3) -> str:
        return "; ".join(
            f"{reason} ({n})" for reason, n in Counter(self.reject_reasons).most_common(top)
        )

    @property
    def stop_reasons(self) -> dict[int, str]:
        """blog_id → why its walk stopped ("settled page 12", "end of listing", …)."""
        return {int(blog_id): detail["stop"] for blog_id, detail in self.per_blog.items()}


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
    min_delay: float = 0.0,
    full_refresh: bool = False,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    batch_pages: int = DEFAULT_BATCH_PAGES,
    http_config: HttpConfig | None = None,
    progress: Callable[[Progress], None] | None = None,
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE,
    regions_seed: Path = REGIONS_SEED,
) -> LoadReport:
    """Crawl every blog of the registry at ``base_url`` and land what is seen in ``raw``.

    Incremental by default: a blog's crawl stops after the first page holding only appeals
    already in raw in the same state, no longer pending, and older than ``lookback_days``
    before the blog's newest appeal (see ``IncrementalStop`` for the trade-off), but never
    before it has read what earlier walks left owed: past the pages that stayed broken last
    time, and to the end for a blog never walked to completion (the first run, or one killed
    before the blog's walk was recorded). ``full_refresh=True`` walks every page of every blog.

    What each blog's walk did (pages, requests, why it stopped, failed pages, what it owes the
    next walk) goes to ``report.per_blog``, the ledger row's ``stats`` and ``raw.dialog_walks``.

    A registry row whose KATO no region of ``regions_seed`` names is refused (the dbt seed, as a
    checkout has it unless the caller names the installed one).

    Pages that stay broken after retries are listed in ``failed_pages`` and do not fail the
    run; the next run picks them up. What fails the run, after everything else has landed
    (:class:`LandingCheckFailed`): a blog whose first page (or a page before the pager's
    last) holds no recognisable card, and more than ``max_reject_share`` of the cards read
    rejected. Any other error marks the ledger row 'failed' and is re-raised. A run killed
    outright leaves its ledger row 'running' (nothing reads that row back) and what it landed
    stays: raw is append-only and keyed on content, so running again lands exactly what an
    uninterrupted run would have.
    """
    if batch_pages < 1:
        raise ValueError("batch_pages must be at least 1")
    if lookback_days < 0:
        raise ValueError("lookback_days must not be negative")
    options = LandingOptions(full_refresh, lookback_days, batch_pages, progress)
    mode = "full refresh" if full_refresh else "incremental"
    with landing_connection(warehouse_url) as conn:
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        report = LoadReport(
            load_id=load_id,
            full_refresh=full_refresh,
            lookback_days=None if full_refresh else lookback_days,
        )
        log.info("dialog load %s started (%s) from %s", load_id, mode, base_url)
        session = PoliteSession((http_config or HttpConfig()).at_least(min_delay))
        http_figures = lambda: _record_http(report, session)  # noqa: E731
        with recorded_load(conn, report, before_finish=http_figures), session:
            blogs, refused = refuse_unknown_regions(
                read_registry(blogs_file), known_region_katos(regions_seed)
            )
            report.registry_rejects = [reason for _, reason in refused]
            for reason in report.registry_rejects:
                log.error("dialog registry: %s; the blog is not crawled", reason)
            land_registry_rejects(conn, load_id, refused, str(blogs_file))
            report.blog_rows_inserted = land_blogs(conn, load_id, blogs, str(blogs_file))
            landing = _Landing(conn, session, report, base_url, options)
            landing.run(blogs, walk_states(conn))
            _check_landing(report, max_reject_share)
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
        self.session = session
        self.report = report
        self.options = options
        self.crawler = DialogCrawler(session, base_url, failed_pages=report.failed_pages)
        self.pending: list[ObservedPage] = []  # pages read, not yet landed
        self.resumable: BlogWalk | None = None  # the first crawl of a blog under way

    def run(self, blogs: list[Blog], states: dict[int, WalkState]) -> None:
        unrecognised_in_a_row = 0
        try:
            self.crawler.ensure_language()  # before the first blog: its figures are its own
            for number, blog in enumerate(blogs, start=1):
                state = states.get(blog.blog_id, WalkState())
                try:
                    self._land_blog(blog, number, len(blogs), state)
                except UnrecognisedListing as exc:  # the others still land; the run fails
                    log.error("blog %s: %s", blog.blog_id, exc)
                    self.report.unrecognised.append(f"blog {blog.blog_id}: {exc}")
                    unrecognised_in_a_row += 1
                    if unrecognised_in_a_row >= _UNRECOGNISED_BLOGS_TO_ABORT:
                        raise LandingCheckFailed(
                            f"{unrecognised_in_a_row} blogs in a row without a recognisable "
                            f"card: the portal's markup has changed. {exc}"
                        ) from None
                    continue
                unrecognised_in_a_row = 0
                self.report.blogs += 1
        finally:
            self._flush_quietly()  # keep what was read before an interruption

    def _land_blog(self, blog: Blog, number: int, blogs_total: int, state: WalkState) -> None:
        report = self.report
        before = (report.pages_fetched, report.cards_seen, report.rejects, len(report.failed_pages))
        requests_before = self.session.stats.requests
        walk = BlogWalk(blog.blog_id)
        stop = self._stop_rule(blog, state)
        first_crawl = state.reach_on == TO_THE_END and not self.options.full_refresh
        self.resumable = walk if first_crawl else None
        resume_at = state.resume_at if first_crawl else None
        try:
            pages = self.crawler.crawl_blog(blog.blog_id, stop=stop, walk=walk, resume_at=resume_at)
            for url, page in pages:
                self.pending.append(ObservedPage(blog.blog_id, url, page, now()))
                report.pages_fetched += 1
                report.cards_seen += len(page.cards) + len(page.rejects)
                report.rejects += len(page.rejects)
                for reject in page.rejects:
                    reasons = report.reject_reasons
                    reasons[reject.reason] = reasons.get(reject.reason, 0) + 1
                answered = [c for c in page.cards if c["status"] == "answered"]
                report.answered_seen += len(answered)
                report.rated_seen += sum(c["rating"] is not None for c in answered)
                if len(self.pending) >= self.options.batch_pages:
                    self._flush()
                if self.options.progress is not None:
                    where = (blog.blog_id, number, blogs_total, url, page.total_pages)
                    self.options.progress(Progress(*where, cards_seen=report.cards_seen))
        finally:  # an interrupted walk is reported too, as "interrupted"
            requests = self.session.stats.requests - requests_before
            cards = report.cards_seen - before[1]
            self._record(blog, walk, state, requests, cards, reach_after=state.reach_on)
        record = WalkRecord(
            blog_id=blog.blog_id,
            full_refresh=self.options.full_refresh,
            pages_fetched=walk.pages_fetched,
            requests=requests,
            stop_reason=walk.stop_reason,
            failed_pages=walk.failed[:_MAX_FAILED_PAGES_PER_BLOG],
            lowest_on=walk.lowest_on if walk.lowest_on is not None else state.lowest_on,
            reach_on=walk.reach_after(state.reach_on, state.lowest_on),
        )
        self._flush(record)
        self._record(blog, walk, state, requests, cards, reach_after=record.reach_on)
        _record_http(report, self.session)
        record_progress(self.conn, report.load_id, report.as_stats())
        after = (report.pages_fetched, report.cards_seen, report.rejects, len(report.failed_pages))
        log.info(
            "blog %s (%s) [%d/%d]: %d pages, %d cards, %d rejects, %d failed pages; "
            "%d requests; stopped: %s",
            *(blog.blog_id, blog.gov_body_code, number, blogs_total),
            *(b - a for a, b in zip(before, after, strict=True)),
            *(requests, walk.stop_reason),
        )

    def _record(
        self,
        blog: Blog,
        walk: BlogWalk,
        state: WalkState,
        requests: int,
        cards: int,
        reach_after: dt.date | None,
    ) -> None:
        """The blog's entry in the ledger's stats."""
        self.report.per_blog[str(blog.blog_id)] = {
            "pages_fetched": walk.pages_fetched,
            "requests": requests,
            "cards_seen": cards,
            "stop": walk.stop_reason,  # "interrupted" unless the walk ended
            "failed_pages": [list(f) for f in walk.failed[:_MAX_FAILED_PAGES_PER_BLOG]],
            "failed_pages_total": len(walk.failed),
            # The submission date the walk had to read past, and the next one has to ("end":
            # to the end of the listing; null: nothing owed).
            "reach_before": _position(state.reach_on),
            "reach_after": _position(reach_after),
            "resumed_at_page": walk.resumed_at,
        }

    def _stop_rule(self, blog: Blog, state: WalkState) -> IncrementalStop | None:
        if self.options.full_refresh:
            return None
        known = partial(known_states, self.conn)
        return IncrementalStop(known, self.options.lookback_days, reach_on=state.reach_on)

    def _flush(self, walk: WalkRecord | None = None) -> None:
        """Land the pending pages (and a finished walk's record): one transaction."""
        if not self.pending and walk is None:
            return
        if walk is None:
            with self.conn.transaction():
                landed = land_pages(self.conn, self.report.load_id, self.pending)
                self._record_progress()
        else:
            landed = land_walk(self.conn, self.report.load_id, self.pending, walk)
        self.pending = []
        self.report.rows_inserted += landed.appeals
        self.report.reject_rows_inserted += landed.rejects

    def _record_progress(self) -> None:
        """A first crawl resumes after its last landed page, or at its first broken one."""
        walk = self.resumable
        if walk is None or not walk.last_page:
            return
        page = min([walk.last_page, *(number for number, _ in walk.failed)])
        record_walk_progress(self.conn, self.report.load_id, walk.blog_id, page)

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except Exception:  # the error that interrupted the run matters more
            log.exception("could not land the last %d pages", len(self.pending))


class LandingCheckFailed(RuntimeError):
    """The landing finished, but what it read says the portal no longer reads as expected."""


def _check_landing(report: LoadReport, max_reject_share: float) -> None:
    problems = list(report.unrecognised)
    if report.reject_share > max_reject_share:
        problems.append(
            f"{report.rejects} of {report.cards_seen} cards rejected "
            f"({report.reject_share:.1%}, more than {max_reject_share:.1%}); commonest: "
            f"{report.commonest_rejects()}"
        )
    if report.ratings_note:
        log.warning("dialog landing: %s", report.ratings_note)
    if problems:
        raise LandingCheckFailed("; ".join(problems))


def _position(reach_on: dt.date | None) -> str | None:
    return None if reach_on is None else "end" if reach_on == TO_THE_END else reach_on.isoformat()


def _record_http(report: LoadReport, session: PoliteSession) -> None:
    stats = session.stats
    report.requests_made = stats.requests
    report.http = stats.as_dict()
