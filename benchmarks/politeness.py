"""Figure 5, politeness cost: requests of a daily incremental run against the fewest that see
every change of the day.

As ``tests/integration/test_dialog_incremental.py`` does it, on the calibrated scenario: a full
run, one simulated day on the portal, the daily run; the minimum comes from the portal's own
state before and after the day (``sandbox.dialog.evolve.daily_minimum``), the requests made
from its request log.
"""

from __future__ import annotations

from pathlib import Path

from ingestion.dialog import land_dialog
from sandbox.dialog.evolve import daily_minimum, listing_states
from sandbox.dialog.scenario import build_scenario, write_registry
from sandbox.dialog.server import DialogSandbox


def run(warehouse_url: str, blog_ids: list[int] | None, work_dir: Path) -> dict:
    """``blog_ids``: the blogs to crawl (None: every blog of the registry)."""
    scenario = build_scenario()
    blogs = blog_ids or [b.blog_id for b in scenario.blogs]
    registry = write_registry(work_dir / "politeness-blogs.csv", blogs)
    with DialogSandbox(scenario) as portal:
        full = land_dialog(warehouse_url, portal.base_url, registry)
        before = listing_states(scenario, blogs)
        portal.advance(1)
        after = listing_states(scenario, blogs)
        portal.clear_log()
        land_dialog(warehouse_url, portal.base_url, registry)
        made = len(portal.requests)
    least = daily_minimum(before, after)
    return {
        "blogs": len(blogs),
        "appeals": sum(len(scenario.appeals_by_blog[b]) for b in blogs),
        "changed_appeals": len(least.changed),
        "full_run_requests": full.requests_made,
        "daily_run_requests": made,
        "minimum_requests": least.requests,
        "daily_vs_minimum": round(made / least.requests, 3),
    }
