"""Walk the listing pages of Open Dialogue blogs, politely, page by page.

Pages are yielded as soon as they are read so the caller can land each before the next request:
a crawl of a large blog under a 1-second crawl delay takes hours, and an interruption must not
cost what was already seen.

Each walk over a blog is summed up in a :class:`BlogWalk`: pages read, why it stopped, the pages
that stayed broken, and what it leaves *owed* to the next walk (see ``BlogWalk.reach_after``).

Page drift. The listing is ordered newest first, so an appeal arriving during a walk pushes
every card one place down: the last card of page N shows up again as the first of page N+1.
Such a card is read twice and landed once (raw is keyed on registration number and content
hash; the two readings are the same observation). Nothing is skipped by an insertion. A *withdrawn*
appeal would pull the cards up instead, and the first card of the next page would then be
missed by this walk; the sandbox does not simulate withdrawals and the portal's behaviour is
unknown, so the crawler does not try to detect it: the next walk that reaches the card lands
it (an unknown card never settles a page), a full refresh at the latest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from ingestion.common.bounds import latest_day
from ingestion.common.http import FetchError, PoliteSession
from ingestion.dialog.load import TO_THE_END
from ingestion.dialog.parse import CARD_DESCRIPTION, ListingPage, is_complete_page, parse_listing
from ingestion.dialog.selectors import CARDS_PER_PAGE

log = logging.getLogger(__name__)

# Endpoints [seen]; the base URL is configuration (the portal or the sandbox).
LISTING_PATH = "/blogs/{blog_id}/questions?page={page}"
CHANGE_LANGUAGE_PATH = "/application/changelang?lang=ru"


class UnrecognisedListing(RuntimeError):
    """A page that should hold appeals holds no card the parser recognises: the portal's markup
    has changed (or the blog has no appeal at all). Never read as the end of a listing."""

    def __init__(self, url: str, page_no: int):
        self.url, self.page_no = url, page_no
        super().__init__(
            f"{url}: no appeal card found on page {page_no}, which should hold appeals "
            f"(looked for {CARD_DESCRIPTION}). The portal's markup may have changed: "
            "`tyndau probe dialog` shows what matched. A blog without any appeal looks the "
            "same: remove it from the registry."
        )


class FailedPage(NamedTuple):
    """A page that stayed broken after every retry; the run goes on without it."""

    url: str
    reason: str


#: What of an appeal can still change once it is settled (views change forever: ignored).
State = tuple[str, str | None, int]


def appeal_state(record: Mapping) -> State:
    """The part of an appeal an incremental crawl watches for changes: status, rating and
    how many answers it has."""
    return record["status"], record["rating"], len(record["answers"])


@dataclass(frozen=True)
class IncrementalStop:
    """When a blog's crawl may stop early: after the first page on which every appeal is
    already known in the same state (status, rating), is no longer pending, and was submitted
    more than ``lookback_days`` before the blog's newest appeal; and not before the walk has
    read past submission date ``reach_on`` (what earlier walks left owed, see ``BlogWalk``).

    The window is anchored on the newest appeal of the blog (page 1), not on the wall clock, so
    it means "the last N days of activity" on the live portal, on a frozen archive and on a
    sandbox scenario with its own "today" alike. A pending appeal can still change at any age,
    and a page showing a change may be followed by more: neither page settles the crawl.

    The trade-off of ``lookback_days``: a day's changes are new appeals (page 1), pending
    appeals being answered or rejected (walked through anyway: a page holding a pending or a
    changed appeal never settles), and **ratings**, which citizens give to answers days or
    weeks later. The window must reach back as far as ratings still arrive, or they are missed
    until the next full refresh; every day it reaches back costs a blog's daily number of
    appeals / 10 pages per run (about 1.7 pages a day of window on the sandbox's busiest blog).
    The default, 90 days, is where the sandbox stops rating answers (``ACTIVE_DAYS`` of
    ``sandbox/dialog/evolve.py``); on the live portal it is an assumption to check against the
    ratings a full refresh finds beyond it. With it, a daily run on the sandbox makes about
    1.1 times the requests the day's changes require at the least (measured by
    ``tests/integration/test_dialog_incremental.py``): the days of window without a change on
    small blogs, and one settled page per blog. What changes further down (a very late rating, an
    isolated appeal pending for ages below a settled page; views, which are not watched) waits
    for a full refresh.
    """

    #: registration numbers → the last landed state of those raw holds (asked once per page)
    known: Callable[[Collection[str]], Mapping[str, State]]
    lookback_days: int = 90
    reach_on: dt.date | None = None  # read past this submission date first (TO_THE_END: all)

    def is_settled(self, page: ListingPage, newest: dt.date | None) -> bool:
        if newest is None or not page.cards or page.rejects:
            return False  # nothing to judge by, or unreadable cards: keep going
        cutoff = newest - dt.timedelta(days=self.lookback_days)
        if any(
            card["status"] == "pending" or dt.date.fromisoformat(card["submitted_on"]) >= cutoff
            for card in page.cards
        ):
            return False
        known = self.known([card["number"] for card in page.cards])
        return all(known.get(card["number"]) == appeal_state(card) for card in page.cards)

    def has_reached(self, lowest_on: dt.date | None) -> bool:
        """Whether a walk that has read down to ``lowest_on`` owes nothing more."""
        return self.reach_on is None or _read_past(lowest_on, self.reach_on)


def _read_past(lowest_on: dt.date | None, reach_on: dt.date) -> bool:
    """Whether a walk whose oldest card read is ``lowest_on`` has read every card submitted on
    ``reach_on`` or later: it has seen an older one (strictly: cards of one day may stand on
    either side of a page boundary)."""
    return lowest_on is not None and lowest_on < reach_on


def submitted_dates(page: ListingPage) -> list[dt.date]:
    return [dt.date.fromisoformat(card["submitted_on"]) for card in page.cards]


@dataclass
class BlogWalk:
    """What one walk over a blog's pages did, and what it leaves owed to the next walk.

    A page that stays broken is a gap in what raw knows. The next walk must read past it before
    it may stop early, or the appeals it held are never landed: the gap is remembered as the
    newest submission date of the next page read after it (the next walk must read past it), or
    ``TO_THE_END`` when no page was read after it. Page numbers are not remembered: by the next
    run new appeals have pushed the cards further down, but submission dates stay where they
    are. (Question ids would be finer, but pending and rejected cards show none, and
    follow-ups' registration numbers are older than their place in the listing.)
    """

    blog_id: int
    pages_fetched: int = 0
    stop_reason: str = "interrupted"  # until the walk ends normally
    failed: list[tuple[int, str]] = field(default_factory=list)  # (page number, reason)
    lowest_on: dt.date | None = None  # the oldest submission date read
    reached_end: bool = False  # read to the end of the listing
    owed: list[dt.date] = field(default_factory=list)  # gaps, as dates to read past
    last_page: int = 0  # the page number last read
    resumed_at: int | None = None  # the page a resumed crawl went on from

    def read(self, page: ListingPage) -> None:
        self.pages_fetched += 1
        dates = submitted_dates(page)
        if dates:
            self.lowest_on = min(dates + ([self.lowest_on] if self.lowest_on else []))

    def fulfils(self, reach_on: dt.date) -> bool:
        """Whether this walk read everything a walk owing ``reach_on`` had to read."""
        return self.reached_end or _read_past(self.lowest_on, reach_on)

    def reach_after(
        self, reach_before: dt.date | None, last_lowest_on: dt.date | None
    ) -> dt.date | None:
        """What the next walk must read past (``TO_THE_END``: all; None: nothing owed).

        ``reach_before`` is what this walk owed (``TO_THE_END`` for a blog never walked to
        completion), and ``last_lowest_on`` how deep the previous walk read. The new gaps of
        this walk, and the old debt unless this walk paid it, are owed. A walk that read
        nothing at all (its first page stayed broken) owes the depth of the previous walk:
        what that walk watched for changes must be watched again.
        """
        owed = list(self.owed)
        if reach_before is not None and not self.fulfils(reach_before):
            owed.append(reach_before)
        if self.lowest_on is None and not self.reached_end:
            owed.append(last_lowest_on if last_lowest_on is not None else TO_THE_END)
        return min(owed) if owed else None


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
        self,
        blog_id: int,
        *,
        stop: IncrementalStop | None = None,
        walk: BlogWalk | None = None,
        resume_at: int | None = None,
    ) -> Iterator[tuple[str, ListingPage]]:
        """Yield ``(url, page)`` for pages 1..totalPages of one blog, and past the pager's last
        while the last page read is full: a pager may understate. An empty, short or repeated
        page past it ends the walk.

        ``resume_at`` (a first crawl killed before it ended, see ``WalkState.resume_at``) skips
        from page 1 to that page: the pages between were landed by the killed run, and new
        appeals only push cards further down.

        ``stop`` (incremental mode) ends the walk after the first settled page once the walk has
        read past ``stop.reach_on``. A page that stays broken is recorded in
        ``failed_pages`` and skipped; if the pager total is not known yet (page 1), the blog
        ends there, since its extent is unknown. ``walk`` is filled in as the
        walk goes: its ``stop_reason`` stays "interrupted" unless the walk ends.
        """
        walk = walk if walk is not None else BlogWalk(blog_id)
        self.ensure_language()
        total: int | None = None
        newest: dt.date | None = None
        previous_numbers: list[str] | None = None
        gap_open = False  # a page failed and no page has been read after it yet
        look_further = False  # the last page read was full: the listing may go on
        page_no = 1
        while True:
            if total is not None and page_no > total and not look_further:
                walk.stop_reason, walk.reached_end = "end of listing", True
                break
            url = self.listing_url(blog_id, page_no)
            page = self._fetch_page(url)
            if page is None:
                walk.failed.append((page_no, self.failed_pages[-1].reason))
                gap_open = True
                if total is None:
                    walk.stop_reason = f"failed page {page_no}"
                    break
                page_no += 1
                continue
            total = page.total_pages or total
            walk.read(page)
            if gap_open and page.cards:
                walk.owed.append(max(submitted_dates(page)))
                gap_open = False
            if page.is_empty and (page_no == 1 or (total is not None and page_no < total)):
                walk.stop_reason = f"unrecognised page {page_no}"
                raise UnrecognisedListing(url, page_no)
            numbers = [card["number"] for card in page.cards]
            if numbers and numbers == previous_numbers:  # e.g. the last page again past it
                log.info("%s repeats the previous page: the end of the listing", url)
                walk.stop_reason, walk.reached_end = f"repeated page {page_no}", True
                break
            walk.last_page = page_no
            yield url, page
            if page.is_empty:  # past the pager's last: its end, as the pager says
                past = total is not None and page_no > total
                walk.stop_reason = "end of listing" if past else f"empty page {page_no}"
                walk.reached_end = True
                break
            previous_numbers = numbers
            look_further = total is not None and (
                page_no >= total and page.card_elements >= CARDS_PER_PAGE
            )
            if page_no == 1 and page.cards:
                newest = max(submitted_dates(page))
            if (
                stop is not None
                and stop.has_reached(walk.lowest_on)
                and stop.is_settled(page, newest)
            ):
                log.info(
                    "blog %s: page %s holds only known, settled appeals: stopping", blog_id, page_no
                )
                walk.stop_reason = f"settled page {page_no}"
                break
            if page_no == 1 and resume_at is not None and resume_at > 2:
                log.info("blog %s: resuming the killed crawl at page %s", blog_id, resume_at)
                walk.resumed_at = page_no = resume_at
                previous_numbers = None
                continue
            page_no += 1
        if gap_open and walk.lowest_on is not None:
            walk.owed.append(TO_THE_END)  # nothing read after the gap: the next walk goes on

    def _fetch_page(self, url: str) -> ListingPage | None:
        try:
            html = self.session.fetch_text(url, validate=is_complete_page)
        except FetchError as exc:
            self.failed_pages.append(FailedPage(url, exc.reason))
            return None
        page = parse_listing(html, url, latest_on=latest_day(dt.datetime.now(dt.UTC)))
        if not page.complete:  # only if the validator was bypassed; never land half a page
            self.failed_pages.append(FailedPage(url, "incomplete page"))
            return None
        return page
