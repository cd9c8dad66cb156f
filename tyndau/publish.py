"""Publishing: the candidate marts that passed the quality gate replace the published ones.

dbt builds marts into `marts_candidate`; only after Great Expectations passes does this swap it
in as `marts`, in one transaction, so readers see either the last good marts or the new ones,
never a half-built or failing set.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from tyndau.warehouse import READER_ROLE, ensure_reader_role

CANDIDATE_SCHEMA = "marts_candidate"
PUBLISHED_SCHEMA = "marts"
PREVIOUS_SCHEMA = "marts_previous"


def _schema_exists(conn: psycopg.Connection, name: str) -> bool:
    return bool(conn.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchone())


def publish_marts(warehouse_url: str, reader_password: str | None = None) -> list[str]:
    """Swap the candidate schema in as `marts`; keep the replaced one as `marts_previous`.

    Returns the names of the published tables.
    """
    ident = sql.Identifier
    with psycopg.connect(warehouse_url) as conn:
        if not _schema_exists(conn, CANDIDATE_SCHEMA):
            raise RuntimeError(f"nothing to publish: schema {CANDIDATE_SCHEMA} does not exist")
        ensure_reader_role(conn, reader_password)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(ident(PREVIOUS_SCHEMA)))
        if _schema_exists(conn, PUBLISHED_SCHEMA):
            conn.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    ident(PUBLISHED_SCHEMA), ident(PREVIOUS_SCHEMA)
                )
            )
            # the kept copy is for operators rolling back, not for analysts
            conn.execute(
                sql.SQL("revoke all on schema {} from {}").format(
                    ident(PREVIOUS_SCHEMA), ident(READER_ROLE)
                )
            )
        conn.execute(
            sql.SQL("alter schema {} rename to {}").format(
                ident(CANDIDATE_SCHEMA), ident(PUBLISHED_SCHEMA)
            )
        )
        for stmt in (
            "grant usage on schema {schema} to {role}",
            "grant select on all tables in schema {schema} to {role}",
        ):
            conn.execute(
                sql.SQL(stmt).format(schema=ident(PUBLISHED_SCHEMA), role=ident(READER_ROLE))
            )
        tables = conn.execute(
            "select tablename from pg_tables where schemaname = %s order by 1", [PUBLISHED_SCHEMA]
        ).fetchall()
    return [t for (t,) in tables]
