"""Open Dialogue: its Asset and the body of its landing task."""

from __future__ import annotations

import logging
from pathlib import Path

from airflow.sdk import Asset, Variable

from tyndau.orchestration import http_config, warehouse_url
from tyndau.settings import REGIONS_SEED

log = logging.getLogger(__name__)

RAW_DIALOG_APPEALS = Asset(name="raw.dialog_appeals", group="raw")


def land_appeals(full_refresh: bool = False) -> dict:
    """Crawl every blog of the registry and land what it sees in raw.

    Pages that stay broken are set aside (the next run picks them up); the task fails only
    when the portal gave nothing at all.
    """
    from ingestion.dialog import land_dialog

    report = land_dialog(
        warehouse_url(),
        Variable.get("dialog_base_url"),
        Path(Variable.get("dialog_blogs_file")),
        min_delay=float(Variable.get("dialog_min_delay", default="0")),
        max_reject_share=float(Variable.get("dialog_max_reject_share", default="0.02")),
        full_refresh=full_refresh,
        http_config=http_config(),
        regions_seed=REGIONS_SEED,
    )
    for url, reason in report.failed_pages:
        log.warning("page set aside: %s (%s)", url, reason)
    if report.failed_pages and not report.pages_fetched:
        url, reason = report.failed_pages[0]
        raise RuntimeError(f"the portal gave no page at all; first failure: {url}: {reason}")
    summary = {
        "load_id": str(report.load_id),
        "pages_fetched": report.pages_fetched,
        "requests_made": report.requests_made,
        "cards_seen": report.cards_seen,
        "rows_inserted": report.rows_inserted,
        "rejects": report.rejects,
        "failed_pages": len(report.failed_pages),
        "ratings": report.ratings_note or f"{report.rated_seen} rated answers",
        # why each blog's walk stopped: shows an operator what an incremental run skipped
        "stops": {str(blog): why for blog, why in report.stop_reasons.items()},
    }
    log.info("dialog landing: %s", summary)
    return summary


def mask_personal_data(everything: bool = False) -> dict:
    """Mask the texts of the landed appeals that lack masked texts under the current rules (all
    of them with ``everything``): what staging reads. The landing masks as it lands; this
    covers a change of the rules and a warehouse landed before masking moved there."""
    import psycopg

    from ingestion.dialog.load import mask_landed
    from ingestion.dialog.masking import MASKING_VERSION

    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        masked = mask_landed(
            conn, everything=everything, progress=lambda n: log.info("masked %d observations", n)
        )
    log.info("personal data masked in %d observations (rules version %d)", masked, MASKING_VERSION)
    return {"masked": masked, "masking_version": MASKING_VERSION}
