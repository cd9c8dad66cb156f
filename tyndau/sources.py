"""The registry of sources: each declared once — its settings, its land step, the Asset its
landing updates, the checkpoint that guards it, its schedule and its params.

The ingest DAGs (dags/ingest.py through tyndau.orchestration.ingest), the settings check
(`Settings.require_sources`), the DAGs `tyndau run` runs (tyndau.pipeline) and the warehouse
build's schedule are all built from `SOURCES`; docs/adding-a-source.md walks through a new one.
No Airflow here: the land steps are plain functions of the typed settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ingestion.common.raw import RawTable
from ingestion.common.report import LandingReport
from ingestion.complaints import tables as complaints_tables
from ingestion.dialog import tables as dialog_tables
from ingestion.opendata import tables as opendata_tables
from tyndau.settings import REGIONS_SEED, Settings

log = logging.getLogger(__name__)

FULL_REFRESH = "full_refresh"


@dataclass(frozen=True)
class Source:
    name: str  # the DAG is `<name>_ingest`
    title: str  # what the settings check calls it
    configured_by: str  # the setting that turns the source on
    settings: tuple[str, ...]  # what its land step reads (configured_by included)
    #: (settings, warehouse URL, **params) → the landing's report
    land: Callable[..., LandingReport]
    asset: str  # the Asset (raw.…) a checked landing updates: the warehouse build's trigger
    checkpoint: str  # the GX checkpoint run on the landing (expectations/gx/checkpoints/)
    #: what it lands in: created before any build (tyndau.warehouse.raw.ensure_raw_tables)
    raw_tables: tuple[RawTable, ...]
    schedule: str
    doc: str  # the DAG's doc_md
    params: dict[str, dict] = field(default_factory=dict)  # Airflow Param keyword arguments
    #: besides being configured: what makes its settings usable (raises ConfigError)
    require: Callable[[Settings], None] | None = None
    #: short-circuit: whether a landing's summary is worth checking and announcing
    landed_anything: Callable[[dict], bool] | None = None
    #: why the run must fail after the rest went on (files set aside), from the summary
    rejected: Callable[[dict], str | None] | None = None

    @property
    def dag_id(self) -> str:
        return f"{self.name}_ingest"

    @property
    def tags(self) -> list[str]:
        return ["tyndau", self.name, "ingest"]

    def configured(self, settings: Settings) -> bool:
        return bool(getattr(settings, self.configured_by))


def http_config(settings: Settings):
    """The polite session's settings for a landing (HTTP_MAX_BODY_MB); a source's own floor
    under the crawl delay is added by its land function (HttpConfig.at_least)."""
    from ingestion.common.http import HttpConfig

    return HttpConfig(max_body_bytes=round(settings.http_max_body_mb * 2**20))


def _land_dialog(settings: Settings, warehouse_url: str, *, full_refresh: bool = False):
    """Crawl every blog of the registry and land what it sees in raw.

    Pages that stay broken are set aside (the next run picks them up); the task fails only
    when the portal gave nothing at all.
    """
    from ingestion.dialog import land_dialog

    report = land_dialog(
        warehouse_url,
        settings.dialog_base_url,
        settings.dialog_blogs_file,
        min_delay=settings.dialog_min_delay,
        max_reject_share=settings.dialog_max_reject_share,
        full_refresh=full_refresh,
        http_config=http_config(settings),
        regions_seed=REGIONS_SEED,
    )
    for url, reason in report.failed_pages:
        log.warning("page set aside: %s (%s)", url, reason)
    if report.failed_pages and not report.pages_fetched:
        url, reason = report.failed_pages[0]
        raise RuntimeError(f"the portal gave no page at all; first failure: {url}: {reason}")
    return report


def _land_opendata(settings: Settings, warehouse_url: str, *, full_refresh: bool = False):
    """Land the catalogue, its passports and the watched datasets' records in raw.

    Passports that stay unreadable are set aside (the next run retries them), and so are
    catalogue entries, passports and records with an implausible value; a reconciliation
    mismatch, a refused key or an unreachable portal fails the task.
    """
    from ingestion.opendata import land_opendata

    report = land_opendata(
        warehouse_url,
        settings.opendata_base_url,
        settings.opendata_api_key,
        watch=settings.opendata_watch_file,
        full_refresh=full_refresh,
        http_config=http_config(settings),
    )
    for api_uri, reason in report.failed_passports:
        log.warning("passport set aside: %s (%s)", api_uri, reason)
    return report


def _land_complaints(settings: Settings, warehouse_url: str):
    """Land every new report file of the inbox.

    Files that cannot be used are moved to ``<inbox>/rejected/`` with their reason and listed
    in the summary; they do not stop the other files from landing.
    """
    from ingestion.complaints import land_complaints

    inbox = settings.complaints_inbox
    inbox.mkdir(parents=True, exist_ok=True)  # a fresh set-up has nothing dropped yet
    report = land_complaints(
        warehouse_url,
        inbox,
        settle_seconds=settings.complaints_settle_seconds,
        limits=settings.complaints_limits,
    )
    for rejected in report.rejected:
        log.warning("file set aside: %s (%s)", rejected.moved_to, rejected.reason)
    for waiting in report.waiting:
        log.info("file left for the next run: %s (%s)", waiting.source_file, waiting.reason)
    for entry in report.replaced:
        log.warning(
            "%s replaces %s for %s %s",
            *(entry["file"], ", ".join(entry["replaced_files"]), entry["period"]),
            entry["gov_body_code"],
        )
    return report


def _complaints_landed_anything(summary: dict) -> bool:
    """Whether the run changed what is in force (landed a file, or put an earlier one back in
    force): only then is the landing checked and the Asset updated (a run over an empty inbox
    must not rebuild the warehouse every 30 minutes)."""
    return bool(summary["files_landed"] or summary.get("reinstated"))


def _complaints_rejected(summary: dict) -> str | None:
    """Files set aside: someone must look."""
    if not summary["rejected"]:
        return None
    lines = [f"{r['file']}: {r['reason']}" for r in summary["rejected"]]
    return f"{len(lines)} report file(s) set aside in {summary['inbox']}/rejected:\n" + "\n".join(
        lines
    )


SOURCES: tuple[Source, ...] = (
    Source(
        name="dialog",
        title="Open Dialogue, e.g. https://dialog.egov.kz",
        configured_by="dialog_base_url",
        settings=(
            "dialog_base_url",
            "dialog_blogs_file",
            "dialog_min_delay",
            "dialog_max_reject_share",
            "http_max_body_mb",
        ),
        land=_land_dialog,
        asset="raw.dialog_appeals",
        checkpoint="dialog_raw_landing",
        raw_tables=dialog_tables.RAW_TABLES,
        schedule="@daily",
        doc="Airflow DAG: crawl the Open Dialogue portal into raw, check the landing, announce "
        "the Asset.",
        params={
            FULL_REFRESH: {
                "default": False,
                "type": "boolean",
                "description": "Re-read every page of every blog instead of stopping at "
                "settled pages.",
            }
        },
        require=Settings.require_blog_registry,
    ),
    Source(
        name="opendata",
        title="the open-data catalogue",
        configured_by="opendata_base_url",
        settings=(
            "opendata_base_url",
            "opendata_api_key",
            "opendata_watch_file",
            "http_max_body_mb",
        ),
        land=_land_opendata,
        asset="raw.opendata_datasets",
        checkpoint="opendata_raw_landing",
        raw_tables=opendata_tables.RAW_TABLES,
        schedule="@daily",
        doc="""Airflow DAG: land the open-data catalogue (data.egov.kz) into raw, check the landing,
announce the Asset.

Run with `full_refresh` to re-read every passport (not only new, changed or month-old ones) and
every watched dataset's records (not only those changed since the last load).""",
        params={
            FULL_REFRESH: {"default": False, "type": "boolean", "description": "re-read everything"}
        },
    ),
    Source(
        name="complaints",
        title="complaint report files",
        configured_by="complaints_inbox",
        settings=(
            "complaints_inbox",
            "complaints_settle_seconds",
            "complaints_max_file_mb",
            "complaints_max_sheet_rows",
            "complaints_max_sheet_cols",
        ),
        land=_land_complaints,
        asset="raw.complaints_rows",
        checkpoint="complaints_raw_landing",
        raw_tables=complaints_tables.RAW_TABLES,
        schedule="*/30 * * * *",
        doc="Airflow DAG: land new complaint report files from the inbox, check the landing, "
        """announce it.

Every 30 minutes, whatever is new in the inbox (Airflow Variable `complaints_inbox`) is landed
in raw; no sensor. Only a run that landed a file checks the landing with GX and updates the
Asset `raw.complaints_rows`, so an empty inbox does not trigger the warehouse. Files set aside
(unreadable, a missing column) fail the run's last task, after the good files went on.
""",
        require=Settings.require_inbox,
        landed_anything=_complaints_landed_anything,
        rejected=_complaints_rejected,
    ),
)
