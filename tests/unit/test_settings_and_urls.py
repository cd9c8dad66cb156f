from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from tyndau.cli import main
from tyndau.settings import LIVE_BLOGS_FILE, ConfigError, load_settings
from tyndau.warehouse.url import make_url, redact, url_parts, with_database


def test_defaults_point_at_the_embedded_warehouse_and_no_registry():
    settings = load_settings({})
    assert settings.warehouse_url is None
    assert settings.dialog_blogs_file is None
    assert settings.state_dir.name == ".tyndau"
    assert settings.complaints_inbox is None and settings.opendata_base_url is None
    with pytest.raises(ConfigError, match="nothing to run"):
        settings.require_sources()


def test_environment_overrides(tmp_path):
    blogs = tmp_path / "blogs.csv"
    blogs.write_text(
        "blog_id,gov_body_code,gov_body_name_ru,body_type,region_kato\n1,X,Имя,akimat,39\n"
    )
    settings = load_settings(
        {
            "WAREHOUSE_URL": "postgresql://u:p@db:5433/w",
            "DIALOG_BASE_URL": "http://portal.test/",
            "DIALOG_BLOGS_FILE": str(blogs),
            "TYNDAU_STATE_DIR": str(tmp_path),
        }
    )
    settings.require_sources()
    assert settings.dialog_base_url == "http://portal.test"
    assert settings.dialog_blogs_file == blogs
    assert settings.airflow_home == Path(tmp_path) / "airflow"


def test_a_portal_without_its_registry_is_refused(tmp_path):
    """No sandbox default in a real run: the sandbox's invented blog ids would crawl other
    officials' blogs on the live portal and file them under akimats."""
    settings = load_settings({"DIALOG_BASE_URL": "https://dialog.egov.kz"})
    with pytest.raises(ConfigError) as caught:
        settings.require_sources()
    message = str(caught.value)
    assert "DIALOG_BLOGS_FILE" in message and str(LIVE_BLOGS_FILE) in message
    assert "\n" not in message


def test_tyndau_run_without_a_registry_stops_at_once_with_one_line(tmp_path):
    env = {"DIALOG_BASE_URL": "https://dialog.egov.kz", "TYNDAU_STATE_DIR": str(tmp_path)}
    done = CliRunner().invoke(main, ["run"], env=env | {"DIALOG_BLOGS_FILE": ""})
    assert done.exit_code == 1
    (line,) = done.output.strip().splitlines()
    assert line.startswith("tyndau: DIALOG_BASE_URL is set") and "DIALOG_BLOGS_FILE" in line
    assert "Traceback" not in done.output
    assert not (tmp_path / "airflow").exists()  # stopped before starting anything


def test_an_invalid_registry_is_refused_before_a_crawl(tmp_path):
    blogs = tmp_path / "blogs.csv"
    blogs.write_text(
        "blog_id,gov_body_code,gov_body_name_ru,body_type,region_kato\nx,X,Y,akimat,\n"
    )
    settings = load_settings({"DIALOG_BASE_URL": "http://x", "DIALOG_BLOGS_FILE": str(blogs)})
    with pytest.raises(ConfigError, match="line 2: blog_id must be a positive integer"):
        settings.require_sources()


def test_missing_registry_is_a_clear_error(tmp_path):
    settings = load_settings(
        {"DIALOG_BASE_URL": "http://x", "DIALOG_BLOGS_FILE": str(tmp_path / "nope.csv")}
    )
    with pytest.raises(ConfigError, match="nope.csv"):
        settings.require_sources()


@pytest.mark.parametrize(
    "parts",
    [
        {"host": "/tmp/sock dir", "user": "tyndau", "password": "p@ss/word", "dbname": "tyndau"},
        {"host": "db.example", "port": "6543", "user": "a", "password": "", "dbname": "w"},
    ],
)
def test_urls_round_trip_through_libpq(parts):
    url = make_url(**parts)
    assert url.startswith("postgresql://")
    back = url_parts(url)
    for key, value in parts.items():
        assert back[key] == value
    psycopg.conninfo.conninfo_to_dict(url)  # libpq's own parser accepts it


def test_redact_hides_the_password_only():
    url = make_url(host="h", user="u", password="s3cret", dbname="d", port=5432)
    assert "s3cret" not in redact(url)
    assert url_parts(redact(url))["host"] == "h"
    assert url_parts(with_database(url, "other"))["dbname"] == "other"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["run"],
        ["sandbox"],
        ["demo"],
        ["warehouse"],
        ["warehouse", "start"],
        ["warehouse", "stop"],
        ["warehouse", "url"],
        ["probe"],
        ["probe", "opendata"],
    ],
)
def test_every_command_has_help(args):
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "usage:" in result.output.lower()
    assert len(result.output.splitlines()) > 3


def test_run_without_any_source_says_why(monkeypatch):
    for name in ("DIALOG_BASE_URL", "OPENDATA_BASE_URL", "COMPLAINTS_INBOX"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert "nothing to run" in result.output


def test_the_demo_crawls_its_sandbox_with_the_sandboxs_registry(tmp_path):
    """Whatever DIALOG_BLOGS_FILE says: the sandbox serves the blogs of its own registry."""
    from tyndau.demo import stand_ins
    from tyndau.settings import SANDBOX_BLOGS_FILE

    configured = {"TYNDAU_STATE_DIR": str(tmp_path), "DIALOG_BLOGS_FILE": str(LIVE_BLOGS_FILE)}
    with stand_ins(load_settings(configured)) as demo:
        assert demo.dialog_blogs_file == SANDBOX_BLOGS_FILE
        demo.require_sources()


def test_the_reject_share_that_fails_a_dialog_landing_is_a_share():
    assert load_settings({}).dialog_max_reject_share == 0.02
    assert load_settings({"DIALOG_MAX_REJECT_SHARE": "0.1"}).dialog_max_reject_share == 0.1
    for bad in ("abc", "-0.5", "2"):
        with pytest.raises(ConfigError, match="DIALOG_MAX_REJECT_SHARE must be a share"):
            load_settings({"DIALOG_MAX_REJECT_SHARE": bad})


def test_the_complaints_inbox_limits_and_settle_time_are_settings():
    default = load_settings({})
    assert default.complaints_settle_seconds == 2.0
    assert default.complaints_limits.max_file_bytes == 50 * 2**20
    assert (default.complaints_limits.max_sheet_rows, default.complaints_limits.max_sheet_cols) == (
        100_000,
        100,
    )
    custom = load_settings(
        {
            "COMPLAINTS_SETTLE_SECONDS": "0.5",
            "COMPLAINTS_MAX_FILE_MB": "1.5",
            "COMPLAINTS_MAX_SHEET_ROWS": "500",
            "COMPLAINTS_MAX_SHEET_COLS": "20",
        }
    )
    assert custom.complaints_settle_seconds == 0.5
    assert custom.complaints_limits.max_file_bytes == 1_572_864
    assert (custom.complaints_limits.max_sheet_rows, custom.complaints_limits.max_sheet_cols) == (
        500,
        20,
    )
    for name, bad in [("COMPLAINTS_SETTLE_SECONDS", "-1"), ("COMPLAINTS_MAX_SHEET_ROWS", "0")]:
        with pytest.raises(ConfigError, match=f"{name} must be a positive"):
            load_settings({name: bad})


def test_the_http_body_cap_and_the_task_timeout_reach_airflow(tmp_path):
    from tyndau.airflow_env import airflow_environment

    defaults = load_settings({"TYNDAU_STATE_DIR": str(tmp_path)})
    assert (defaults.http_max_body_mb, defaults.task_timeout_minutes) == (20, 180)
    settings = load_settings(
        {"TYNDAU_STATE_DIR": str(tmp_path), "HTTP_MAX_BODY_MB": "5", "TASK_TIMEOUT_MINUTES": "30"}
    )
    env = airflow_environment(settings, "postgresql://u@localhost/w")
    assert env["AIRFLOW_VAR_HTTP_MAX_BODY_MB"] == "5.0"
    assert env["AIRFLOW__CORE__DEFAULT_TASK_EXECUTION_TIMEOUT"] == "1800"
    for name in ("HTTP_MAX_BODY_MB", "TASK_TIMEOUT_MINUTES"):
        with pytest.raises(ConfigError, match=f"{name} must be a positive number"):
            load_settings({name: "0"})


def test_the_readers_statement_timeout_is_a_duration_passed_to_airflow(tmp_path):
    from tyndau.airflow_env import airflow_environment

    assert load_settings({}).reader_statement_timeout == "60s"
    settings = load_settings({"READER_STATEMENT_TIMEOUT": "5min", "TYNDAU_STATE_DIR": tmp_path})
    env = airflow_environment(settings, "postgresql://u:p@db/w")
    assert env["AIRFLOW_VAR_READER_STATEMENT_TIMEOUT"] == "5min"
    with pytest.raises(ConfigError, match="READER_STATEMENT_TIMEOUT"):
        load_settings({"READER_STATEMENT_TIMEOUT": "a minute"})


@pytest.mark.parametrize("value", ["abc", "-5", "inf", "nan"])
def test_a_bad_minimum_delay_is_one_clear_line(value):
    with pytest.raises(ConfigError) as caught:
        load_settings({"DIALOG_MIN_DELAY": value})
    assert str(caught.value) == f"DIALOG_MIN_DELAY must be a positive number (or 0), not {value!r}"


def test_the_minimum_delay_is_read_as_seconds():
    assert load_settings({"DIALOG_MIN_DELAY": "1.5"}).dialog_min_delay == 1.5
    assert load_settings({}).dialog_min_delay == 0
