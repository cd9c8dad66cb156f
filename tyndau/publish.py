"""Publishing: the candidate marts that passed the quality gate replace the published ones.

dbt builds marts into `marts_candidate`; only after Great Expectations passes does this swap it
in as `marts`, in one transaction, so readers see either the last good marts or the new ones,
never a half-built or failing set. The replaced marts become the next candidate: the next
build brings them up to date incrementally (fct_appeals) instead of building every table anew,
and until it starts they are the previous marts, for a rollback (publish again to swap back).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from tyndau.settings import DEFAULT_READER_STATEMENT_TIMEOUT
from tyndau.warehouse.roles import READER_ROLE, ensure_reader_role

CANDIDATE_SCHEMA = "marts_candidate"
PUBLISHED_SCHEMA = "marts"
SWAP_SCHEMA = "marts_swap"
#: the advisory lock a publish holds until it commits. warehouse_build's max_active_runs=1 keeps
#: one build at a time under one Airflow (however many schedulers and workers); this keeps two
#: publishes apart whatever runs them (a `tyndau run` beside a cluster's build): the second
#: waits, then sees the first's swap done
PUBLISH_LOCK = 7_468_331  # any constant of ours


def _schema_exists(conn: psycopg.Connection, name: str) -> bool:
    return bool(conn.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchone())


def publish_marts(
    warehouse_url: str,
    reader_password: str | None = None,
    reader_statement_timeout: str = DEFAULT_READER_STATEMENT_TIMEOUT,
) -> list[str]:
    """Swap the candidate schema in as `marts`, and the replaced `marts` in as the candidate;
    confine the analysts' role to them (`ensure_reader_role`).

    Returns the names of the published tables.
    """
    ident = sql.Identifier

    def rename(old: str, new: str) -> None:
        conn.execute(sql.SQL("alter schema {} rename to {}").format(ident(old), ident(new)))

    with psycopg.connect(warehouse_url) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        if not _schema_exists(conn, CANDIDATE_SCHEMA):
            raise RuntimeError(f"nothing to publish: schema {CANDIDATE_SCHEMA} does not exist")
        ensure_reader_role(conn, reader_password, reader_statement_timeout)
        previous = _schema_exists(conn, PUBLISHED_SCHEMA)
        if previous:
            rename(PUBLISHED_SCHEMA, SWAP_SCHEMA)
        rename(CANDIDATE_SCHEMA, PUBLISHED_SCHEMA)
        if previous:
            rename(SWAP_SCHEMA, CANDIDATE_SCHEMA)
            # the candidate is for dbt and operators, not for analysts
            conn.execute(
                sql.SQL("revoke all on schema {} from {}").format(
                    ident(CANDIDATE_SCHEMA), ident(READER_ROLE)
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
