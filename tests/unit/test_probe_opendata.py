"""`tyndau probe opendata` against the open-data sandbox over real HTTP: exit 0 on the default
portal, 1 when a required field is missing, the variant that answered named, the key nowhere
(printout, saved answers, errors); and the generic ProbeRun every probe shares."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.opendata import Knobs, OpendataSandbox, build_scenario
from tyndau.cli import main
from tyndau.probe import EXIT_OK, EXIT_REQUIRED_MISSING, FieldCheck, ProbeRun

KEY = "Pr0be-Key-nobody-may-see"
SMALL = "zhol_zhondeu_zhumystary"  # records, and a modification field in v2


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


def probe(portal, state_dir: Path, *args: str, key: str | None = KEY):
    env = {"OPENDATA_BASE_URL": portal.base_url, "TYNDAU_STATE_DIR": str(state_dir)}
    env["OPENDATA_API_KEY"] = key  # None unsets it
    return CliRunner().invoke(main, ["probe", "opendata", "--delay", "0", *args], env=env)


def saved_files(state_dir: Path) -> list[Path]:
    return sorted(p for p in (state_dir / "probe").rglob("*") if p.is_file())


def assert_key_nowhere(result, state_dir: Path, key: str = KEY) -> None:
    assert key not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    files = saved_files(state_dir)
    assert files, "the probe saved nothing"
    for path in files:
        assert key not in path.read_text(encoding="utf-8"), path


def test_the_default_sandbox_passes_and_every_field_is_reported(scenario, tmp_path):
    with OpendataSandbox(scenario, api_key=KEY) as portal:
        result = probe(portal, tmp_path, "--dataset", SMALL)
        asked = [r.path for r in portal.requests if r.path != "/robots.txt"]
    assert result.exit_code == EXIT_OK, result.output
    out = result.output
    for expected in (
        "[GET getdatasets]",
        "totalCount                     1/1  required  = 2840",
        "datasets[].modifiedDate      10/10  required  datetime ×10",
        "datasets[].owner.fullnameRu  10/10  required",
        "published: v1, v2",
        f"/api/v4/mapping/{SMALL}?apiKey=*** -> HTTP 200",
        "periodicity    1/1  required  known ×1",
        "Int ×2, String ×2, Datetime ×1",
        "modification field: updated_at",
        "[/api/detailed with the key]",
        "totalCount (record count)",
        "= 60",
        "Every required field matched.",
        "Send this printout back",
    ):
        assert expected in out, expected
    assert len(asked) == 4  # one catalogue page, one mapping, one passport, one record
    assert_key_nowhere(result, tmp_path)
    (folder,) = (tmp_path / "probe").iterdir()
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "01-catalogue.json",
        "02-mapping.json",
        "03-passport.json",
        "04-record.json",
        "report.txt",
    ]
    assert (folder / "report.txt").read_text(encoding="utf-8").strip().endswith("corrected.")


def test_the_first_catalogue_dataset_is_probed_by_default(scenario, tmp_path):
    with OpendataSandbox(scenario, api_key=KEY) as portal:
        result = probe(portal, tmp_path)
    assert result.exit_code == EXIT_OK, result.output
    assert f"Dataset probed: {scenario.datasets[0].api_uri}" in result.output


@pytest.mark.parametrize("dropped", ["modifiedDate", "owner.fullnameRu"])
def test_a_required_field_missing_fails_the_probe(scenario, tmp_path, dropped):
    knobs = Knobs(dropped_catalogue_fields=(dropped,))
    with OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal:
        result = probe(portal, tmp_path, "--dataset", SMALL)
    assert result.exit_code == EXIT_REQUIRED_MISSING
    assert f"datasets[].{dropped}" in result.output
    assert f"Required fields that matched nothing: datasets[].{dropped}." in result.output
    assert "MISSING" in result.output
    assert_key_nowhere(result, tmp_path)


def test_the_variants_that_answered_are_named(scenario, tmp_path):
    knobs = Knobs(
        catalogue_get_status=405,
        es2_mappings=True,
        offset_dates=True,
        unknown_periodicities=3000,  # every active dataset
    )
    with OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as portal:
        result = probe(portal, tmp_path, "--dataset", SMALL)
    out = result.output
    assert result.exit_code == EXIT_OK, out
    assert "getdatasets?page=1" in out and "-> HTTP 405" in out
    assert "(form page=1&count=10&status=PUBLISHED) -> HTTP 200  [POST getdatasetsre]" in out
    assert "date+offset ×5, datetime+offset ×5" in out
    assert "ES 2.x style: dates may be typed string" in out
    assert "unknown ×1" in out and "(unknown: landed as seen, counted apart)" in out
    assert "modification field: updated_at" in out  # by the passport, the mapping says string


def test_without_a_key_the_record_is_asked_keyless(scenario, tmp_path):
    with OpendataSandbox(scenario, knobs=Knobs(keyless_detailed=True), api_key=KEY) as portal:
        result = probe(portal, tmp_path, "--dataset", SMALL, "--version", "v2", key=None)
        asked = [r.path for r in portal.requests]
    assert result.exit_code == EXIT_OK, result.output
    assert "API key: none" in result.output and "skipped: /api/v4/mapping" in result.output
    assert "[/api/detailed keyless]" in result.output
    assert not [p for p in asked if "apiKey" in p or p.startswith("/api/v4")]


def test_a_wrong_key_is_reported_and_never_shown(scenario, tmp_path):
    wrong = "Wr0ng-Key-of-the-probe"
    with OpendataSandbox(scenario, api_key=KEY) as portal:
        result = probe(portal, tmp_path, "--dataset", SMALL, key=wrong)
    assert result.exit_code == EXIT_REQUIRED_MISSING
    assert "?apiKey=*** -> HTTP 403" in result.output
    assert "the API key is missing, wrong or not allowed here" in result.output
    assert_key_nowhere(result, tmp_path, wrong)


def test_a_dead_portal_fails_without_a_traceback(tmp_path):
    env = {
        "OPENDATA_BASE_URL": "http://127.0.0.1:9",  # nothing listens on the discard port
        "OPENDATA_API_KEY": KEY,
        "TYNDAU_STATE_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["probe", "opendata", "--delay", "0"], env=env)
    assert result.exit_code == EXIT_REQUIRED_MISSING
    assert "no answer" in result.output and KEY not in result.output


def test_no_portal_configured_says_what_to_set(tmp_path):
    env = {"OPENDATA_BASE_URL": None, "TYNDAU_STATE_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["probe", "opendata"], env=env)
    assert result.exit_code == 1 and "OPENDATA_BASE_URL" in result.output


def test_help_says_what_the_printout_is_for():
    group = CliRunner().invoke(main, ["probe", "--help"])
    command = CliRunner().invoke(main, ["probe", "opendata", "--help"])
    assert "send back" in group.output and "opendata" in group.output
    for option in ("--base-url", "--dataset", "--version", "--count", "--delay"):
        assert option in command.output
    assert "OPENDATA_API_KEY" in command.output


# --- what every probe shares ------------------------------------------------------------------


def test_probe_run_folders_tables_redaction_and_exit_codes(tmp_path):
    printed: list[str] = []
    moment = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)

    def new_run() -> ProbeRun:
        return ProbeRun(
            "demo",
            tmp_path,
            redact=lambda text: text.replace("s3cret", "***"),
            echo=printed.append,
            now=moment,
        )

    run, again = new_run(), new_run()
    assert run.folder == tmp_path / "probe" / "20240501T120000Z"
    assert again.folder == tmp_path / "probe" / "20240501T120000Z-1"  # same second: its own
    run.request("GET", "http://x/?apiKey=s3cret", 200, "variant A")
    saved = run.save("answer one.json", '{"key": "s3cret"}')
    assert saved.name == "01-answer_one.json" and "s3cret" not in saved.read_text()
    run.fields([FieldCheck("short", 3, 3, required=True), FieldCheck("a_longer_name", 0, 3)])
    assert printed[-2:] == ["  short          3/3  required", "  a_longer_name  0/3"]
    assert run.exit_code() == EXIT_OK  # an optional field may match nothing
    run.fields([FieldCheck("needed", 0, 2, required=True)])
    assert run.finish() == EXIT_REQUIRED_MISSING
    report = (run.folder / "report.txt").read_text(encoding="utf-8")
    assert "GET http://x/?apiKey=*** -> HTTP 200  [variant A]" in report
    assert "needed" in report and "s3cret" not in report
    assert again.finish() == EXIT_REQUIRED_MISSING  # nothing checked is no pass either
