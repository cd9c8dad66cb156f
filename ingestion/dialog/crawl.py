"""Walk the listing pages of Open Dialogue blogs, politely, page by page.

Pages are yielded as soon as they are read so the caller can land each before the next request:
a crawl of a large blog under a 1-second crawl delay takes hours, and an interruption must not
cost what was already seen.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from ingestion.common.http import FetchError, PoliteSession
from ingestion.dialog.parse import ListingPage, is_complete_page, parse_listing

log = logging.getLogger(__name__)

# Endpoints [seen]; the base URL is configuration (the portal or the sandbox).
LISTING_PATH = "/blogs/{blog_id}/questions?page={page}"
CHANGE_LANGUAGE_PATH = "/application/changelang?lang=ru"


class FailedPage(NamedTuple):
    """A page that stayed broken after every retry; the run goes on without it."""

    url: str
    reason: str


#: What of an appeal can still change once it is settled (views change forever: ignored).
State = tuple[str, str | None]


def appeal_state(record: Mapping) -> State:
    """The part of an appeal an incremental crawl watches for changes: status and rating."""
    return record["status"], record["rating"]


@dataclass(frozen=True)
class IncrementalStop:
    """When a blog's crawl may stop early: after the first page on which every appeal is
    already known in the same state (status, rating), is no longer pending, and was submitted
    more than ``lookback_days`` before the blog's newest appeal.

    The window is anchored on the newest appeal of the blog (page 1), not on the wall clock, so
    it means "the last N days of activity" on the live portal, on a frozen archive and on a
    sandbox scenario with its own "today" alike. A pending appeal can still change at any age,
    and a page showing a change may be followed by more: neither page settles the crawl. What
    changes beyond a settled page (a very late rating; views) waits for a full refresh.
    """

    known: Mapping[int, State]  # question_id → its last landed state
    lookback_days: int = 90

    def is_settled(self, page: ListingPage, newest: dt.date | None) -> bool:
        if newest is None or not page.cards or page.rejects:
            return False  # nothing to judge by, or unreadable cards: keep going
        cutoff = newest - dt.timedelta(days=self.lookback_days)
        return all(
            card["status"] != "pending"
            and self.known.get(card["question_id"]) == appeal_state(card)
            and dt.date.fromisoformat(card["submitted_on"]) < cutoff
            for card in page.cards
        )


@dataclass
class DialogCrawler:
    """Crawls blogs of one portal through one polite session; collects the failed pages."""

    session: PoliteSession
    base_url: str
    failed_pages: list[FailedPage] = field(default_factory=list)
    _language_set: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    def listing_url(self, blog_id: int, page: int) -> str:
        return self.base_url + LISTING_PATH.format(blog_id=blog_id, page=page)

    def ensure_language(self) -> None:
        """Ask for Russian pages once per crawler (a cookie; the status texts are Russian)."""
        if self._language_set:
            return
        self._language_set = True
        url = self.base_url + CHANGE_LANGUAGE_PATH
        try:
            self.session.get(url, follow_redirects=False)  # the cookie comes with the redirect
        except FetchError as exc:
            log.warning("could not set the language (%s); pages may not be in Russian", exc)
            self.failed_pages.append(FailedPage(url, exc.reason))

    def crawl_blog(
        self, blog_id: int, *, stop: IncrementalStop | None = None
    ) -> Iterator[tuple[str, ListingPage]]:
        """Yield ``(url, page)`` for pages 1..totalPages of one blog (an empty page ends it too).

        ``stop`` (incremental mode) ends the walk after the first settled page. A page that
        stays broken is recorded in ``failed_pages`` and skipped; if the pager total is not
        known yet (page 1), the blog ends there, since its extent is unknown.
        """
        self.ensure_language()
        total: int | None = None
        newest: dt.date | None = None
        previous_ids: list[int] | None = None
        page_no = 1
        while total is None or page_no <= total:
            url = self.listing_url(blog_id, page_no)
            page = self._fetch_page(url)
            if page is None:
                if total is None:
                    return
                page_no += 1
                continue
            total = page.total_pages or total
            yield url, page
            if page.is_empty:
                return
            ids = [card["question_id"] for card in page.cards]
            if total is None and ids == previous_ids:
                log.warning("%s repeats the previous page and has no pager: stopping", url)
                return
            previous_ids = ids
            if page_no == 1 and page.cards:
                newest = max(dt.date.fromisoformat(c["submitted_on"]) for c in page.cards)
            if stop is not None and stop.is_settled(page, newest):
                log.info(
                    "blog %s: page %s holds only known, settled appeals: stopping", blog_id, page_no
                )
                return
            page_no += 1

    def _fetch_page(self, url: str) -> ListingPage | None:
        try:
            html = self.session.fetch_text(url, validate=is_complete_page)
        except FetchError as exc:
            self.failed_pages.append(FailedPage(url, exc.reason))
            return None
        page = parse_listing(html, url)
        if not page.complete:  # only if the validator was bypassed; never land half a page
            self.failed_pages.append(FailedPage(url, "incomplete page"))
            return None
        return page


def crawl_blog(
    session: PoliteSession,
    base_url: str,
    blog_id: int,
    *,
    stop: IncrementalStop | None = None,
    failed_pages: list[FailedPage] | None = None,
) -> Iterator[tuple[str, ListingPage]]:
    """One blog, on its own: ``(url, page)`` per page; failed pages go to ``failed_pages``."""
    crawler = DialogCrawler(session, base_url)
    if failed_pages is not None:
        crawler.failed_pages = failed_pages
    yield from crawler.crawl_blog(blog_id, stop=stop)
