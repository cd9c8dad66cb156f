"""A polite HTTP session: robots.txt first, a crawl delay per host, bounded retries.

Every request of the ingestion layer goes through :class:`PoliteSession`:

* robots.txt of a host is read once, before anything else is sent there; a disallowed path
  raises :class:`DisallowedByRobots` without touching the network;
* two requests to one host (retries included) are at least ``max(Crawl-delay, min_delay)``
  seconds apart, measured with ``time.monotonic`` and safe across threads;
* 429/500/502/503/504, connect and read timeouts, and bodies rejected by a validator are
  retried with exponential backoff, jitter and ``Retry-After``, within a budget of attempts
  *and* seconds; what still fails raises :class:`FetchError` carrying the URL and the reason;
* a body is read in chunks against that budget and a size cap: a server trickling bytes (which
  no socket timeout notices) or sending more than ``max_body_bytes`` is cut off, not waited for.

The retry *policy* is urllib3's ``Retry`` (which statuses, counting, exhaustion, backoff with
jitter, Retry-After parsing). We drive its state machine here instead of mounting it on the
adapter because the adapter's own loop can see neither the crawl-delay gate (its first retry
is immediate) nor the response body (a truncated page arrives as a 200).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from ingestion import __version__
from ingestion.common.secrets import RedactedError, redact

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/tyndau/tyndau"
USER_AGENT = f"tyndau/{__version__} (+{PROJECT_URL})"
#: The token robots.txt groups are matched against (``User-agent: tyndau``).
ROBOTS_AGENT = "tyndau"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
MAX_BODY_MB = 20  # default cap on one response body, in MiB
_BODY_CHUNK = 64 * 1024  # bytes read at most per call; a trickle returns what has arrived
_MIN_TIMEOUT = 0.5  # seconds; the last attempt of a nearly spent budget still gets a chance
_FRACTIONAL_DELAY = re.compile(r"^(\s*crawl-delay\s*:\s*)(\d*\.\d+)\s*$", re.IGNORECASE)

Validator = Callable[[str], bool]
#: Above this share of "messy" characters (charset-normalizer's measure: mojibake such as
#: 'Р–РљРҐ', accented Latin where Cyrillic stood) a decoded body is not taken as text. Pages
#: in the right charset measure 0; a page of Cyrillic read in the wrong one, 0.2 and more.
MAX_MESS_RATIO = 0.1
_MESS_SAMPLE = 200_000  # characters measured (head and tail): the cost stays per page, small
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class FetchError(RedactedError):
    """A request that did not produce a usable response, after every retry it was allowed.

    Its URL and reason are redacted (an API key in the query never shows)."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, attempts: int = 0):
        super().__init__(f"{url}: {reason}")
        self.url = redact(url)
        self.reason = redact(reason)
        self.status = status
        self.attempts = attempts


class DisallowedByRobots(FetchError):
    """The host's robots.txt forbids this path to us; nothing was sent."""


class ImplausibleText(ValueError):
    """A body that no charset (declared, UTF-8 or detected) turns into plausible text."""


class InvalidBody(ProtocolError):
    """A 200 whose body the caller's validator rejected (e.g. truncated HTML).

    A ``ProtocolError`` so that urllib3's ``Retry`` counts it as a read error, like the
    truncated transfer it usually is.
    """


@dataclass(frozen=True)
class HttpConfig:
    """Knobs of a :class:`PoliteSession`; the defaults suit a public portal."""

    min_delay: float = 0.0  # floor under robots' Crawl-delay, seconds between requests to a host
    max_attempts: int = 5  # per URL, the first attempt included
    max_total_seconds: float = 120.0  # per URL, all attempts and waits included
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    backoff_factor: float = 0.5  # urllib3: factor * 2**(n-1) seconds before retry n (n >= 2)
    backoff_jitter: float = 0.5  # up to this many random seconds added to each backoff
    backoff_max: float = 30.0
    user_agent: str = USER_AGENT

    def at_least(self, min_delay: float) -> HttpConfig:
        """These knobs with ``min_delay`` at least ``min_delay``: the one way a caller's floor
        and a configured one combine (the longer wins, as robots' Crawl-delay does)."""
        return replace(self, min_delay=max(self.min_delay, min_delay))

    max_body_bytes: int = MAX_BODY_MB * 2**20  # a larger body fails the request unread

    def retry_policy(self) -> Retry:
        return Retry(
            total=self.max_attempts - 1,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_jitter,
            backoff_max=self.backoff_max,
            respect_retry_after_header=True,
            # A Retry-After longer than the whole budget is not worth waiting for.
            retry_after_max=int(self.max_total_seconds) + 1,
            raise_on_status=False,
        )


@dataclass
class HttpStats:
    """What a session has done so far; ``requests`` counts every attempt sent."""

    requests: int = 0
    retries: int = 0
    failures: int = 0
    refused_by_robots: int = 0
    bytes_received: int = 0
    seconds_waited_for_crawl_delay: float = 0.0
    seconds_backed_off: float = 0.0
    by_status: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "failures": self.failures,
            "refused_by_robots": self.refused_by_robots,
            "bytes_received": self.bytes_received,
            "seconds_waited_for_crawl_delay": round(self.seconds_waited_for_crawl_delay, 3),
            "seconds_backed_off": round(self.seconds_backed_off, 3),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
        }


class _HostGate:
    """Spaces the requests to one host at least ``delay`` seconds apart (thread-safe).

    The lock is held while sleeping on purpose: requests to one host queue up behind it.
    A small margin is added so the spacing holds as the server sees it too, network and
    scheduling jitter included.
    """

    MARGIN = 0.02  # seconds, only when there is a delay to keep

    def __init__(self, delay: float):
        self.delay = delay
        self._lock = threading.Lock()
        self._last_sent: float | None = None

    def wait_turn(self) -> float:
        with self._lock:
            waited = 0.0
            if self._last_sent is not None:
                spacing = self.delay + self.MARGIN if self.delay > 0 else 0.0
                waited = max(0.0, self._last_sent + spacing - time.monotonic())
                if waited:
                    time.sleep(waited)
            self._last_sent = time.monotonic()
            return waited


@dataclass
class _HostPolicy:
    robots: RobotFileParser
    gate: _HostGate
    refusal: str = "disallowed by robots.txt"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _as_urllib3_error(exc: requests.RequestException) -> Exception:
    """The urllib3 error under a requests exception, so ``Retry`` can classify it."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError):
        inner = inner.reason
    if isinstance(inner, Urllib3Error):
        return inner
    return ProtocolError(str(exc))


def _robots_lines(text: str) -> list[str]:
    """robots.txt lines, a fractional Crawl-delay rounded up (the stdlib reads integers only)."""
    return [
        _FRACTIONAL_DELAY.sub(lambda m: m.group(1) + str(math.ceil(float(m.group(2)))), line)
        for line in text.splitlines()
    ]


def _too_large(seen: str, cap: int) -> str:
    return (
        f"response body too large ({seen}; the cap is {cap / 2**20:g} MB, HTTP_MAX_BODY_MB): "
        "not read further"
    )


def _decode(response: requests.Response) -> str:
    """Body as text, leniently; without a declared charset, UTF-8 (requests would guess
    Latin-1). For robots.txt and bodies a caller judges itself (JSON)."""
    if "charset" not in response.headers.get("Content-Type", "").lower():
        return response.content.decode("utf-8", errors="replace")
    return response.text


def decode_text(content: bytes, content_type: str = "") -> str:
    """A page's bytes as text: in the charset it declares (Content-Type, else a ``<meta>``),
    else UTF-8, else the one charset-normalizer detects; the first of those that decodes
    cleanly *and* reads as plausible text wins. A page declared wrongly (UTF-8 bytes said to
    be windows-1251, windows-1251 said to be nothing or Latin-1) is thus read right, and one
    that nothing turns into plausible text raises :class:`ImplausibleText` with why."""
    declared = requests.utils.get_encoding_from_headers({"content-type": content_type})
    if declared and "charset" not in content_type.lower():
        declared = None  # requests' ISO-8859-1 default for text/*: nothing was declared
    if declared is None and (meta := _META_CHARSET.search(content[:4096])):
        declared = meta.group(1).decode("ascii")
    tried = []
    for charset in dict.fromkeys(c for c in (declared, "utf-8") if c):
        try:
            text = content.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            tried.append(f"{charset}: {type(exc).__name__}")
            continue
        if _plausible(text):
            return text
        tried.append(f"{charset}: implausible text")
    best = from_bytes(content).best()
    if best is not None:
        text = str(best)
        if _plausible(text):
            log.info("body declared %s read as %s (detected)", declared or "nothing", best.encoding)
            return text
        tried.append(f"{best.encoding} (detected): implausible text")
    raise ImplausibleText(
        f"no plausible text in the body (declared {declared or 'no charset'}; "
        + "; ".join(tried)
        + ")"
    )


def _plausible(text: str) -> bool:
    if len(text) > _MESS_SAMPLE:
        half = _MESS_SAMPLE // 2
        text = text[:half] + text[-half:]
    return mess_ratio(text, MAX_MESS_RATIO) <= MAX_MESS_RATIO


def _text_of(response: requests.Response) -> str:
    """:func:`decode_text` of a response's body, once: the check of a page and its reader
    share it (charset detection and the plausibility measure cost per page)."""
    text = getattr(response, "_tyndau_text", None)
    if text is None:
        text = decode_text(response.content, response.headers.get("Content-Type", ""))
        response._tyndau_text = text
    return text


def _body_error(
    response: requests.Response, validate: Validator | None, as_text: bool
) -> InvalidBody | None:
    """Why a 200's body is not usable (then retried), or None."""
    if as_text:
        try:
            text = _text_of(response)
        except ImplausibleText as exc:
            return InvalidBody(str(exc))
    elif validate:
        text = _decode(response)
    if validate and not validate(text):
        return InvalidBody("response body failed validation (truncated page?)")
    return None


class PoliteSession:
    """A ``requests.Session`` that obeys robots.txt, crawl delays and a retry budget."""

    def __init__(self, config: HttpConfig | None = None, **overrides):
        self.config = replace(config or HttpConfig(), **overrides)
        if self.config.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.config.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        self._session = requests.Session()
        self._session.headers["User-Agent"] = self.config.user_agent
        # No retries inside the adapter: each attempt must pass the gate and be counted here.
        adapter = HTTPAdapter(max_retries=0, pool_maxsize=4)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._hosts: dict[str, _HostPolicy] = {}
        self._hosts_lock = threading.Lock()
        self._stats = HttpStats()
        self._stats_lock = threading.Lock()

    # -- public API -------------------------------------------------------------------------

    @property
    def stats(self) -> HttpStats:
        """A snapshot of the counters."""
        with self._stats_lock:
            return replace(self._stats, by_status=Counter(self._stats.by_status))

    @property
    def cookies(self) -> requests.cookies.RequestsCookieJar:
        return self._session.cookies

    def crawl_delay(self, url: str) -> float:
        """Seconds kept between two requests to the host of ``url``."""
        return self._host(url).gate.delay

    def get(
        self,
        url: str,
        *,
        validate: Validator | None = None,
        follow_redirects: bool = True,
        as_text: bool = False,
        same_origin: bool = False,
    ) -> requests.Response:
        """GET ``url`` politely; redirects are followed hop by hop, each hop checked and spaced.

        ``as_text``: the body must read as text (see :func:`decode_text`), or it is retried
        like a truncated one. ``same_origin``: a redirect to another scheme, host or port is
        refused, for a request that carries a credential (an API key in the query would travel
        with it).

        Raises FetchError for a 4xx, for a retryable failure that outlived the budget, for a
        refused redirect, and DisallowedByRobots (a FetchError) for a path robots.txt forbids.
        """
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get_allowed(url, validate, as_text=as_text)
            if response.status_code >= 400:
                status = response.status_code
                raise self._failure(url, f"HTTP {status} {response.reason}", status, 1)
            if not response.is_redirect or not follow_redirects:
                return response
            target = urljoin(url, response.headers["Location"])
            if same_origin and _origin(target) != origin:
                raise self._failure(
                    url,
                    f"HTTP {response.status_code} redirect to another host ({_origin(target)}) "
                    f"refused: this request may only go to {origin}",
                    response.status_code,
                    1,
                )
            url = target
        raise self._failure(url, f"more than {MAX_REDIRECTS} redirects", None, 1)

    def post_form(
        self, url: str, form: Mapping[str, str], *, validate: Validator | None = None
    ) -> requests.Response:
        """POST ``form`` (URL-encoded) to ``url`` with the same politeness and retries as a GET.

        Only for reads that an API serves as a form POST (a search, a catalogue page): such a
        request changes nothing, so retrying it is as safe as retrying a GET. Redirects are
        not followed. Raises FetchError like :meth:`get`.
        """
        response = self._get_allowed(url, validate, form=form)
        if response.status_code >= 400:
            status = response.status_code
            raise self._failure(url, f"HTTP {status} {response.reason}", status, 1)
        return response

    def fetch_text(self, url: str, validate: Validator | None = None) -> str:
        """The body of ``url`` as text; ``validate(text) -> bool`` rejects e.g. truncated pages,
        which are then retried like a 5xx within the same budget, as is a body that reads as no
        plausible text in any charset (:func:`decode_text`)."""
        return _text_of(self.get(url, validate=validate, as_text=True))

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PoliteSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- robots and gates -------------------------------------------------------------------

    def _host(self, url: str) -> _HostPolicy:
        origin = _origin(url)
        with self._hosts_lock:
            policy = self._hosts.get(origin)
            if policy is None:
                policy = self._read_robots(origin)
                self._hosts[origin] = policy
            return policy

    def _read_robots(self, origin: str) -> _HostPolicy:
        """Read robots.txt once per host, following RFC 9309 for the unhappy cases."""
        robots = RobotFileParser(origin + "/robots.txt")
        gate = _HostGate(self.config.min_delay)
        url = robots.url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                response = self._send(url, gate, validate=None)
                if not response.is_redirect:
                    break
                url = urljoin(url, response.headers["Location"])
        except FetchError as exc:  # unreachable: RFC 9309 says assume everything is disallowed
            log.warning("robots.txt of %s unreachable (%s): crawling nothing", origin, exc.reason)
            robots.disallow_all = True
            return _HostPolicy(robots, gate, f"robots.txt unreachable ({exc.reason})")
        if response.status_code >= 400 or response.is_redirect:  # unavailable: all allowed
            log.info("%s has no robots.txt (HTTP %s): all allowed", origin, response.status_code)
            robots.parse([])
            return _HostPolicy(robots, gate)
        robots.parse(_robots_lines(_decode(response)))
        gate.delay = max(self.config.min_delay, float(robots.crawl_delay(ROBOTS_AGENT) or 0))
        log.info("robots.txt of %s read; crawl delay %.2f s", origin, gate.delay)
        return _HostPolicy(robots, gate)

    def _get_allowed(
        self,
        url: str,
        validate: Validator | None,
        form: Mapping[str, str] | None = None,
        as_text: bool = False,
    ) -> requests.Response:
        host = self._host(url)
        if not host.robots.can_fetch(ROBOTS_AGENT, url):
            with self._stats_lock:
                self._stats.refused_by_robots += 1
            raise DisallowedByRobots(url, host.refusal)
        return self._send(url, host.gate, validate, form, as_text)

    # -- the retry loop ---------------------------------------------------------------------

    def _send(
        self,
        url: str,
        gate: _HostGate,
        validate: Validator | None,
        form: Mapping[str, str] | None = None,
        as_text: bool = False,
    ) -> requests.Response:
        """One logical GET (a form POST when ``form`` is given): attempts until success or the
        budget (attempts, seconds) is spent.

        Redirects are returned, not followed, so that the caller can check each hop. The retry
        policy is asked as for a GET even for a form POST: only read-only POSTs come here.
        """
        cfg = self.config
        retry = cfg.retry_policy()
        deadline = time.monotonic() + cfg.max_total_seconds
        attempts = 0
        while True:
            self._wait_for_gate(gate)
            attempts += 1
            response, error = self._attempt(url, deadline, form)
            status = response.status_code if response is not None else None
            if response is not None:
                has_retry_after = "Retry-After" in response.headers
                if retry.is_retry("GET", response.status_code, has_retry_after):
                    reason = f"HTTP {status}"
                elif response.status_code >= 400:
                    return response  # final: the caller decides what a 404 means
                elif not response.is_redirect and (
                    error := _body_error(response, validate, as_text)
                ):
                    reason = str(error)
                else:
                    return response
            else:
                reason = f"{type(error).__name__}: {error}"
            try:
                # Status retries are counted from the response, everything else from the error.
                raw = response.raw if response is not None and error is None else None
                retry = retry.increment("GET", url, response=raw, error=error)
            except MaxRetryError:
                raise self._failure(
                    url, f"{reason}, after {attempts} attempts", status, attempts
                ) from None
            wait = self._retry_wait(retry, response if error is None else None)
            if time.monotonic() + wait > deadline:
                raise self._failure(
                    url,
                    f"{reason}; retry budget of {cfg.max_total_seconds:g} s spent after "
                    f"{attempts} attempts (next wait would be {wait:.1f} s)",
                    status,
                    attempts,
                )
            log.info("retrying %s in %.2f s: %s", url, wait, reason)
            with self._stats_lock:
                self._stats.retries += 1
                self._stats.seconds_backed_off += wait
            time.sleep(wait)

    def _attempt(
        self, url: str, deadline: float, form: Mapping[str, str] | None = None
    ) -> tuple[requests.Response | None, Exception | None]:
        """Send one request; a transport failure comes back as a urllib3 error, not raised.

        Timeouts shrink to what is left of the budget, so a slow server cannot stretch it.
        """
        cfg = self.config
        left = max(deadline - time.monotonic(), _MIN_TIMEOUT)
        timeout = (min(cfg.connect_timeout, left), min(cfg.read_timeout, left))
        with self._stats_lock:
            self._stats.requests += 1
        try:
            if form is None:
                response = self._session.get(
                    url, timeout=timeout, allow_redirects=False, stream=True
                )
            else:
                response = self._session.post(
                    url, data=dict(form), timeout=timeout, allow_redirects=False, stream=True
                )
        except (requests.Timeout, requests.ConnectionError) as exc:
            return None, _as_urllib3_error(exc)
        except (
            requests.exceptions.ChunkedEncodingError,  # body cut mid-transfer
            requests.exceptions.ContentDecodingError,
        ) as exc:
            return None, ProtocolError(str(exc))
        except requests.RequestException as exc:  # e.g. an invalid URL: retrying cannot help
            raise self._failure(url, f"{type(exc).__name__}: {exc}", None, 1) from exc
        with self._stats_lock:
            self._stats.by_status[response.status_code] += 1
        try:
            error = self._read_body(url, response, deadline)
        finally:
            with self._stats_lock:
                self._stats.bytes_received += len(response._content or b"")
        return (response, None) if error is None else (None, error)

    def _read_body(
        self, url: str, response: requests.Response, deadline: float
    ) -> Urllib3Error | None:
        """Read the body into ``response.content`` chunk by chunk, within the URL's time budget
        and the size cap; a cut transfer comes back as a urllib3 error, to be retried.

        A socket's read timeout only bounds the silence between two packets: a server sending a
        byte a second would hold us for ever without this deadline. Too large or too slow is
        final (raised): another attempt would be as large, and the budget is spent.
        """
        cap = self.config.max_body_bytes
        status = response.status_code
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            response.close()
            reason = _too_large(f"{int(declared):,} bytes declared", cap)
            raise self._failure(url, reason, status, 1)
        raw: BaseHTTPResponse = response.raw
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := raw.read1(_BODY_CHUNK, decode_content=True):
                size += len(chunk)
                chunks.append(chunk)
                if size > cap:
                    raise self._failure(url, _too_large(f"over {size:,} bytes", cap), status, 1)
                if time.monotonic() > deadline:
                    raise self._failure(
                        url,
                        f"body still arriving when the time budget of "
                        f"{self.config.max_total_seconds:g} s ran out ({size:,} bytes read)",
                        status,
                        1,
                    )
        except Urllib3Error as exc:  # a read timeout, a truncated or undecodable body
            response.close()
            return exc
        except BaseException:
            response.close()  # the rest is never read: the connection goes, not to the pool
            raise
        finally:
            response._content = b"".join(chunks)  # what requests' .content/.text then return
            response._content_consumed = True
        return None

    def _wait_for_gate(self, gate: _HostGate) -> None:
        waited = gate.wait_turn()
        if waited:
            with self._stats_lock:
                self._stats.seconds_waited_for_crawl_delay += waited

    @staticmethod
    def _retry_wait(retry: Retry, response: requests.Response | None) -> float:
        """Retry-After when the server sent one, else urllib3's backoff with jitter."""
        if response is not None and retry.respect_retry_after_header:
            try:
                after = retry.get_retry_after(response.raw)
            except Urllib3Error:  # an unparseable header: fall back to the backoff
                after = None
            if after is not None:
                return after
        return retry.get_backoff_time()

    def _failure(self, url: str, reason: str, status: int | None, attempts: int) -> FetchError:
        with self._stats_lock:
            self._stats.failures += 1
        log.warning("giving up on %s: %s", url, reason)
        return FetchError(url, reason, status=status, attempts=attempts)
