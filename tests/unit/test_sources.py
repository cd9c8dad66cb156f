"""The source registry: every source declared once, and what is built from it."""

from __future__ import annotations

import uuid

import pytest

from expectations.gate import GX_ROOT
from tyndau.airflow_env import airflow_environment
from tyndau.pipeline import pipeline_dags
from tyndau.settings import ConfigError, env_name, load_settings
from tyndau.sources import SOURCES

CONFIGURED = {
    "DIALOG_BASE_URL": "http://portal.test/",
    "DIALOG_BLOGS_FILE": "blogs.csv",
    "DIALOG_MIN_DELAY": "1.5",
    "DIALOG_MAX_REJECT_SHARE": "0.1",
    "OPENDATA_BASE_URL": "http://opendata.test",
    "OPENDATA_API_KEY": "a-key-of-the-portal",
    "OPENDATA_WATCH_FILE": "watch.csv",
    "COMPLAINTS_INBOX": "inbox",
    "COMPLAINTS_SETTLE_SECONDS": "0",
    "COMPLAINTS_MAX_FILE_MB": "1.5",
    "COMPLAINTS_MAX_SHEET_ROWS": "7",
    "COMPLAINTS_MAX_SHEET_COLS": "3",
    "HTTP_MAX_BODY_MB": "5",
}


def test_each_task_reads_back_the_settings_of_its_source(tmp_path, monkeypatch):
    """Through Airflow's variables and connections, as airflow_env makes them."""
    from tyndau.orchestration import airflow_settings

    settings = load_settings(CONFIGURED | {"TYNDAU_STATE_DIR": str(tmp_path)})
    for name, value in airflow_environment(settings, "postgresql://u:p@db/w").items():
        if name.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_")):
            monkeypatch.setenv(name, value)
    for source in SOURCES:
        back = airflow_settings(source.settings)
        assert source.configured(back), source.name
        for field in source.settings:
            assert getattr(back, field) == getattr(settings, field), (source.name, field)
    assert back.complaints_limits == settings.complaints_limits


def test_the_dags_run_are_those_of_the_configured_sources():
    assert pipeline_dags(load_settings({})) == ["warehouse_build"]
    only_opendata = load_settings({"OPENDATA_BASE_URL": "http://opendata.test"})
    assert pipeline_dags(only_opendata) == ["opendata_ingest", "warehouse_build"]
    every = load_settings(CONFIGURED)
    assert pipeline_dags(every) == [
        "dialog_ingest",
        "opendata_ingest",
        "complaints_ingest",
        "warehouse_build",
    ]


def test_nothing_to_run_names_every_source_s_variable():
    with pytest.raises(ConfigError) as caught:
        load_settings({}).require_sources()
    for source in SOURCES:
        assert env_name(source.configured_by) in str(caught.value)


def test_every_entry_names_a_committed_checkpoint_and_a_raw_asset():
    for source in SOURCES:
        assert (GX_ROOT / "gx" / "checkpoints" / f"{source.checkpoint}.json").is_file()
        assert source.asset.startswith("raw.")
        assert source.configured_by in source.settings


def test_every_landing_summary_starts_with_its_load_id():
    from ingestion.complaints.land import LandingReport as ComplaintsReport
    from ingestion.dialog.land import LoadReport as DialogReport
    from ingestion.opendata.land import LoadReport as OpendataReport

    load_id = uuid.uuid4()
    reports = [DialogReport(load_id), OpendataReport(load_id), ComplaintsReport(load_id, "inbox")]
    for report in reports:
        summary = report.summary()
        assert next(iter(summary.items())) == ("load_id", str(load_id))
    assert {"pages_fetched", "rows_inserted", "stops"} <= set(reports[0].summary())
    assert {"datasets", "record_rows_inserted"} <= set(reports[1].summary())
    assert {"files_landed", "rejected", "inbox"} <= set(reports[2].summary())
