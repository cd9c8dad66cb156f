"""The embedded warehouse's lifecycle: start, a URL psql and psycopg take, stop."""

import shutil
import subprocess

import psycopg
import pytest

from tyndau.warehouse.embedded import embedded_url_if_running, start_embedded, stop_embedded


def test_start_url_stop(tmp_path):
    pgdata = tmp_path / "pgdata"
    url = start_embedded(pgdata)
    try:
        assert embedded_url_if_running(pgdata) == url
        with psycopg.connect(url) as conn:
            assert conn.execute("select current_user, current_database()").fetchone() == (
                "tyndau",
                "tyndau",
            )
        if shutil.which("psql"):  # a client the user may or may not have
            psql = subprocess.run(
                ["psql", url, "-Atc", "select 1"], capture_output=True, text=True, check=False
            )
            assert psql.stdout.strip() == "1", psql.stderr
        assert stop_embedded(pgdata) is True
        assert embedded_url_if_running(pgdata) is None
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2)
        assert stop_embedded(pgdata) is False
    finally:
        stop_embedded(pgdata)
