"""A local dialog.egov.kz: the HTML protocol of docs/sources.md section 1 over real HTTP.

Serves a scenario's blog listings, robots.txt and the language switch, with knobs for the
troubles of the real portal (faults, rate limits, slowness, truncated pages, page drift). Every
request is logged, so tests can prove what a crawler did, and did not, ask for.
"""

from __future__ import annotations

import codecs
import logging
import random
import re
import time
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qs, urlsplit

from sandbox.dialog import evolve, render
from sandbox.dialog.markup import EVIDENCED, Markup
from sandbox.dialog.scenario import Scenario, build_scenario
from sandbox.http import BackgroundSandbox

log = logging.getLogger(__name__)

LISTING_PATH = re.compile(r"/blogs/(\d+)/questions/?")
QUESTION_PATH = re.compile(r"/blogs/all-questions/(\d+)/?")
HTML = "text/html; charset=utf-8"
CARD_MARK = "<li><i class="  # inside every card, whatever its markup


@dataclass(frozen=True)
class Knobs:
    """The real portal's troubles, dialled in. Faults hit listing pages only, never robots.txt."""

    crawl_delay: int = 0  # seconds, announced in robots.txt
    error_rate: float = 0.0  # share of listing responses that are 500 or 503
    rate_limit_rate: float = 0.0  # share answered 429 with a Retry-After header
    retry_after: int = 1  # seconds, the Retry-After of a 429
    slow_rate: float = 0.0  # share of listing responses delayed by slow_seconds
    slow_seconds: float = 5.0
    truncate_rate: float = 0.0  # share of listing pages cut off mid-card (still 200)
    drift_every: int = 0  # every N listing requests a new appeal tops a blog; 0 = off
    drift_blog_ids: tuple[int, ...] = ()  # blogs drift may hit; empty = any blog
    fault_seed: int = 0  # seeds the fault and drift decisions: runs are reproducible
    markup: Markup = EVIDENCED  # the card's shape: sandbox/dialog/markup.py
    # Listing pages' bytes, and the charset their Content-Type and <meta> name (None: none):
    # "windows-1251" with None or "utf-8" is a page a crawler must read by detection.
    page_charset: str = "utf-8"
    declared_charset: str | None = "utf-8"
    # Listing cards carrying a date past the portal's life, views past a column's range
    # (impossible values a parser must reject, not land): every Nth card; 0 = none.
    implausible_every: int = 0

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.rate_limit_rate, self.slow_rate, self.truncate_rate)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be within [0, 1] and add up to at most 1")
        if self.crawl_delay < 0 or self.retry_after < 0 or self.slow_seconds < 0:
            raise ValueError("crawl_delay, retry_after and slow_seconds must not be negative")
        if self.drift_every < 0 or self.implausible_every < 0:
            raise ValueError("drift_every and implausible_every must not be negative")
        for charset in (self.page_charset, self.declared_charset):
            if charset is not None:
                codecs.lookup(charset)  # LookupError for a charset Python does not know


class Fault(Enum):
    NONE = "none"
    ERROR = "error"
    RATE_LIMIT = "rate_limit"
    SLOW = "slow"
    TRUNCATE = "truncate"


@dataclass(frozen=True)
class RequestRecord:
    path: str  # as requested, query string included
    status: int
    at: float  # time.monotonic() when the request arrived
    user_agent: str
    fault: Fault = Fault.NONE


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering
    fault: Fault = Fault.NONE


class DialogSandbox(BackgroundSandbox):
    """Serves `scenario` (default: `build_scenario()`) at `base_url` from a background thread.

    Drift and `advance` change the scenario in place: a test holding it sees what was added.
    """

    name = "dialog-sandbox"

    def __init__(
        self,
        scenario: Scenario | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        knobs: Knobs = Knobs(),  # noqa: B008 - frozen, so sharing the default is safe
    ) -> None:
        super().__init__(host, port)
        self.scenario = scenario if scenario is not None else build_scenario()
        self.knobs = knobs
        self._rng = random.Random(knobs.fault_seed)  # with the scenario, guarded by _lock
        self._listing_requests = 0

    # --- what was asked -------------------------------------------------------------------------

    def disallowed_requests(self) -> list[RequestRecord]:
        """Requests for paths robots.txt forbids: a polite crawler makes none."""
        return [r for r in self.requests if render.is_disallowed(urlsplit(r.path).path)]

    def clear_log(self) -> None:
        with self._lock:
            self._records.clear()

    # --- time passing ---------------------------------------------------------------------------

    def advance(self, days: int) -> None:
        """Let `days` pass on the portal: new appeals, answers, rejections, ratings, views."""
        with self._lock:
            evolve.advance(self.scenario, days)

    # --- answering ------------------------------------------------------------------------------

    def handle(self, path: str, user_agent: str = "") -> Response:
        """The response to `GET path`, logged. The HTTP handler's whole job is to send it."""
        arrived = time.monotonic()
        response = self._route(path)
        self._record(RequestRecord(path, response.status, arrived, user_agent, response.fault))
        return response

    def _route(self, path: str) -> Response:
        url = urlsplit(path)
        query = parse_qs(url.query)
        if url.path == "/robots.txt":
            robots = render.render_robots(self.knobs.crawl_delay)
            return Response(200, robots.encode(), "text/plain; charset=utf-8")
        if url.path == "/application/changelang":
            return self._changelang(query.get("lang", ["ru"])[0])
        if match := LISTING_PATH.fullmatch(url.path):
            return self._listing(int(match[1]), query.get("page", ["1"])[0])
        if match := QUESTION_PATH.fullmatch(url.path):
            return self._question(int(match[1]))
        if render.is_disallowed(url.path):  # answered, and logged for the politeness tests
            return _html(200, render.render_search(query.get("q", [""])[0]))
        if url.path in ("/", "/blogs", "/blogs/"):
            return _html(200, render.render_blogs(self.scenario.blogs))
        return _html(404, render.render_error(404, "Страница не найдена."))

    def _changelang(self, lang: str) -> Response:
        lang = lang if lang in ("ru", "kk") else "ru"
        cookie = ("Set-Cookie", f"_language={lang}; Path=/; HttpOnly")
        return _html(200, render.render_changelang(lang), headers=(cookie,))

    def _listing(self, blog_id: int, page_param: str) -> Response:
        if not page_param.isdigit() or int(page_param) < 1:
            return _html(400, render.render_error(400, "Неверный номер страницы."))
        page = int(page_param)
        with self._lock:
            appeals = self.scenario.appeals_by_blog.get(blog_id)
            if appeals is None:
                return _html(404, render.render_error(404, "Блог не найден."))
            self._maybe_drift()
            fault = self._draw_fault()
            if fault is Fault.ERROR:
                status = self._rng.choice((500, 503))
                return _html(
                    status, render.render_error(status, "Сервис временно недоступен."), fault=fault
                )
            if fault is Fault.RATE_LIMIT:
                retry = ("Retry-After", str(self.knobs.retry_after))
                return _html(
                    429,
                    render.render_error(429, "Слишком много запросов."),
                    headers=(retry,),
                    fault=fault,
                )
            html = render.render_listing(
                self.scenario.blog(blog_id),
                appeals,
                page,
                self.knobs.markup,
                self.scenario.today,
                self.knobs.implausible_every,
            )
            if fault is Fault.TRUNCATE:
                html = _truncate(html, self._rng)
        delay = self.knobs.slow_seconds if fault is Fault.SLOW else 0.0
        return _encoded(200, html, self.knobs, delay=delay, fault=fault)

    def _question(self, question_id: int) -> Response:
        with self._lock:
            for appeal in self.scenario.appeals():
                if appeal.question_id == question_id:
                    blog = self.scenario.blog(appeal.blog_id)
                    return _html(200, render.render_question(blog, appeal))
        return _html(404, render.render_error(404, "Вопрос не найден."))

    def _maybe_drift(self) -> None:
        """Every `drift_every`-th listing request, a new appeal tops a blog (lock held)."""
        self._listing_requests += 1
        every = self.knobs.drift_every
        if every and self._listing_requests % every == 0:
            candidates = self.knobs.drift_blog_ids or [b.blog_id for b in self.scenario.blogs]
            evolve.add_new_appeal(self.scenario, self._rng.choice(candidates), self._rng)

    def _draw_fault(self) -> Fault:
        """One draw per listing request, so the fault sequence depends on fault_seed only."""
        k = self.knobs
        draw = self._rng.random()
        for fault, rate in (
            (Fault.ERROR, k.error_rate),
            (Fault.RATE_LIMIT, k.rate_limit_rate),
            (Fault.SLOW, k.slow_rate),
            (Fault.TRUNCATE, k.truncate_rate),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return Fault.NONE


def _html(
    status: int,
    html: str,
    headers: tuple[tuple[str, str], ...] = (),
    delay: float = 0.0,
    fault: Fault = Fault.NONE,
) -> Response:
    return Response(status, html.encode(), HTML, headers, delay, fault)


def _encoded(
    status: int, html: str, knobs: Knobs, delay: float = 0.0, fault: Fault = Fault.NONE
) -> Response:
    """A listing page in ``knobs.page_charset``, declaring ``knobs.declared_charset``. Letters
    the charset lacks (Kazakh ones in windows-1251) become character references, which read
    back as the same letters: the records are the UTF-8 page's."""
    declared = knobs.declared_charset
    meta = f'<meta charset="{declared}">' if declared else ""
    html = html.replace('<meta charset="utf-8">', meta, 1)
    body = html.encode(knobs.page_charset, errors="xmlcharrefreplace")
    content_type = f"text/html; charset={declared}" if declared else "text/html"
    return Response(status, body, content_type, (), delay, fault)


def _truncate(html: str, rng: random.Random) -> str:
    """Cut the page off inside one of its cards (mid-document if it has none)."""
    marks = [m.start() for m in re.finditer(re.escape(CARD_MARK), html)]
    if not marks:
        return html[: len(html) // 2]
    start = rng.choice(marks)
    return html[: rng.randrange(start, start + len(CARD_MARK) + 20)]
