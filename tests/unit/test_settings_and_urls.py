from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from tyndau.cli import main
from tyndau.settings import SANDBOX_BLOGS_FILE, ConfigError, load_settings
from tyndau.warehouse import make_url, redact, url_parts, with_database


def test_defaults_point_at_the_embedded_warehouse_and_shipped_registry():
    settings = load_settings({})
    assert settings.warehouse_url is None
    assert settings.dialog_blogs_file == SANDBOX_BLOGS_FILE
    assert settings.state_dir.name == ".tyndau"
    assert settings.complaints_inbox is None and settings.opendata_base_url is None
    with pytest.raises(ConfigError, match="nothing to run"):
        settings.require_sources()


def test_environment_overrides(tmp_path):
    blogs = tmp_path / "blogs.csv"
    blogs.write_text("blog_id\n")
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
