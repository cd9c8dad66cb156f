"""The warehouse's roles: the analysts' read-only role, and databases closed to it."""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from tyndau.settings import DEFAULT_READER_STATEMENT_TIMEOUT

log = logging.getLogger(__name__)

READER_ROLE = "tyndau_reader"


def ensure_reader_role(
    conn: psycopg.Connection,
    password: str | None,
    statement_timeout: str = DEFAULT_READER_STATEMENT_TIMEOUT,
) -> None:
    """The analysts' role: reads `marts` (granted on publish) in the warehouse and nothing else,
    each query cut off after `statement_timeout`.

    With a password it can log in; without one a new role is a group role to grant to people's
    logins, and an existing one keeps the login it has (one set by `tyndau bi` or by hand is not
    taken away by the next publish).
    """
    ident = sql.Identifier
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone()
    verb = "alter" if exists else "create"
    if password:
        conn.execute(
            sql.SQL("{} role {} login password {}").format(
                sql.SQL(verb), ident(READER_ROLE), sql.Literal(password)
            )
        )
    elif not exists:
        conn.execute(sql.SQL("create role {} nologin").format(ident(READER_ROLE)))
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
