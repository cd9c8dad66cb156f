"""Open data (data.egov.kz): its Asset, its landing checkpoint and the body of its landing task."""

from __future__ import annotations

import logging
from pathlib import Path

from airflow.sdk import Asset, BaseHook, Variable

from tyndau.airflow_env import OPENDATA_CONN_ID
from tyndau.orchestration import http_config, warehouse_url

log = logging.getLogger(__name__)

RAW_OPENDATA = Asset(name="raw.opendata_datasets", group="raw")
#: The GX checkpoint run on the landing (expectations/gx/checkpoints/).
RAW_LANDING = "opendata_raw_landing"


def portal() -> tuple[str, str | None]:
    """(base URL, API key) from the connection `tyndau_opendata` (host = base URL, password =
    key). A host without a scheme is completed from the connection's schema (default https)
    and port."""
    conn = BaseHook.get_connection(OPENDATA_CONN_ID)
    host = (conn.host or "").strip().rstrip("/")
    if not host:
        raise ValueError(
            f"the Airflow connection {OPENDATA_CONN_ID} has no host: set OPENDATA_BASE_URL"
        )
    if "://" not in host:
        host = f"{conn.schema or 'https'}://{host}" + (f":{conn.port}" if conn.port else "")
    return host, conn.password or None


def land_catalogue(full_refresh: bool = False) -> dict:
    """Land the catalogue, its passports and the watched datasets' records in raw.

    Passports that stay unreadable are set aside (the next run retries them), and so are
    catalogue entries, passports and records with an implausible value; a reconciliation
    mismatch, a refused key or an unreachable portal fails the task.
    """
    from ingestion.opendata import land_opendata

    base_url, api_key = portal()
    watch_file = Variable.get("opendata_watch_file", default=None)
    report = land_opendata(
        warehouse_url(),
        base_url,
        api_key,
        watch=Path(watch_file) if watch_file else None,
        full_refresh=full_refresh,
        http_config=http_config(),
    )
    for api_uri, reason in report.failed_passports:
        log.warning("passport set aside: %s (%s)", api_uri, reason)
    summary = {
        "load_id": str(report.load_id),
        "datasets": report.catalogue_total,
        "dataset_rows_inserted": report.dataset_rows_inserted,
        "passports_fetched": report.passports_fetched,
        "passports_set_aside": len(report.failed_passports),
        "datasets_set_aside": len(report.rejected_datasets),
        "records_set_aside": len(report.rejected_records),
        "watched_datasets": len(report.records),
        "record_rows_inserted": report.record_rows_inserted,
        "requests_made": report.requests_made,
    }
    log.info("opendata landing: %s", summary)
    return summary
