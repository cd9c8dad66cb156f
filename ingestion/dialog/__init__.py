"""Open Dialogue (dialog.egov.kz): crawl the per-blog listings and land what they show in raw.

- ``selectors``: every assumption about the portal's HTML, in one place;
- ``parse``: listing page → records and rejects (pure);
- ``registry``: the blog registry CSV;
- ``crawl``: the polite walk over a blog's pages;
- ``tables``: the raw tables, declared once;
- ``load``: how rows land in them (``raw.dialog_walks``: where each blog's next walk starts
  from);
- ``land``: ``land_dialog``, the one call that does it all and keeps the ledger.
"""

from ingestion.dialog.crawl import (
    BlogWalk,
    DialogCrawler,
    FailedPage,
    IncrementalStop,
    UnrecognisedListing,
)
from ingestion.dialog.land import LandingCheckFailed, LoadReport, Progress, land_dialog
from ingestion.dialog.load import ensure_raw_schema
from ingestion.dialog.parse import ListingPage, Reject, parse_listing
from ingestion.dialog.registry import Blog, RegistryError, read_registry

__all__ = [
    "Blog",
    "BlogWalk",
    "DialogCrawler",
    "FailedPage",
    "IncrementalStop",
    "LandingCheckFailed",
    "ListingPage",
    "LoadReport",
    "Progress",
    "RegistryError",
    "Reject",
    "ensure_raw_schema",
    "land_dialog",
    "parse_listing",
    "read_registry",
    "UnrecognisedListing",
]
