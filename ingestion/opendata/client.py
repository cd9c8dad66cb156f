"""A client of data.egov.kz's open-data API: the catalogue, passports, mappings and records.

Every request goes through the polite session (robots.txt, crawl delay, retries with backoff);
on top of it the client

* sends the API key only where the API wants it (``/api/…``) and never shows it: URLs in
  messages, logs and raw rows carry ``apiKey=***`` or no key at all; with no key configured
  it still reads records through ``/api/detailed``, which has answered keyless;
* reads the catalogue by ``GET getdatasets`` and, when that answers 404 or 405, by the form
  ``POST getdatasetsre`` (a newer public client's) from then on;
* treats an error in disguise (HTTP 200 with ``{code, message}``) and a 204 as failures, never
  as data: transient ones are retried like a 5xx, client errors (4xx codes) fail at once;
* reads records by a *range on a sorted key* with ``from: 0`` — never deep offsets, which the
  API silently truncates — and reconciles what it read against ``totalCount``;
* reconciles the catalogue walk against its ``totalCount`` too. Both walks go on until the
  source answers an empty page, whatever ``totalCount`` says: Elasticsearch caps the totals it
  reports (10,000 by default), so a count can understate. Fewer than promised raises
  :class:`ReconciliationError`, which fails the load; more is counted (``beyond_total``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from ingestion.common.http import FetchError, HttpConfig, HttpStats, PoliteSession
from ingestion.common.secrets import RedactedError, redact, register_secret
from ingestion.opendata import api
from ingestion.opendata.parse import (
    AnswerError,
    CataloguePage,
    DatasetMapping,
    DisguisedError,
    decode,
    encode_source,
    parse_catalogue_page,
    parse_detailed,
    parse_mapping,
    parse_passport,
    parse_records,
    range_source,
)

log = logging.getLogger(__name__)


class OpendataError(RedactedError):
    """The open-data API did not give what was asked; the message never holds the key."""


class AuthError(OpendataError):
    """No API key, or the API refused it (HTTP 403)."""


class ReconciliationError(OpendataError):
    """What was read does not add up to the API's own totalCount."""


@dataclass(frozen=True)
class Catalogue:
    """The whole catalogue as read: distinct datasets (first sighting wins), reconciled."""

    total: int
    datasets: list[dict]
    source_urls: dict[str, str]  # apiUri → the catalogue page it was read from
    pages: int = 0
    duplicates: int = 0  # entries seen twice (page drift while walking)
    beyond_total: int = 0  # distinct datasets past totalCount (a capped count understates)


@dataclass(frozen=True)
class RecordPage:
    """One page of records; ``total`` is the count the first page announced for the query."""

    url: str  # without the key
    total: int
    records: list[dict]


@dataclass(frozen=True)
class Exchange:
    """One request as the client ended it, for an observer (the probe): never the key."""

    method: str  # GET or POST
    url: str  # without the key
    status: int | None  # None: no HTTP answer (timeout, refused connection)
    body: str | None  # the answer's text, when there was one to read
    reason: str | None = None  # why it failed, when it did
    sent_key: bool = False  # the request carried the key (shown as apiKey=***)
    form: tuple[tuple[str, str], ...] = ()  # a POST's form fields


# Which endpoint answered, as the client and the probe name them.
CATALOGUE_GET = "GET getdatasets"
CATALOGUE_POST = "POST getdatasetsre"
RECORDS_KEYED = "/api/detailed with the key"
RECORDS_KEYLESS = "/api/detailed keyless"

# How a request carries the key: never, when one is configured, or always (else AuthError).
_NO_KEY, _KEY_IF_ANY, _KEY_REQUIRED = "no key", "key if any", "key required"


@dataclass
class RecordsRead:
    """Filled in while :meth:`OpendataClient.iter_records` walks a dataset."""

    total: int | None = None
    read: int = 0
    pages: int = 0
    last_key: Any = None

    @property
    def beyond_total(self) -> int:
        """Records read past the first page's totalCount (a capped count understates)."""
        return max(0, self.read - (self.total or 0))


class OpendataClient:
    """One portal (``base_url``) and one key, through one polite session."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        session: PoliteSession | None = None,
        http_config: HttpConfig | None = None,
        observer: Callable[[Exchange], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        register_secret(self._api_key)  # masked in every log line, error, ledger row, alert
        self._own_session = session is None
        self.session = session if session is not None else PoliteSession(http_config)
        self.observer = observer  # sees every request's end (key-free)
        self.catalogue_variant: str | None = None  # set by the first catalogue page read

    def __repr__(self) -> str:  # never the key
        return f"OpendataClient({self.base_url!r}, api_key={'***' if self._api_key else None})"

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> OpendataClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def stats(self) -> HttpStats:
        return self.session.stats

    # --- the catalogue ---------------------------------------------------------------------

    @property
    def has_key(self) -> bool:
        return self._api_key is not None

    @property
    def records_variant(self) -> str:
        return RECORDS_KEYED if self._api_key else RECORDS_KEYLESS

    def catalogue_url(self, page: int, count: int) -> str:
        """The URL a catalogue page is read from; for the POST variant, with its form written
        as a query string (what raw rows record as the page's source)."""
        if self.catalogue_variant == CATALOGUE_POST:
            form = urlencode(_fallback_form(page, count))
            return f"{self.base_url}{api.CATALOGUE_FALLBACK_PATH}?{form}"
        params = {"page": page, "count": count, **api.CATALOGUE_PARAMS}
        return f"{self.base_url}{api.CATALOGUE_PATH}?{urlencode(params)}"

    def catalogue_page(self, page: int, count: int = api.CATALOGUE_PAGE_SIZE) -> CataloguePage:
        """One page: by GET getdatasets, or by POST getdatasetsre once GET answered 404/405."""
        if self.catalogue_variant != CATALOGUE_POST:
            try:
                answer = self._parsed(
                    self.catalogue_url(page, count),
                    parse_catalogue_page,
                    gone_statuses=api.CATALOGUE_FALLBACK_STATUSES,
                )
            except _Gone:
                log.info("catalogue: getdatasets is not served here; asking getdatasetsre")
                self.catalogue_variant = CATALOGUE_POST
            else:
                self.catalogue_variant = CATALOGUE_GET
                return answer
        url = self.base_url + api.CATALOGUE_FALLBACK_PATH
        return self._parsed(url, parse_catalogue_page, form=_fallback_form(page, count))

    def catalogue(
        self,
        page_size: int = api.CATALOGUE_PAGE_SIZE,
        progress: Callable[[int, int], None] | None = None,
    ) -> Catalogue:
        """Every dataset of the catalogue, page by page, reconciled against totalCount.

        Goes on until an empty page. Raises ReconciliationError when fewer distinct datasets
        than totalCount were read, or when totalCount itself changes during the walk (the
        catalogue moved under us); more than totalCount is counted in ``beyond_total``.
        """
        seen: dict[str, dict] = {}
        urls: dict[str, str] = {}
        total: int | None = None
        duplicates = 0
        page = 1
        while True:
            answer = self.catalogue_page(page, page_size)
            if total is None:
                total = answer.total
            elif answer.total != total:
                raise ReconciliationError(
                    f"catalogue: totalCount changed from {total} to {answer.total} while it was "
                    "read; nothing was landed from this walk, run the load again"
                )
            for dataset in answer.datasets:
                if dataset[api.DATASET_KEY] in seen:
                    duplicates += 1
                else:
                    seen[dataset[api.DATASET_KEY]] = dataset
                    urls[dataset[api.DATASET_KEY]] = self.catalogue_url(page, page_size)
            if progress is not None:
                progress(len(seen), total)
            if not answer.datasets:
                break
            page += 1
        pages = page - 1  # the last one was empty
        if len(seen) < total:
            raise ReconciliationError(
                f"catalogue: read {len(seen)} distinct datasets in {pages} pages of {page_size}, "
                f"but totalCount is {total}; the load is not reconciled"
            )
        beyond = len(seen) - total
        if beyond:
            log.warning(
                "catalogue: %d distinct datasets read, %d more than totalCount %d (a capped count)",
                *(len(seen), beyond, total),
            )
        return Catalogue(total, list(seen.values()), urls, pages, duplicates, beyond)

    # --- passports and mappings ------------------------------------------------------------

    def passport_url(self, api_uri: str, version: str) -> str:
        return self.base_url + api.PASSPORT_PATH.format(
            api_uri=quote(api_uri, safe=""), version=quote(version, safe="")
        )

    def passport(self, api_uri: str, version: str) -> dict:
        url = self.passport_url(api_uri, version)
        return self._parsed(url, lambda v: parse_passport(v, api_uri, version))

    def mapping_url(self, api_uri: str) -> str:
        """Without the key: what messages and raw rows show."""
        return self.base_url + api.MAPPING_PATH.format(api_uri=quote(api_uri, safe=""))

    def mapping(self, api_uri: str) -> DatasetMapping:
        return self._parsed(
            self.mapping_url(api_uri), lambda v: parse_mapping(v, api_uri), key=_KEY_REQUIRED
        )

    def latest_version(self, api_uri: str) -> str:
        return self.mapping(api_uri).latest

    # --- records ---------------------------------------------------------------------------

    def data_url(self, api_uri: str, version: str, source: Mapping, *, detailed: bool) -> str:
        """Without the key: what messages and raw rows show."""
        path = api.DETAILED_PATH if detailed else api.DATA_PATH
        path = path.format(api_uri=quote(api_uri, safe=""), version=quote(version, safe=""))
        return f"{self.base_url}{path}?{urlencode({api.SOURCE_PARAM: encode_source(source)})}"

    def records_page(
        self, api_uri: str, version: str, source: Mapping, *, detailed: bool = True
    ) -> tuple[int | None, list[dict]]:
        """One request of the data API: (totalCount or None for the bare endpoint, records).

        This is a building block: paging with it by ``from`` loses records past the API's
        result window without an error. Use :meth:`iter_records`.
        """
        url = self.data_url(api_uri, version, source, detailed=detailed)
        if detailed:  # with the key when there is one, else keyless (it has answered so)
            return self._parsed(url, parse_detailed, key=_KEY_IF_ANY)
        return None, self._parsed(url, parse_records, key=_KEY_REQUIRED)

    def iter_records(
        self,
        api_uri: str,
        version: str,
        *,
        key: str = api.DEFAULT_RECORD_KEY,
        since_field: str | None = None,
        since: Any = None,
        page_size: int = api.RECORDS_PAGE_SIZE,
        read: RecordsRead | None = None,
    ) -> Iterator[RecordPage]:
        """Every record of ``api_uri``/``version`` (changed since ``since`` in ``since_field``,
        when given), page by page: ``from: 0`` and a range on ``key`` past the last key read.

        The walk ends on an empty page, not at totalCount (a capped count understates). Then
        the count read is reconciled against the first page's totalCount: fewer raises
        ReconciliationError (the pages before it were yielded), more is ``read.beyond_total``.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        read = read if read is not None else RecordsRead()
        where = f"{api_uri}/{version}"
        while True:
            source = range_source(
                key, after=read.last_key, since_field=since_field, since=since, size=page_size
            )
            remaining, records = self.records_page(api_uri, version, source)
            if read.total is None:
                read.total = remaining
            if not records:
                break
            keys = [record.get(key) for record in records]
            if any(k is None for k in keys):
                raise OpendataError(f"{where}: records without the key field {key!r}")
            if not _strictly_ascending(read.last_key, keys):
                raise OpendataError(
                    f"{where}: the API did not honour the range and sort on {key!r} "
                    "(keys not strictly ascending); paging cannot go on safely"
                )
            read.read += len(records)
            read.pages += 1
            read.last_key = keys[-1]
            url = self.data_url(api_uri, version, source, detailed=True)
            yield RecordPage(url, read.total, records)
        if read.read < read.total:
            raise ReconciliationError(
                f"{where}: read {read.read} records in {read.pages} pages, but totalCount is "
                f"{read.total}; the load is not reconciled"
            )
        if read.beyond_total:
            log.warning(
                "%s: %d records read, %d more than totalCount %d (a capped count)",
                *(where, read.read, read.beyond_total, read.total),
            )

    # --- one request -----------------------------------------------------------------------

    def _parsed(
        self,
        url: str,
        parse: Callable[[Any], Any],
        *,
        key: str = _NO_KEY,
        form: Mapping[str, str] | None = None,
        gone_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        """GET ``url`` (POST ``form`` to it when given), the key added as ``key`` says, check
        the answer, parse it. An HTTP status in ``gone_statuses`` raises :class:`_Gone`, for
        the caller to try another endpoint.

        ``url`` is the key-free URL shown in every message.
        """
        if key == _KEY_REQUIRED and not self._api_key:
            raise AuthError(
                f"no API key for {url}: data.egov.kz's /api/v4 endpoints need one "
                "(set OPENDATA_API_KEY)"
            )
        keyed = key != _NO_KEY and self._api_key is not None
        method = "GET" if form is None else "POST"
        problems: list[str] = []
        last_body: list[str] = []

        def acceptable(text: str) -> bool:
            last_body[:] = [text]
            try:
                parse(decode(text))
            except DisguisedError as error:
                if error.permanent:
                    raise _Permanent(str(error)) from None
                problems.append(str(error))
                return False
            except AnswerError as error:
                problems.append(str(error))
                return False
            return True

        target = self._with_key(url) if keyed else url
        try:
            if form is None:
                # /api/… never leaves the portal: the key (or its answer's data) would not be ours
                response = self.session.get(target, validate=acceptable, same_origin=key != _NO_KEY)
            else:
                response = self.session.post_form(target, form, validate=acceptable)
        except _Permanent as error:
            self._observe(method, url, 200, last_body, str(error), keyed, form)
            raise OpendataError(f"{url}: {error}") from None
        except FetchError as error:
            reason = error.reason  # redacted (a FetchError is)
            self._observe(method, url, error.status, last_body, reason, keyed, form)
            if error.status in gone_statuses:
                raise _Gone(reason) from None
            if error.status == 403:
                if not keyed and key != _NO_KEY:
                    raise AuthError(
                        f"{url}: the API refused a request without a key (HTTP 403): this "
                        "portal needs one here too (set OPENDATA_API_KEY)"
                    ) from None
                raise AuthError(
                    f"{url}: the API refused the request (HTTP 403): the API key is missing, "
                    "wrong or not allowed here (check OPENDATA_API_KEY)"
                ) from None
            if problems:  # the last answer that was not data says more than "validation failed"
                reason = f"{problems[-1]} ({reason})"
            raise OpendataError(f"{url}: {reason}") from None
        text = response.content.decode("utf-8", errors="replace")
        self._observe(method, url, response.status_code, [text], None, keyed, form)
        return parse(decode(text))

    def _observe(
        self,
        method: str,
        url: str,
        status: int | None,
        body: list[str],
        reason: str | None,
        keyed: bool = False,
        form: Mapping[str, str] | None = None,
    ) -> None:
        if self.observer is not None:
            text = redact(body[-1]) if body else None
            self.observer(
                Exchange(method, url, status, text, reason, keyed, tuple((form or {}).items()))
            )

    def _with_key(self, url: str) -> str:
        joiner = "&" if "?" in url else "?"
        return f"{url}{joiner}{urlencode({api.API_KEY_PARAM: self._api_key})}"


class _Permanent(Exception):
    """Raised from the body validator to stop the session's retries at once."""


class _Gone(Exception):
    """The endpoint is not served here (e.g. getdatasets answering 404 or 405)."""


def _fallback_form(page: int, count: int) -> dict[str, str]:
    return {"page": str(page), "count": str(count), **api.CATALOGUE_FALLBACK_FORM}


def _strictly_ascending(after: Any, keys: list[Any]) -> bool:
    sequence = keys if after is None else [after, *keys]
    try:
        return all(a < b for a, b in zip(sequence, sequence[1:], strict=False))
    except TypeError:  # keys of mixed types cannot be ordered
        return False
