"""The warehouse: the embedded Postgres's lifecycle, its database and roles, and URL helpers."""

from __future__ import annotations

import logging
import os
import secrets
import warnings
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tyndau.settings import DEFAULT_READER_STATEMENT_TIMEOUT, Settings

log = logging.getLogger(__name__)

DATABASE = "tyndau"
OWNER_ROLE = "tyndau"
READER_ROLE = "tyndau_reader"


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


def make_url(
    host: str, user: str, dbname: str, password: str | None = None, port: int | str | None = None
) -> str:
    """A postgresql:// URL that psql, psycopg, SQLAlchemy and dbt accept; a socket dir rides in
    the query string because a path cannot stand where a host name does."""
    auth = quote(user, safe="")
    if password:
        auth += ":" + quote(password, safe="*")
    if host.startswith("/"):
        params = {"host": host} | ({"port": str(port)} if port else {})
        query = "?" + urlencode(params, safe="/", quote_via=quote)
        return f"postgresql://{auth}@/{quote(dbname, safe='')}{query}"
    netloc = host + (f":{port}" if port else "")
    return f"postgresql://{auth}@{netloc}/{quote(dbname, safe='')}"


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


def url_parts(url: str) -> dict[str, str]:
    """host/port/user/password/dbname of a Postgres URL; a Unix socket is a host that is a path."""
    parts = conninfo_to_dict(url)
    return {
        "host": parts.get("host") or "localhost",
        "port": str(parts.get("port") or 5432),
        "user": parts.get("user") or "postgres",
        "password": parts.get("password") or "",
        "dbname": parts.get("dbname") or "postgres",
    }


def dbt_profile_env(url: str) -> dict[str, str]:
    """The environment dbt_project/profiles.yml reads its connection from."""
    return {f"TYNDAU_PG_{key.upper()}": value for key, value in url_parts(url).items()}


def redact(url: str) -> str:
    """The URL as it may appear in logs: the password replaced."""
    parts = url_parts(url)
    if parts["password"]:
        parts["password"] = "***"
    return make_url(**parts)


def ensure_reader_role(
    conn: psycopg.Connection,
    password: str | None,
    statement_timeout: str = DEFAULT_READER_STATEMENT_TIMEOUT,
) -> None:
    """The analysts' role: reads `marts` (granted on publish) in the warehouse and nothing else,
    each query cut off after `statement_timeout`.

    With a password it can log in; without one it is a group role to grant to people's logins.
    """
    ident = sql.Identifier
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone()
    verb = "alter" if exists else "create"
    if password:
        stmt = sql.SQL("{} role {} login password {}").format(
            sql.SQL(verb), ident(READER_ROLE), sql.Literal(password)
        )
    else:
        stmt = sql.SQL("{} role {} nologin").format(sql.SQL(verb), ident(READER_ROLE))
    conn.execute(stmt)
    conn.execute(
        sql.SQL("alter role {} set statement_timeout = {}").format(
            ident(READER_ROLE), sql.Literal(statement_timeout)
        )
    )
    database = conn.execute("select current_database()").fetchone()[0]
    conn.execute(
        sql.SQL("grant connect on database {} to {}").format(ident(database), ident(READER_ROLE))
    )
    # every schema but marts is the pipeline's: not even listed in the reader's catalogue
    schemas = conn.execute(
        "select nspname, pg_has_role(nspowner, 'USAGE') from pg_namespace"
        " where nspname not like 'pg\\_%' and nspname not in ('information_schema', 'marts')"
    ).fetchall()
    for schema, owned in schemas:
        conn.execute(
            sql.SQL("revoke all on schema {} from {}").format(ident(schema), ident(READER_ROLE))
        )
        if owned:  # `public` is open to PUBLIC by default; nothing of tyndau's lives there
            conn.execute(sql.SQL("revoke all on schema {} from public").format(ident(schema)))
    still_open = close_other_databases(conn, keep_open=database)
    if still_open:
        log.warning(
            "the analysts' role %s can still connect to %s: only their owner or a superuser may "
            "REVOKE CONNECT ON DATABASE … FROM PUBLIC (grant CONNECT to the roles that use them)",
            READER_ROLE,
            ", ".join(still_open),
        )


def close_other_databases(conn: psycopg.Connection, keep_open: str) -> list[str]:
    """Take PUBLIC's CONNECT off every database but `keep_open` (the warehouse) that this role
    may administer, granting it first to every login role that had it through PUBLIC, save the
    analysts' role and its members: they lose it, nobody else does. Returns the databases still
    open to PUBLIC that this role may not change.

    Postgres cannot deny one role a privilege PUBLIC holds, hence PUBLIC's goes.
    """
    ident = sql.Identifier
    databases = conn.execute(
        """
        select d.datname,
               (select rolsuper from pg_roles where rolname = current_user)
               or pg_has_role(d.datdba, 'USAGE')
        from pg_database d
        where d.datallowconn and d.datname <> %(keep_open)s
          and exists (
              select from aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
              where a.grantee = 0 and a.privilege_type = 'CONNECT')
        order by 1
        """,
        {"keep_open": keep_open},
    ).fetchall()
    keep = conn.execute(
        """
        select r.rolname from pg_roles r
        where r.rolcanlogin and not r.rolsuper and r.rolname <> %(reader)s
          and not exists (
              select from pg_auth_members m join pg_roles g on g.oid = m.roleid
              where g.rolname = %(reader)s and m.member = r.oid)
        order by 1
        """,
        {"reader": READER_ROLE},
    ).fetchall()
    still_open = []
    for database, may_change in databases:
        if not may_change:
            still_open.append(database)
            continue
        if keep:
            conn.execute(
                sql.SQL("grant connect on database {} to {}").format(
                    ident(database), sql.SQL(", ").join(ident(r) for (r,) in keep)
                )
            )
        conn.execute(sql.SQL("revoke connect on database {} from public").format(ident(database)))
    return still_open


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    return make_url(**(url_parts(url) | {"dbname": dbname}))


def ensure_raw_tables(warehouse: str | psycopg.Connection) -> None:
    """Create every source's raw tables (idempotent), so the warehouse builds, tests and
    validates with any subset of sources landed so far."""
    from ingestion.common import raw
    from ingestion.complaints import tables as complaints
    from ingestion.dialog import tables as dialog
    from ingestion.opendata import tables as opendata

    if isinstance(warehouse, str):
        with psycopg.connect(warehouse, autocommit=True) as conn:
            return ensure_raw_tables(conn)
    raw.ensure_raw_tables(
        warehouse, (*dialog.RAW_TABLES, *opendata.RAW_TABLES, *complaints.RAW_TABLES)
    )


def raw_holds_data(url: str, tables: list[str]) -> bool:
    """Whether any of these tables (``schema.table``) exists and holds a row: whether a build
    has anything to publish even when no source landed anything in this run."""
    with psycopg.connect(url) as conn:
        for table in tables:
            schema, name = table.split(".", 1)
            exists = "select from pg_tables where schemaname = %s and tablename = %s"
            if conn.execute(exists, [schema, name]).fetchone() is None:
                continue
            query = sql.SQL("select exists (select from {})").format(sql.Identifier(schema, name))
            if conn.execute(query).fetchone()[0]:
                return True
    return False
