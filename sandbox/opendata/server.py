"""A local data.egov.kz: the JSON API of SOURCES.md section 2 over real HTTP.

Serves a scenario's catalogue, passports, mappings and records, requires the API key on
`/api/*` (403 without it or with a wrong one), and injects the real portal's troubles through
knobs: 500/503, 429 with Retry-After, errors in disguise (HTTP 200 with `{code, message}`) and
204 with an empty body. Every request is logged (the key redacted), so tests can prove what a
client asked for.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qs, urlsplit

from sandbox.http import BackgroundSandbox, KeepAliveHandler
from sandbox.opendata.scenario import Scenario, build_scenario
from sandbox.opendata.search import RESULT_WINDOW, QueryError, search

log = logging.getLogger(__name__)

SANDBOX_API_KEY = "sandbox-opendata-key"  # the sandbox's own key: not a secret of anyone's
JSON = "application/json; charset=utf-8"
CATALOGUE_PATH = "/datasets/getdatasets"
PASSPORT_PATH = re.compile(r"/meta/([^/]+)/([^/]+)/?")
MAPPING_PATH = re.compile(r"/api/v4/mapping/([^/]+)/?")
DATA_PATH = re.compile(r"/api/v4/([^/]+)/([^/]+)/?")
DETAILED_PATH = re.compile(r"/api/detailed/([^/]+)/([^/]+)/?")
MAX_CATALOGUE_COUNT = 500
_KEY_IN_QUERY = re.compile(r"(apiKey=)[^&]*")


@dataclass(frozen=True)
class Knobs:
    """The real portal's troubles, dialled in. Faults hit every API answer (catalogue,
    passports, mappings, data), never robots.txt, and come after the key check."""

    crawl_delay: int = 0  # seconds, announced in robots.txt
    error_rate: float = 0.0  # share of answers that are 500 or 503
    rate_limit_rate: float = 0.0  # share answered 429 with a Retry-After header
    retry_after: int = 1  # seconds, the Retry-After of a 429
    disguised_error_rate: float = 0.0  # share answered 200 with {"code": 500, "message": …}
    empty_rate: float = 0.0  # share answered 204 with an empty body
    result_window: int = RESULT_WINDOW  # hits past this offset silently never come back
    fault_seed: int = 0  # seeds the fault decisions: runs are reproducible

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.rate_limit_rate, self.disguised_error_rate, self.empty_rate)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be within [0, 1] and add up to at most 1")
        if self.crawl_delay < 0 or self.retry_after < 0:
            raise ValueError("crawl_delay and retry_after must not be negative")
        if self.result_window < 1:
            raise ValueError("result_window must be positive")


class Fault(Enum):
    NONE = "none"
    ERROR = "error"
    RATE_LIMIT = "rate_limit"
    DISGUISED = "disguised"
    EMPTY = "empty"


@dataclass(frozen=True)
class RequestRecord:
    path: str  # as requested, query string included, the API key replaced by ***
    status: int
    at: float  # time.monotonic() when the request arrived
    user_agent: str
    fault: Fault = Fault.NONE
    had_valid_key: bool = False


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    fault: Fault = Fault.NONE


class OpendataSandbox(BackgroundSandbox):
    """Serves `scenario` (default: `build_scenario()`) at `base_url` from a background thread."""

    name = "opendata-sandbox"
    handler_class = KeepAliveHandler

    def __init__(
        self,
        scenario: Scenario | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        knobs: Knobs = Knobs(),  # noqa: B008 - frozen, so sharing the default is safe
        api_key: str = SANDBOX_API_KEY,
    ) -> None:
        if not api_key:
            raise ValueError("the sandbox needs an API key to require")
        super().__init__(host, port)
        self.scenario = scenario if scenario is not None else build_scenario()
        self.knobs = knobs
        self.api_key = api_key
        self._catalogue = [d.catalogue_entry() for d in self.scenario.datasets]
        self._rng = random.Random(knobs.fault_seed)  # guarded by _lock

    def loggable(self, text: str) -> str:
        return redact(text)

    # --- answering ------------------------------------------------------------------------------

    def handle(self, path: str, user_agent: str = "") -> Response:
        """The response to `GET path`, logged. The HTTP handler's whole job is to send it."""
        arrived = time.monotonic()
        url = urlsplit(path)
        query = parse_qs(url.query)
        valid_key = query.get("apiKey", [""])[0] == self.api_key
        response = self._route(url.path, query, valid_key)
        self._record(
            RequestRecord(
                redact(path), response.status, arrived, user_agent, response.fault, valid_key
            )
        )
        return response

    def _route(self, path: str, query: dict[str, list[str]], valid_key: bool) -> Response:
        if path == "/robots.txt":
            robots = f"User-agent: *\nAllow: /\nCrawl-delay: {self.knobs.crawl_delay}\n"
            return Response(200, robots.encode(), "text/plain; charset=utf-8")
        if path.startswith("/api/") and not valid_key:
            return _json(403, {"code": 403, "message": "Access denied: invalid or missing apiKey"})
        fault = self._fault_response()
        if fault is not None:
            return fault
        if path.rstrip("/") == CATALOGUE_PATH:
            return self._catalogue_page(query)
        if match := PASSPORT_PATH.fullmatch(path):
            return self._passport(match[1], match[2])
        if match := MAPPING_PATH.fullmatch(path):
            return self._mapping(match[1])
        if match := DETAILED_PATH.fullmatch(path):
            return self._data(match[1], match[2], query, detailed=True)
        if match := DATA_PATH.fullmatch(path):
            return self._data(match[1], match[2], query, detailed=False)
        return _json(404, {"code": 404, "message": "Not found"})

    def _catalogue_page(self, query: dict[str, list[str]]) -> Response:
        page, count = query.get("page", ["1"])[0], query.get("count", ["10"])[0]
        if not (page.isdigit() and count.isdigit()) or int(page) < 1 or int(count) < 1:
            return _disguised(400, "page and count must be positive integers")
        page_no, size = int(page), min(int(count), MAX_CATALOGUE_COUNT)
        datasets = self._catalogue  # newest first, the only order the portal offers by default
        if query.get("sortBy", ["createdDateDesc"])[0] == "createdDateAsc":
            datasets = datasets[::-1]
        start = (page_no - 1) * size
        return _json(200, {"totalCount": len(datasets), "datasets": datasets[start : start + size]})

    def _passport(self, api_uri: str, version: str) -> Response:
        dataset = self.scenario.by_uri.get(api_uri)
        if dataset is None or version not in dataset.versions:
            return _disguised(404, f"Dataset {api_uri}/{version} not found")
        return _json(200, dataset.passport(version))

    def _mapping(self, api_uri: str) -> Response:
        dataset = self.scenario.by_uri.get(api_uri)
        if dataset is None:
            return _disguised(404, f"Dataset {api_uri} not found")
        return _json(200, dataset.mapping())

    def _data(
        self, api_uri: str, version: str, query: dict[str, list[str]], *, detailed: bool
    ) -> Response:
        dataset = self.scenario.by_uri.get(api_uri)
        if dataset is None or version not in dataset.versions:
            return _disguised(404, f"Dataset {api_uri}/{version} not found")
        try:
            source = json.loads(query.get("source", ["{}"])[0])
            total, hits = search(
                self.scenario.records.get((api_uri, version), []), source, self.knobs.result_window
            )
        except (ValueError, QueryError) as error:  # JSONDecodeError is a ValueError
            return _disguised(400, f"Invalid source: {error}")
        return _json(200, {"totalCount": total, "data": hits} if detailed else hits)

    def _fault_response(self) -> Response | None:
        """One draw per API request, so the fault sequence depends on fault_seed only."""
        k = self.knobs
        with self._lock:
            draw = self._rng.random()
            status = self._rng.choice((500, 503))
        fault = _pick(
            draw,
            (
                (Fault.ERROR, k.error_rate),
                (Fault.RATE_LIMIT, k.rate_limit_rate),
                (Fault.DISGUISED, k.disguised_error_rate),
                (Fault.EMPTY, k.empty_rate),
            ),
        )
        if fault is Fault.NONE:
            return None
        if fault is Fault.ERROR:
            response = _json(status, {"code": status, "message": "Service unavailable"})
        elif fault is Fault.RATE_LIMIT:
            response = _json(429, {"code": 429, "message": "Too many requests"})
            response.headers = (("Retry-After", str(k.retry_after)),)
        elif fault is Fault.DISGUISED:
            response = _disguised(500, "Internal server error")
        else:
            response = Response(204, b"", "text/plain")
        response.fault = fault
        return response


def _pick(draw: float, rates: tuple[tuple[Fault, float], ...]) -> Fault:
    for fault, rate in rates:
        if draw < rate:
            return fault
        draw -= rate
    return Fault.NONE


def redact(path: str) -> str:
    """`path` with the value of apiKey replaced by ***."""
    return _KEY_IN_QUERY.sub(r"\1***", path)


def _json(status: int, payload: object) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body)


def _disguised(code: int, message: str) -> Response:
    """An error the way the portal sends many: HTTP 200 and {code, message} instead of data."""
    return _json(200, {"code": code, "message": message})
