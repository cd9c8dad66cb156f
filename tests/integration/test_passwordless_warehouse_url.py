"""A WAREHOUSE_URL without a password: libpq finds it itself (a password file, PGPASSWORD),
and dbt (through the profile Cosmos makes from the Airflow connection), Great Expectations and
psycopg all connect, against a real server that demands the password."""

from __future__ import annotations

import tempfile
import warnings

import psycopg
import pytest

from tyndau.airflow_env import airflow_environment
from tyndau.settings import DBT_PROJECT_DIR, load_settings
from tyndau.warehouse.url import dbt_profile_env, make_url, url_parts

ROLE, PASSWORD, DATABASE = "tyndau_pw", "pw-Secret-1", "tyndau_pw"


@pytest.fixture(scope="module")
def password_server():
    """A server of its own whose pg_hba.conf demands ROLE's password (scram), and the URL of
    ROLE's database, with no password in it."""
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver

    home = tempfile.mkdtemp(prefix="tyndau-test-pw-")
    server = pgserver.get_server(f"{home}/pgdata", cleanup_mode="stop")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"create role {ROLE} login password '{PASSWORD}'")
            conn.execute(f"create database {DATABASE} owner {ROLE}")
            hba = conn.execute("show hba_file").fetchone()[0]
            with open(hba) as file:
                rules = file.read()
            with open(hba, "w") as file:
                file.write(f"local all {ROLE} scram-sha-256\nhost all {ROLE} all scram-sha-256\n")
                file.write(rules)
            conn.execute("select pg_reload_conf()")
        parts = url_parts(server.get_uri())
        yield make_url(host=parts["host"], port=parts["port"], user=ROLE, dbname=DATABASE)
    finally:
        server.cleanup()


@pytest.fixture(params=["PGPASSFILE", "PGPASSWORD"])
def password_outside_the_url(request, tmp_path, monkeypatch):
    """The password where libpq looks for it: only in a password file, or only in PGPASSWORD."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-pgpass"))  # not ~/.pgpass
    if request.param == "PGPASSFILE":
        passfile = tmp_path / "pgpass"
        passfile.write_text(f"*:*:*:{ROLE}:{PASSWORD}\n")
        passfile.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(passfile))
    else:
        monkeypatch.setenv("PGPASSWORD", PASSWORD)
    return request.param


def test_the_server_demands_the_password(password_server, tmp_path, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-pgpass"))
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(password_server)


def test_psycopg_gx_and_dbt_find_the_password_libpq_finds(
    password_server, password_outside_the_url, tmp_path, monkeypatch
):
    settings = load_settings({"TYNDAU_STATE_DIR": str(tmp_path)})
    for name, value in airflow_environment(settings, password_server).items():
        if name.startswith("AIRFLOW_CONN_"):
            monkeypatch.setenv(name, value)
    from tyndau.orchestration import dbt_profile_config, warehouse_url

    url = warehouse_url()  # as every task reads it, from the Airflow connection
    assert url_parts(url)["password"] == ""
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_user").fetchone() == (ROLE,)

    from expectations.gate import gx_context

    engine = gx_context(url).data_sources.get("warehouse").get_engine()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select current_user").scalar() == ROLE

    from dbt.cli.main import dbtRunner

    with dbt_profile_config().ensure_profile() as (profile, profile_env):
        for name, value in profile_env.items():
            monkeypatch.setenv(name, value)
        args = ["debug", "--connection", "--project-dir", str(DBT_PROJECT_DIR)]
        args += ["--profiles-dir", str(profile.parent), "--target", "airflow"]
        result = dbtRunner().invoke(args)
    assert result.success, result.exception

    # and the project's own profile, as `dbt` run by hand (and the tests) reads it
    for name, value in dbt_profile_env(url).items():
        monkeypatch.setenv(name, value)
    args = ["debug", "--connection", "--project-dir", str(DBT_PROJECT_DIR)]
    result = dbtRunner().invoke([*args, "--profiles-dir", str(DBT_PROJECT_DIR)])
    assert result.success, result.exception
