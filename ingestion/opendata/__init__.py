"""Open data (data.egov.kz): the catalogue, its passports and mappings, and the records of
watched datasets, landed in raw.

- ``api``: every assumption about the portal's API, in one place;
- ``parse``: answers → values, errors in disguise recognised (pure);
- ``client``: the polite, key-hiding, reconciling client;
- ``watch``: the watch list file;
- ``tables``: the raw tables, declared once;
- ``load``: how rows land in them;
- ``land``: ``land_opendata``, the one call that does it all and keeps the ledger.
"""

from ingestion.common.secrets import redact
from ingestion.opendata.client import (
    AuthError,
    Catalogue,
    OpendataClient,
    OpendataError,
    ReconciliationError,
    RecordPage,
    RecordsRead,
)
from ingestion.opendata.land import FailedItem, LoadReport, Progress, land_opendata
from ingestion.opendata.load import SOURCE, ensure_raw_schema
from ingestion.opendata.parse import AnswerError, DatasetMapping, DisguisedError
from ingestion.opendata.watch import WatchItem, WatchListError, parse_watch_list, read_watch_list

__all__ = [
    "SOURCE",
    "AnswerError",
    "AuthError",
    "Catalogue",
    "DatasetMapping",
    "DisguisedError",
    "FailedItem",
    "LoadReport",
    "OpendataClient",
    "OpendataError",
    "Progress",
    "RecordPage",
    "RecordsRead",
    "ReconciliationError",
    "WatchItem",
    "WatchListError",
    "ensure_raw_schema",
    "land_opendata",
    "parse_watch_list",
    "read_watch_list",
    "redact",
]
