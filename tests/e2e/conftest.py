"""One complete demo run, shared by the end-to-end tests that only read what it built."""

from __future__ import annotations

import pytest

from tyndau.demo import stand_ins
from tyndau.pipeline import run_pipeline
from tyndau.settings import load_settings

READER_PASSWORD = "reader-secret-for-tests"  # the analysts role logs in with it


@pytest.fixture(scope="session")
def pipeline(pg_server, tmp_path_factory):
    """The demo's stand-ins run through every DAG; yields (settings, warehouse URL, result)."""
    state = tmp_path_factory.mktemp("state")
    settings = load_settings(
        {"TYNDAU_STATE_DIR": str(state), "TYNDAU_READER_PASSWORD": READER_PASSWORD}
    )
    with stand_ins(settings) as demo_settings:
        result = run_pipeline(demo_settings, pg_server)
        yield demo_settings, pg_server, result
