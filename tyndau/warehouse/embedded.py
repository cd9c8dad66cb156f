"""The embedded Postgres: its lifecycle, the owner role and the database tyndau keeps in it."""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tyndau.settings import Settings
from tyndau.warehouse.roles import close_other_databases
from tyndau.warehouse.url import make_url

DATABASE = "tyndau"
OWNER_ROLE = "tyndau"


def _server(pgdata: Path, cleanup_mode: str | None = None):
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells): harmless here
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver  # imported late: only the embedded set-up needs it

    pgdata.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)


def _owner_password(pgdata: Path) -> str:
    """The embedded owner role's password: made once, kept beside the data, readable by us only."""
    secret = pgdata.parent / "warehouse.password"
    if not secret.exists():
        secret.touch(mode=0o600)
        secret.write_text(secrets.token_urlsafe(24))
    return secret.read_text().strip()


def start_embedded(pgdata: Path) -> str:
    """Start (or find running) the embedded Postgres; return the URL of tyndau's database."""
    server = _server(pgdata)
    password = _owner_password(pgdata)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        role = conn.execute("select 1 from pg_roles where rolname = %s", [OWNER_ROLE]).fetchone()
        conn.execute(
            sql.SQL("{} role {} login createrole createdb password {}").format(
                sql.SQL("alter" if role else "create"),
                sql.Identifier(OWNER_ROLE),
                sql.Literal(password),
            )
        )
        exists = conn.execute("select 1 from pg_database where datname = %s", [DATABASE]).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("create database {} owner {}").format(
                    sql.Identifier(DATABASE), sql.Identifier(OWNER_ROLE)
                )
            )
        # the server is tyndau's alone: `postgres` and `template1` are no business of analysts
        close_other_databases(conn, keep_open=DATABASE)
    return _embedded_url(server, password)


def _embedded_url(server, password: str) -> str:
    socket_dir = conninfo_to_dict(server.get_uri())["host"]
    return make_url(host=socket_dir, user=OWNER_ROLE, password=password, dbname=DATABASE)


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded Postgres if it runs; True when it was running.

    Calls pg_ctl directly: pgserver's own cleanup only stops a server its last handle started,
    and the process asking may not be the one that started it (or may hold another handle).
    """
    import pgserver

    if not (pgdata / "postmaster.pid").exists():
        return False
    # as root, pgserver runs Postgres as its own system user (initdb refuses root)
    user = "pgserver" if os.geteuid() == 0 else None
    pgserver.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
    return True


def embedded_url_if_running(pgdata: Path) -> str | None:
    if not (pgdata / "postmaster.pid").exists():
        return None
    return _embedded_url(_server(pgdata), _owner_password(pgdata))


def resolve_url(settings: Settings) -> str:
    """WAREHOUSE_URL when set, else the embedded warehouse (started on demand)."""
    return settings.warehouse_url or start_embedded(settings.embedded_pgdata)
