"""The demo's stand-ins: the three sources' sandboxes, started together, with settings that
point the pipeline at them. Used by `tyndau demo` and by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sandbox.complaints import write_reports
from sandbox.complaints.scenario import CALIBRATED_YEARS
from sandbox.dialog.scenario import build_scenario as dialog_scenario
from sandbox.dialog.server import DialogSandbox
from sandbox.opendata import SNAPSHOT, WATCH_FILE
from sandbox.opendata.scenario import build_scenario as opendata_scenario
from sandbox.opendata.server import SANDBOX_API_KEY, OpendataSandbox
from tyndau.settings import SANDBOX_BLOGS_FILE, Settings

# What the demo prints: the figures the sandboxes are calibrated to (docs/calibration.md), not
# the later scenario years they also serve (the marts hold both)
HEADLINE_OPENDATA_AS_OF = SNAPSHOT
HEADLINE_COMPLAINTS_YEAR = max(CALIBRATED_YEARS)


@contextmanager
def stand_ins(settings: Settings) -> Iterator[Settings]:
    """Serve the Open Dialogue and open-data sandboxes and drop the complaint reports into an
    inbox of the demo's own (never the configured one); yield settings pointing at them, with
    the sandbox's blog registry (never a configured DIALOG_BLOGS_FILE, whose blogs the sandbox
    does not serve)."""
    inbox = settings.state_dir / "demo-inbox"
    write_reports(inbox)
    with (
        DialogSandbox(dialog_scenario()) as dialog,
        OpendataSandbox(opendata_scenario()) as opendata,
    ):
        yield settings.replace(
            dialog_base_url=dialog.base_url,
            dialog_blogs_file=SANDBOX_BLOGS_FILE,
            opendata_base_url=opendata.base_url,
            opendata_api_key=SANDBOX_API_KEY,
            opendata_watch_file=WATCH_FILE,
            complaints_inbox=inbox,
        )
