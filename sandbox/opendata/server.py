"""A local data.egov.kz: the JSON API of docs/sources.md section 2 over real HTTP.

Serves a scenario's catalogue, passports, mappings and records, requires the API key on
`/api/*` (403 without it or with a wrong one), and injects the real portal's troubles through
knobs: 500/503, 429 with Retry-After, errors in disguise (HTTP 200 with `{code, message}`) and
204 with an empty body. Every request is logged (the key redacted), so tests can prove what a
client asked for.

Other knobs switch on the variants public clients show of the real portal (docs/sources.md section
2, "What public clients add"), each off by default so that the calibrated figures stand:
version `data`, Elasticsearch 2.x mappings, `+06:00` dates, `getdatasets` answering 404/405
(the catalogue then only by `POST /datasets/getdatasetsre`), keyless `/api/detailed`, unknown
periodicity values, and catalogue fields left out (for the probe's "required field" check).
One more serves values no real dataset has: datasets modified in 2099 (`implausible_date_uris`).
The form POST `getdatasetsre` is always served, as on the portal.
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
CATALOGUE_POST_PATH = "/datasets/getdatasetsre"  # form: page, count, status=PUBLISHED
PASSPORT_PATH = re.compile(r"/meta/([^/]+)/([^/]+)/?")
MAPPING_PATH = re.compile(r"/api/v4/mapping/([^/]+)/?")
DATA_PATH = re.compile(r"/api/v4/([^/]+)/([^/]+)/?")
DETAILED_PATH = re.compile(r"/api/detailed/([^/]+)/([^/]+)/?")
MAX_CATALOGUE_COUNT = 500
_KEY_IN_QUERY = re.compile(r"(apiKey=)[^&]*")
UNKNOWN_PERIODICITY_VALUES = ("ежемесячно", "by request")  # seen in no calibration: scenario
DATA_VERSION = "data"
# Passport field types → mapping types of Elasticsearch 2.x, as the portal's mappings show them.
ES2_MAPPING_TYPES = {"Int": "long", "String": "string", "Datetime": "string", "Boolean": "boolean"}
OFFSET = "+06:00"  # Almaty's offset in the scenario's years
IMPLAUSIBLE_DATE = "2099-01-01T00:00:00"  # after any observation day: a reject, never landed


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
    total_cap: int | None = None  # totalCount says at most this (ES's track_total_hits cap)
    fault_seed: int = 0  # seeds the fault decisions: runs are reproducible
    # --- variants of the real portal (docs/sources.md section 2, "What public clients add") ---
    data_version_uris: tuple[str, ...] = ()  # these publish their latest version as "data" only
    es2_mappings: bool = False  # mapping types as ES 2.x: "string" for text and dates alike
    offset_dates: bool = False  # dates as "2016-03-29+06:00" (records; every other dataset) and
    #                             "2016-03-29T10:00:00+06:00" (the other catalogue datasets)
    catalogue_get_status: int | None = None  # GET getdatasets answers this (404, 405) instead
    keyless_detailed: bool = False  # /api/detailed answers without a key; /api/v4 still not
    unknown_periodicities: int = 0  # this many active datasets' passports say an unknown value
    dropped_catalogue_fields: tuple[str, ...] = ()  # catalogue entries lack these (a.b: nested)
    # --- values no real dataset has ---
    implausible_date_uris: tuple[str, ...] = ()  # these say IMPLAUSIBLE_DATE: catalogue entry's
    #   modifiedDate, latest passport's modifiedDate, and every date field of the last record of
    #   their latest version (its modification stamp among them)
    # --- answers a client must not wait for or swallow whole ---
    body_bytes_per_second: int = 0  # every API answer's body trickles at this pace (0: at once)
    echo_request_in_errors: bool = False  # every {code, message} quotes the request's path and
    #                                       parameters, the key among them, as some APIs do
    api_redirect_to: str | None = None  # every /api/… answered 302 to this base URL, same path
    #                                    and query (the key too): a second server elsewhere
    body_padding_mb: float = 0.0  # every API answer padded with this many MB of whitespace, sent
    #                               chunked (no Content-Length: the size shows only by reading)

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.rate_limit_rate, self.disguised_error_rate, self.empty_rate)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be within [0, 1] and add up to at most 1")
        if self.crawl_delay < 0 or self.retry_after < 0:
            raise ValueError("crawl_delay and retry_after must not be negative")
        if self.result_window < 1:
            raise ValueError("result_window must be positive")
        if self.total_cap is not None and self.total_cap < 0:
            raise ValueError("total_cap must not be negative")
        if self.catalogue_get_status not in (None, 404, 405):
            raise ValueError("catalogue_get_status must be 404 or 405 (or None)")
        if self.unknown_periodicities < 0:
            raise ValueError("unknown_periodicities must not be negative")
        if self.body_bytes_per_second < 0 or self.body_padding_mb < 0:
            raise ValueError("body_bytes_per_second and body_padding_mb must not be negative")


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
    method: str = "GET"
    form: tuple[tuple[str, str], ...] = ()  # a POST's form fields, in order


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()
    fault: Fault = Fault.NONE
    bytes_per_second: int = 0  # sandbox.http sends the body at this pace (0: at once)
    chunked: bool = False  # sandbox.http sends it chunked, without a Content-Length


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
        unknown = [d for d in self.scenario.datasets if not d.archived]
        step = max(1, len(unknown) // max(1, knobs.unknown_periodicities))
        #: apiUri → the unknown periodicity its passport says (knob unknown_periodicities)
        self.unknown_periodicity_uris = {
            d.api_uri: UNKNOWN_PERIODICITY_VALUES[n % len(UNKNOWN_PERIODICITY_VALUES)]
            for n, d in enumerate(unknown[::step][: knobs.unknown_periodicities])
        }
        for name in ("data_version_uris", "implausible_date_uris"):
            missing = set(getattr(knobs, name)) - set(self.scenario.by_uri)
            if missing:
                raise ValueError(f"{name} not in the scenario: {sorted(missing)}")
        self._date_only = {d.api_uri for d in self.scenario.datasets[::2]}
        self._catalogue = [self._catalogue_entry(d) for d in self.scenario.datasets]
        self._published_records = {
            (api_uri, self._public_version(api_uri, version)): self._dated_records(
                self._implausible_records(api_uri, version, rows)
            )
            for (api_uri, version), rows in self.scenario.records.items()
            if self._public_version(api_uri, version) is not None
        }
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
        response = self._route(url.path, query, valid_key, path)
        if url.path != "/robots.txt":
            self._shape(response)
            if self.knobs.echo_request_in_errors:
                _echo_request(response, url.path, query)
        self._record(
            RequestRecord(
                redact(path), response.status, arrived, user_agent, response.fault, valid_key
            )
        )
        return response

    def handle_post(self, path: str, body: bytes, user_agent: str = "") -> Response:
        """The response to a form POST: only the catalogue's `getdatasetsre` is served."""
        arrived = time.monotonic()
        url = urlsplit(path)
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        if url.path.rstrip("/") != CATALOGUE_POST_PATH:
            response = _json(405, {"code": 405, "message": "Method not allowed"})
        elif form.get("status", [""])[0] != "PUBLISHED":
            response = _disguised(400, "status is required (PUBLISHED)")
        else:
            response = self._fault_response() or self._catalogue_page(form)
        self._shape(response)
        fields = tuple((name, values[0]) for name, values in form.items())
        self._record(
            RequestRecord(
                redact(path),
                response.status,
                arrived,
                user_agent,
                response.fault,
                method="POST",
                form=fields,
            )
        )
        return response

    def _route(
        self, path: str, query: dict[str, list[str]], valid_key: bool, raw_path: str = ""
    ) -> Response:
        if self.knobs.api_redirect_to and path.startswith("/api/"):
            location = self.knobs.api_redirect_to.rstrip("/") + raw_path
            return Response(302, b"", headers=(("Location", location),))
        if path == "/robots.txt":
            robots = f"User-agent: *\nAllow: /\nCrawl-delay: {self.knobs.crawl_delay}\n"
            return Response(200, robots.encode(), "text/plain; charset=utf-8")
        keyless = self.knobs.keyless_detailed and DETAILED_PATH.fullmatch(path)
        if path.startswith("/api/") and not valid_key and not keyless:
            return _json(403, {"code": 403, "message": "Access denied: invalid or missing apiKey"})
        if path.rstrip("/") == CATALOGUE_PATH and self.knobs.catalogue_get_status:
            status = self.knobs.catalogue_get_status
            return _json(status, {"code": status, "message": "Not found or not allowed"})
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
        total = self._capped(len(datasets))
        return _json(200, {"totalCount": total, "datasets": datasets[start : start + size]})

    def _passport(self, api_uri: str, version: str) -> Response:
        dataset = self.scenario.by_uri.get(api_uri)
        internal = self._internal_version(api_uri, version)
        if dataset is None or internal is None:
            return _disguised(404, f"Dataset {api_uri}/{version} not found")
        passport = dataset.passport(internal)
        if api_uri in self.knobs.implausible_date_uris and internal == dataset.latest_version:
            passport["modifiedDate"] = IMPLAUSIBLE_DATE
        passport["modifiedDate"] = self._date(api_uri, passport["modifiedDate"])
        if api_uri in self.unknown_periodicity_uris:
            passport["periodicity"] = self.unknown_periodicity_uris[api_uri]
        return _json(200, passport)

    def _mapping(self, api_uri: str) -> Response:
        dataset = self.scenario.by_uri.get(api_uri)
        if dataset is None:
            return _disguised(404, f"Dataset {api_uri} not found")
        mapping = dataset.mapping()
        versions = mapping[api_uri]["mappings"]
        if self.knobs.es2_mappings:
            for version, body in versions.items():
                body["properties"] = {
                    name: {"type": ES2_MAPPING_TYPES[kind]}
                    for name, (kind, _, _) in dataset._fields_of(version).items()
                }
        if api_uri in self.knobs.data_version_uris:
            mapping[api_uri]["mappings"] = {DATA_VERSION: versions[dataset.latest_version]}
        return _json(200, mapping)

    def _data(
        self, api_uri: str, version: str, query: dict[str, list[str]], *, detailed: bool
    ) -> Response:
        dataset = self.scenario.by_uri.get(api_uri)
        if dataset is None or self._internal_version(api_uri, version) is None:
            return _disguised(404, f"Dataset {api_uri}/{version} not found")
        try:
            source = json.loads(query.get("source", ["{}"])[0])
            records = self._published_records.get((api_uri, version), [])
            total, hits = search(records, source, self.knobs.result_window)
        except (ValueError, QueryError) as error:  # JSONDecodeError is a ValueError
            return _disguised(400, f"Invalid source: {error}")
        total = self._capped(total)
        return _json(200, {"totalCount": total, "data": hits} if detailed else hits)

    def _capped(self, total: int) -> int:
        cap = self.knobs.total_cap
        return total if cap is None else min(total, cap)

    def _shape(self, response: Response) -> None:
        """An API answer as the body knobs send it: trickled, padded (still valid JSON)."""
        response.bytes_per_second = self.knobs.body_bytes_per_second
        if self.knobs.body_padding_mb and response.body:
            response.body += b" " * int(self.knobs.body_padding_mb * 2**20)
            response.chunked = True

    # --- the variants' knobs --------------------------------------------------------------------

    def _internal_version(self, api_uri: str, version: str) -> str | None:
        """The scenario's version a published one stands for (None: not published)."""
        dataset = self.scenario.by_uri.get(api_uri)
        if dataset is None:
            return None
        if api_uri in self.knobs.data_version_uris:
            return dataset.latest_version if version == DATA_VERSION else None
        return version if version in dataset.versions else None

    def _public_version(self, api_uri: str, version: str) -> str | None:
        if api_uri in self.knobs.data_version_uris:
            latest = self.scenario.by_uri[api_uri].latest_version
            return DATA_VERSION if version == latest else None
        return version

    def _date(self, api_uri: str, iso: str, *, date_only: bool | None = None) -> str:
        """A scenario date (local ISO time) as the offset_dates knob writes it."""
        if not self.knobs.offset_dates:
            return iso
        if date_only if date_only is not None else api_uri in self._date_only:
            return iso[:10] + OFFSET
        return iso + OFFSET

    def _catalogue_entry(self, dataset) -> dict:
        entry = dataset.catalogue_entry()
        if dataset.api_uri in self.knobs.implausible_date_uris:
            entry["modifiedDate"] = IMPLAUSIBLE_DATE
        for name in ("createdDate", "modifiedDate"):
            entry[name] = self._date(dataset.api_uri, entry[name])
        for dotted in self.knobs.dropped_catalogue_fields:
            *parents, last = dotted.split(".")
            holder = entry
            for parent in parents:
                holder = holder.get(parent, {})
            holder.pop(last, None)
        return entry

    def _implausible_records(self, api_uri: str, version: str, rows: list[dict]) -> list[dict]:
        """Rows as the implausible_date_uris knob serves them: the latest version's last one
        with every date field at IMPLAUSIBLE_DATE."""
        dataset = self.scenario.by_uri[api_uri]
        if api_uri not in self.knobs.implausible_date_uris or version != dataset.latest_version:
            return rows
        if not rows:
            return rows
        dates = [name for name, (kind, _, _) in dataset.fields.items() if kind == "Datetime"]
        return [*rows[:-1], rows[-1] | dict.fromkeys(dates, IMPLAUSIBLE_DATE)]

    def _dated_records(self, rows: list[dict]) -> list[dict]:
        """Records with their date fields (ISO local times) as offset_dates writes them: all
        date-only with an offset, so that a range on them still orders as text."""
        if not self.knobs.offset_dates:
            return rows
        return [
            {
                name: self._date("", value, date_only=True) if _is_iso_time(value) else value
                for name, value in row.items()
            }
            for row in rows
        ]

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


_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _is_iso_time(value: object) -> bool:
    return isinstance(value, str) and bool(_ISO_TIME.fullmatch(value))


def redact(path: str) -> str:
    """`path` with the value of apiKey replaced by ***."""
    return _KEY_IN_QUERY.sub(r"\1***", path)


def _echo_request(response: Response, path: str, query: dict[str, list[str]]) -> None:
    """An error's message with the request in it, parameters as a map (not key=value)."""
    try:
        payload = json.loads(response.body)
    except ValueError:
        return
    if isinstance(payload, dict) and set(payload) == {"code", "message"}:
        params = {name: values[0] for name, values in query.items()}
        payload["message"] += f" (request: GET {path} with {params})"
        response.body = _json(response.status, payload).body


def _json(status: int, payload: object) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body)


def _disguised(code: int, message: str) -> Response:
    """An error the way the portal sends many: HTTP 200 and {code, message} instead of data."""
    return _json(200, {"code": code, "message": message})
