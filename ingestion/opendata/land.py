"""One call lands the open-data source: the catalogue, its passports, the watched records.

This is what the Airflow task calls (it must not import Airflow); the CLI and tests call it too.

A load, in order:

1. the whole catalogue, reconciled against its totalCount → ``raw.opendata_datasets``;
2. the mapping (versions) and the passport of the latest version of every dataset that is new,
   changed since its last observation (modifiedDate), or whose passport is older than
   ``passport_max_age_days`` (archiving does not touch modifiedDate) — of every dataset with
   ``full_refresh`` → ``raw.opendata_mappings``, ``raw.opendata_passports``;
3. the records of each dataset on the watch list, by a range on its key, reconciled against
   totalCount; incrementally (records changed since the last succeeded load's watermark) where
   the dataset has a modification field (named in the watch file, else a known name the
   mapping types a date or the passport types Datetime) → ``raw.opendata_records``.

A passport's periodicity outside the known values is landed as seen and counted apart in the
report (``unknown_periodicities``), never a failure. Without an API key the mappings (under
``/api/v4``) cannot be read: the catalogue lands, passports are skipped (counted), and watched
datasets whose version the watch file names land through keyless ``/api/detailed``.

A passport that stays unreadable is set aside (listed in the report) and the load goes on; a
catalogue or records reconciliation that fails, a refused key, or any other error marks the
ledger row 'failed' and is raised, after the other watched datasets have been tried.

An implausible value (``parse.*_out_of_bounds``: a date before 2010 or after the observation
day, a count or version number beyond staging's column) is a reject with its reason, never a
landed value: that catalogue entry is set aside (``rejected_datasets``), that passport or
mapping too (``failed_passports``, retried next run), that record too (``rejected_records``,
kept out of the watermark); the rest of the load lands. The catalogue and the records are still
reconciled on what was read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import psycopg

from ingestion.common.bounds import latest_day
from ingestion.common.http import HttpConfig
from ingestion.common.ledger import recorded_load, start_load
from ingestion.common.raw import landing_connection
from ingestion.common.report import LandingReport
from ingestion.opendata import api
from ingestion.opendata.client import (
    AuthError,
    OpendataClient,
    OpendataError,
    RecordsRead,
)
from ingestion.opendata.load import (
    SOURCE,
    Observed,
    catalogue_state,
    ensure_raw_schema,
    land_datasets,
    land_mappings,
    land_passports,
    land_records,
    now,
    passport_ages,
    record_watermark,
)
from ingestion.opendata.parse import (
    DatasetMapping,
    dataset_out_of_bounds,
    latest_moment,
    mapping_out_of_bounds,
    modification_field,
    passport_out_of_bounds,
    record_out_of_bounds,
    unknown_periodicity,
)
from ingestion.opendata.watch import WatchItem, as_watch_items

log = logging.getLogger(__name__)

DEFAULT_PASSPORT_MAX_AGE_DAYS = 30
PASSPORT_BATCH = 200  # datasets per commit while reading passports
_MAX_FAILURES_IN_LEDGER = 200


class FailedItem(NamedTuple):
    """A dataset whose passport (or records) could not be read, or a catalogue entry, passport
    or record set aside for an implausible value (``api_uri`` is then ``apiUri/version`` for a
    record); the reason names no key."""

    api_uri: str
    reason: str


class Implausible(OpendataError):
    """A passport or mapping read whole, but with a value no real dataset has: set aside."""


@dataclass
class LoadReport(LandingReport):
    """What one landing did; ``*_inserted`` count new raw rows only."""

    full_refresh: bool = False
    catalogue_total: int = 0
    catalogue_pages: int = 0
    catalogue_duplicates: int = 0
    catalogue_beyond_total: int = 0  # datasets past the catalogue's (capped) totalCount
    dataset_rows_inserted: int = 0
    rejected_datasets: list[FailedItem] = field(default_factory=list)  # implausible entries
    passports_needed: int = 0
    passports_fetched: int = 0
    passport_rows_inserted: int = 0
    mapping_rows_inserted: int = 0
    passports_skipped_without_key: int = 0  # no key, no mapping, no version to ask for
    # periodicity value outside api.PERIODICITIES → datasets whose passport says it
    unknown_periodicities: dict[str, int] = field(default_factory=dict)
    unknown_periodicity_datasets: list[str] = field(default_factory=list)
    failed_passports: list[FailedItem] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # "apiUri/version" → …
    record_rows_inserted: int = 0
    failed_records: list[FailedItem] = field(default_factory=list)
    rejected_records: list[FailedItem] = field(default_factory=list)  # implausible records
    requests_made: int = 0
    http: dict = field(default_factory=dict)
    keyless: bool = False  # no API key was configured
    catalogue_variant: str | None = None  # which catalogue endpoint answered
    records_variant: str | None = None  # /api/detailed with the key, or keyless

    def figures(self) -> dict:
        return {
            "datasets": self.catalogue_total,
            "dataset_rows_inserted": self.dataset_rows_inserted,
            "passports_fetched": self.passports_fetched,
            "passports_set_aside": len(self.failed_passports),
            "datasets_set_aside": len(self.rejected_datasets),
            "records_set_aside": len(self.rejected_records),
            "watched_datasets": len(self.records),
            "record_rows_inserted": self.record_rows_inserted,
            "requests_made": self.requests_made,
        }

    def as_stats(self) -> dict:
        """The figures for the ledger's ``stats`` column (JSON)."""
        stats = asdict(self)
        stats["load_id"] = str(self.load_id)
        for name in ("failed_passports", "failed_records", "rejected_datasets", "rejected_records"):
            items = getattr(self, name)
            stats[f"{name}_total"] = len(items)
            stats[name] = [list(item) for item in items[:_MAX_FAILURES_IN_LEDGER]]
        stats["unknown_periodicity_total"] = sum(self.unknown_periodicities.values())
        stats["unknown_periodicity_datasets"] = self.unknown_periodicity_datasets[
            :_MAX_FAILURES_IN_LEDGER
        ]
        return stats


@dataclass(frozen=True)
class Progress:
    """Sent to the ``progress`` callback as a load goes on."""

    stage: str  # catalogue | passports | records
    done: int
    total: int | None
    detail: str = ""


@dataclass(frozen=True)
class LandingOptions:
    full_refresh: bool = False
    passport_max_age_days: int = DEFAULT_PASSPORT_MAX_AGE_DAYS
    catalogue_page_size: int = api.CATALOGUE_PAGE_SIZE
    records_page_size: int = api.RECORDS_PAGE_SIZE
    progress: Callable[[Progress], None] | None = None


def land_opendata(
    warehouse_url: str,
    base_url: str,
    api_key: str | None,
    *,
    watch: Iterable[WatchItem | str] | str | Path | None = None,
    full_refresh: bool = False,
    passport_max_age_days: int = DEFAULT_PASSPORT_MAX_AGE_DAYS,
    catalogue_page_size: int = api.CATALOGUE_PAGE_SIZE,
    records_page_size: int = api.RECORDS_PAGE_SIZE,
    min_delay: float = 0.0,
    http_config: HttpConfig | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> LoadReport:
    """Land the catalogue at ``base_url``, its passports, and the records of the ``watch`` list
    (a file path, WatchItems or apiUris; None: no records) in ``raw``; keep the ledger.

    ``api_key`` never appears in a log line, an error message or a raw row. Without one the
    load is partial (see the module's docstring) and says so in the log and the ledger.
    """
    options = LandingOptions(
        full_refresh, passport_max_age_days, catalogue_page_size, records_page_size, progress
    )
    with landing_connection(warehouse_url) as conn:
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        report = LoadReport(load_id=load_id, full_refresh=full_refresh, keyless=not api_key)
        log.info(
            "opendata load %s started (%s) from %s",
            load_id,
            "full refresh" if full_refresh else "incremental",
            base_url,
        )
        config = (http_config or HttpConfig()).at_least(min_delay)
        client = OpendataClient(base_url, api_key, http_config=config)
        with (
            recorded_load(
                conn,
                report,
                before_finish=lambda: _record_http(report, client),
            ),
            client,
        ):
            items = as_watch_items(watch)
            if not api_key:
                log.warning(
                    "opendata load %s without an API key (OPENDATA_API_KEY unset): no mappings, "
                    "so no passports; watched datasets need their version in the watch file and "
                    "are read through keyless /api/detailed",
                    load_id,
                )
            _Landing(conn, client, report, options).run(items)
    log.info(
        "opendata load %s succeeded: %d datasets (%d new rows), %d/%d passports (%d set aside), "
        "%d watched datasets (%d new record rows), %d requests",
        *(load_id, report.catalogue_total, report.dataset_rows_inserted),
        *(report.passports_fetched, report.passports_needed, len(report.failed_passports)),
        *(len(report.records), report.record_rows_inserted, report.requests_made),
    )
    return report


class _Landing:
    """One run: catalogue, then passports, then the watched records."""

    def __init__(
        self,
        conn: psycopg.Connection,
        client: OpendataClient,
        report: LoadReport,
        options: LandingOptions,
    ):
        self.conn = conn
        self.client = client
        self.report = report
        self.options = options
        self.mappings: dict[str, DatasetMapping] = {}
        self.pending_mappings: list[tuple[str, Observed]] = []
        self.pending_passports: list[tuple[str, str, Observed]] = []
        self.passports: dict[tuple[str, str], dict] = {}  # (apiUri, version) → passport read

    def run(self, items: Sequence[WatchItem]) -> None:
        datasets = self._land_catalogue()
        try:
            self._land_passports(datasets)
        finally:
            self._flush_quietly()
        self._land_watched(items)

    # --- 1. the catalogue ------------------------------------------------------------------

    def _land_catalogue(self) -> list[dict]:
        previous = catalogue_state(self.conn)
        ages = passport_ages(self.conn)
        catalogue = self.client.catalogue(
            self.options.catalogue_page_size,
            progress=lambda done, total: self._progress("catalogue", done, total),
        )
        observed_at = now()
        report = self.report
        report.catalogue_total = catalogue.total
        report.catalogue_pages = catalogue.pages
        report.catalogue_duplicates = catalogue.duplicates
        report.catalogue_beyond_total = catalogue.beyond_total
        report.catalogue_variant = self.client.catalogue_variant
        latest = latest_day(observed_at)
        plausible = []
        for dataset in catalogue.datasets:
            if reason := dataset_out_of_bounds(dataset, latest):
                log.warning("catalogue entry of %s set aside: %s", dataset[api.DATASET_KEY], reason)
                report.rejected_datasets.append(FailedItem(dataset[api.DATASET_KEY], reason))
            else:
                plausible.append(dataset)
        report.dataset_rows_inserted = land_datasets(
            self.conn,
            report.load_id,
            (
                Observed(catalogue.source_urls[d[api.DATASET_KEY]], d, observed_at)
                for d in plausible
            ),
        )
        log.info(
            "catalogue: %d datasets in %d pages, %d new rows, %d set aside",
            catalogue.total,
            catalogue.pages,
            report.dataset_rows_inserted,
            len(report.rejected_datasets),
        )
        oldest = observed_at - dt.timedelta(days=self.options.passport_max_age_days)
        return [
            d
            for d in catalogue.datasets
            if self.options.full_refresh
            or d[api.DATASET_KEY] not in ages
            or ages[d[api.DATASET_KEY]] < oldest
            or previous.get(d[api.DATASET_KEY]) != d.get("modifiedDate")
        ]

    # --- 2. mappings and passports ---------------------------------------------------------

    def _land_passports(self, datasets: list[dict]) -> None:
        report = self.report
        report.passports_needed = len(datasets)
        implausible = 0  # read, but set aside: the portal did answer
        if not self.client.has_key:  # the version to ask for comes from the mapping (/api/v4)
            report.passports_skipped_without_key = len(datasets)
            if datasets:
                log.warning("passports: %d skipped, no API key to read mappings", len(datasets))
            return
        for number, dataset in enumerate(datasets, start=1):
            api_uri = dataset[api.DATASET_KEY]
            try:
                mapping = self._mapping(api_uri)
                self._passport(api_uri, mapping.latest)
                report.passports_fetched += 1
            except AuthError:
                raise
            except OpendataError as error:
                log.warning("passport of %s set aside: %s", api_uri, error)
                report.failed_passports.append(FailedItem(api_uri, str(error)))
                implausible += isinstance(error, Implausible)
            if number % PASSPORT_BATCH == 0:
                self._flush()
            self._progress("passports", number, len(datasets), api_uri)
        self._flush()
        if datasets and not report.passports_fetched and not implausible:
            first = report.failed_passports[0]
            raise OpendataError(
                f"no passport could be read ({len(datasets)} tried); first: {first.reason}"
            )
        log.info(
            "passports: %d of %d read, %d set aside, %d new rows",
            report.passports_fetched,
            len(datasets),
            len(report.failed_passports),
            report.passport_rows_inserted,
        )

    def _mapping(self, api_uri: str) -> DatasetMapping:
        if api_uri not in self.mappings:
            mapping = self.client.mapping(api_uri)
            if reason := mapping_out_of_bounds(mapping):
                raise Implausible(f"{self.client.mapping_url(api_uri)}: {reason}")
            self.mappings[api_uri] = mapping
            payload = {"mappings": {v: {"properties": p} for v, p in mapping.properties.items()}}
            self.pending_mappings.append(
                (api_uri, Observed(self.client.mapping_url(api_uri), payload, now()))
            )
        return self.mappings[api_uri]

    def _passport(self, api_uri: str, version: str) -> dict:
        """Read a passport; raises Implausible (after keeping it in ``passports``: its fields
        still tell the records' modification field) when a value of it is out of bounds."""
        passport = self.client.passport(api_uri, version)
        url = self.client.passport_url(api_uri, version)
        observed = Observed(url, passport, now())
        self.passports[(api_uri, version)] = passport
        if reason := passport_out_of_bounds(passport, latest_day(observed.observed_at)):
            raise Implausible(f"{url}: {reason}")
        self.pending_passports.append((api_uri, version, observed))
        if (value := unknown_periodicity(passport)) is not None:
            counts = self.report.unknown_periodicities
            if api_uri not in self.report.unknown_periodicity_datasets:
                counts[value] = counts.get(value, 0) + 1
                self.report.unknown_periodicity_datasets.append(api_uri)
                log.warning("passport of %s: unknown periodicity %r, counted apart", api_uri, value)
        return passport

    def _flush(self) -> None:
        """Land the mappings and passports read so far: one COPY per table, one commit."""
        with self.conn.transaction():
            self.report.mapping_rows_inserted += land_mappings(
                self.conn, self.report.load_id, self.pending_mappings
            )
            self.report.passport_rows_inserted += land_passports(
                self.conn, self.report.load_id, self.pending_passports
            )
        self.pending_mappings, self.pending_passports = [], []

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except Exception:  # the error that interrupted the run matters more
            log.exception("could not land the last %d passports", len(self.pending_passports))

    # --- 3. watched records ----------------------------------------------------------------

    def _land_watched(self, items: Sequence[WatchItem]) -> None:
        """Every watched dataset is tried; then a failure is raised (one as it is, several
        together)."""
        errors: list[OpendataError] = []
        for number, item in enumerate(items, start=1):
            try:
                self._land_records(item, number, len(items))
            except AuthError:
                raise
            except OpendataError as error:
                log.error("records of %s: %s", item, error)
                self.report.failed_records.append(FailedItem(str(item), str(error)))
                errors.append(error)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise OpendataError(
                f"{len(errors)} of {len(items)} watched datasets failed: "
                + "; ".join(map(str, errors))
            )

    def _land_records(self, item: WatchItem, number: int, total: int) -> None:
        version, properties = self._version_of(item)
        passport = self.passports.get((item.api_uri, version))
        if passport is None:
            try:
                passport = self._passport(item.api_uri, version)
            except Implausible as error:  # set aside; its records are read all the same
                log.warning("passport of %s set aside: %s", item.api_uri, error)
                self.report.failed_passports.append(FailedItem(item.api_uri, str(error)))
                passport = self.passports[(item.api_uri, version)]
        self._flush()
        key = item.key or api.DEFAULT_RECORD_KEY
        for name, column in ((key, "third"), (item.modified_field, "fourth")):
            if name and properties and name not in properties:
                raise OpendataError(
                    f"{item.api_uri}/{version} has no field {name!r} (the watch list's "
                    f"{column} column); its fields: {', '.join(sorted(properties))}"
                )
        since_field = item.modified_field or modification_field(
            properties, passport.get(api.PASSPORT_FIELDS)
        )
        since = None
        if since_field and not self.options.full_refresh:
            since = record_watermark(self.conn, item.api_uri, version)
        figures: dict[str, Any] = {
            "key": key,
            "modification_field": since_field,
            "modification_field_from": (
                "watch file"
                if item.modified_field
                else "mapping or passport"
                if since_field
                else None
            ),
            "since": since,
            "read": 0,
            "total": None,
            "rows_inserted": 0,
            "rejected": 0,  # records set aside: an implausible modification stamp
            "watermark": since,
        }
        self.report.records[f"{item.api_uri}/{version}"] = figures
        self.report.records_variant = self.client.records_variant
        read = RecordsRead()
        for page in self.client.iter_records(
            item.api_uri,
            version,
            key=key,
            since_field=since_field,
            since=since,
            page_size=self.options.records_page_size,
            read=read,
        ):
            observed_at = now()
            plausible = self._plausible_records(
                item.api_uri, version, key, since_field, page.records, observed_at
            )
            figures["rejected"] += len(page.records) - len(plausible)
            added = land_records(
                self.conn,
                self.report.load_id,
                item.api_uri,
                version,
                key,
                page.url,
                plausible,
                observed_at,
            )
            figures["rows_inserted"] += added
            self.report.record_rows_inserted += added
            if since_field:
                stamps = [r[since_field] for r in plausible if r.get(since_field) is not None]
                # compared as moments: "2016-03-29+06:00" and ISO times mix on the portal
                figures["watermark"] = latest_moment([*stamps, figures["watermark"]])
            figures["read"], figures["total"] = read.read, read.total
            self._progress("records", read.read, read.total, str(item))
        figures["read"], figures["total"] = read.read, read.total
        figures["beyond_total"] = read.beyond_total  # past a (capped) totalCount
        log.info(
            "records of %s/%s [%d/%d]: %d of %d read (%s), %d new rows",
            *(item.api_uri, version, number, total, read.read, read.total),
            f"changed since {since}" if since else "all",
            figures["rows_inserted"],
        )

    def _plausible_records(
        self,
        api_uri: str,
        version: str,
        key: str,
        since_field: str | None,
        records: list[dict],
        observed_at: dt.datetime,
    ) -> list[dict]:
        """The records of a page that may land; the others are set aside with their reasons."""
        latest = latest_day(observed_at)
        plausible = []
        for record in records:
            if reason := record_out_of_bounds(record, since_field, latest):
                item = FailedItem(f"{api_uri}/{version}", f"record {key} {record[key]!r}: {reason}")
                self.report.rejected_records.append(item)
                log.warning("records of %s set aside: %s", item.api_uri, item.reason)
            else:
                plausible.append(record)
        return plausible

    def _version_of(self, item: WatchItem) -> tuple[str, dict[str, Any]]:
        """The version to read and its mapped fields ({} when unknown: no key, no mapping)."""
        if not self.client.has_key:
            if item.version is None:
                raise OpendataError(
                    f"{item}: without an API key its mapping (the published versions) cannot be "
                    "read; name the version in the watch file, or set OPENDATA_API_KEY"
                )
            return item.version, {}
        mapping = self._mapping(item.api_uri)
        version = item.version or mapping.latest
        if version not in mapping.properties:
            raise OpendataError(
                f"{item.api_uri} has no version {version} (published: "
                f"{', '.join(mapping.versions)})"
            )
        return version, mapping.properties[version]

    def _progress(self, stage: str, done: int, total: int | None, detail: str = "") -> None:
        if self.options.progress is not None:
            self.options.progress(Progress(stage, done, total, detail))


def _record_http(report: LoadReport, client: OpendataClient) -> None:
    stats = client.stats
    report.requests_made = stats.requests
    report.http = stats.as_dict()
