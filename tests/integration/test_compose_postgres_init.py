"""The compose stack's Postgres init script (docker/postgres/init-databases.sh), run as the
postgres image runs it, by psql against a fresh real server: three databases, each owned by
its role; the warehouse owner can make the reader role on publish, the reader sees marts only
and reaches no other database on the server."""

from __future__ import annotations

import os
import subprocess
import warnings

import psycopg
import pytest

from tyndau.publish import publish_marts
from tyndau.settings import PROJECT_DIR
from tyndau.warehouse.roles import READER_ROLE
from tyndau.warehouse.url import make_url, url_parts

SCRIPT = PROJECT_DIR / "docker" / "postgres" / "init-databases.sh"
PASSWORDS = {
    "TYNDAU_WAREHOUSE_PASSWORD": "w-secret",
    "AIRFLOW_DB_PASSWORD": "a-secret",
    "METABASE_DB_PASSWORD": "m-secret",
}


@pytest.fixture
def pristine_server(tmp_path):
    """A new Postgres cluster with nothing but its superuser, as the postgres image starts."""
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver
    from pgserver.postgres_server import POSTGRES_BIN_PATH

    server = pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop")
    try:
        yield server, POSTGRES_BIN_PATH
    finally:
        server.cleanup()


def test_init_script_makes_databases_and_roles(pristine_server):
    server, bin_path = pristine_server
    superuser = url_parts(server.get_uri())
    env = (
        os.environ
        | PASSWORDS
        | {
            "POSTGRES_USER": superuser["user"],
            "PGHOST": superuser["host"],
            "PGPORT": superuser["port"],
            "PATH": f"{bin_path}{os.pathsep}{os.environ['PATH']}",
        }
    )
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    with psycopg.connect(server.get_uri()) as conn:
        owners = dict(
            conn.execute(
                "select datname, pg_get_userbyid(datdba) from pg_database"
                " where datname in ('tyndau', 'airflow', 'metabase')"
            ).fetchall()
        )
        creates_roles = conn.execute(
            "select rolcreaterole from pg_roles where rolname = 'tyndau'"
        ).fetchone()[0]
    assert owners == {"tyndau": "tyndau", "airflow": "airflow", "metabase": "metabase"}
    assert creates_roles

    def url(user: str, password: str, dbname: str) -> str:
        return make_url(**(superuser | {"user": user, "password": password, "dbname": dbname}))

    warehouse = url("tyndau", PASSWORDS["TYNDAU_WAREHOUSE_PASSWORD"], "tyndau")
    with psycopg.connect(warehouse, autocommit=True) as conn:  # a first publish, minimal
        conn.execute("create schema marts_candidate")
        conn.execute("create table marts_candidate.akimat_ranking as select 1 as rank")
        conn.execute("create schema raw")
        conn.execute("create table raw.dialog_appeals as select 'personal data' as payload")
    publish_marts(warehouse, "r-secret")

    with psycopg.connect(url(READER_ROLE, "r-secret", "tyndau")) as conn:
        assert conn.execute("select rank from marts.akimat_ranking").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw.dialog_appeals")
    for other in ("airflow", "metabase", "postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(url(READER_ROLE, "r-secret", other))
