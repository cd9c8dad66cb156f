"""Land parsed complaint reports in ``raw``: one row per file, its figure rows, its topic rows.

Append-only. A file is known by the sha256 of its bytes (``raw.complaints_report_files``'s
primary key): landing the same file again adds no rows. Every time a file is taken from the
inbox, landed or known, ``raw.complaints_arrivals`` records its arrival. Per period + body, the
file that arrived last is in force, with all of its rows for that period and body (staging
takes the same): a correction replaces the whole slice, rows it lacks included, while raw keeps
both; dropping an earlier file again puts it back in force. :func:`replacements` says which
figures a file replaces.

One transaction per file: its file row and all of its rows land together, or nothing does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ingestion.common.raw import canonical_json, ensure_raw_tables, insert_new_rows, raw_row
from ingestion.complaints import columns as col
from ingestion.complaints.parse import Report
from ingestion.complaints.tables import RAW_TABLES, REPORT_FILES, ROWS, TOPICS

SOURCE = "complaints"


@dataclass
class LandedFile:
    """What landing one file did."""

    source_file: str
    content_hash: str
    kind: str
    rows_inserted: int = 0
    #: earlier figures this file replaces: one entry per period + body (see ``replacements``)
    replaced: list[dict[str, Any]] = field(default_factory=list)


class AlreadyLanded(Exception):
    """The file's content hash is already in raw (e.g. a concurrent run landed it first)."""


def ensure_raw_schema(conn: psycopg.Connection) -> None:
    """Create the raw schema, the ledger and the complaints tables, if missing (idempotent)."""
    ensure_raw_tables(conn, RAW_TABLES)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_known_file(conn: psycopg.Connection, file_hash: str) -> bool:
    row = conn.execute(
        "select 1 from raw.complaints_report_files where content_hash = %s", (file_hash,)
    ).fetchone()
    return row is not None


def land_report(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    report: Report,
    *,
    source_file: str,
    file_hash: str,
    observed_at: dt.datetime | None = None,
) -> LandedFile:
    """Land one parsed file in one transaction; raises AlreadyLanded if its hash is known."""
    observed_at = observed_at or now()
    landed = LandedFile(source_file=source_file, content_hash=file_hash, kind=report.kind)
    payload = report.describe()
    file_row = (
        load_id,
        observed_at,
        source_file,
        file_hash,
        report.kind,
        canonical_json(payload),
    )
    with conn.transaction():
        if not insert_new_rows(conn, REPORT_FILES.qualified, REPORT_FILES.column_names, [file_row]):
            raise AlreadyLanded(file_hash)  # rolls the transaction back
        landed.replaced = replacements(conn, report, file_hash)
        record_arrival(conn, load_id, file_hash, source_file, observed_at)
        table, last_key = (
            (ROWS, "applicant_type") if report.kind == col.FIGURES else (TOPICS, "topic")
        )
        rows = [
            raw_row(
                load_id,
                observed_at,
                source_file,
                record,
                file_hash,  # the key: file, period, body and the last key column
                record["period"],
                record["gov_body_code"],
                record[last_key],
            )
            for record in report.rows
        ]
        landed.rows_inserted = insert_new_rows(conn, table.qualified, table.column_names, rows)
    return landed


def record_arrival(
    conn: psycopg.Connection,
    load_id: uuid.UUID,
    file_hash: str,
    source_file: str,
    arrived_at: dt.datetime | None = None,
) -> None:
    """Record that a file was taken from the inbox: the latest arrival is in force."""
    conn.execute(
        "insert into raw.complaints_arrivals (load_id, arrived_at, source_file, file_hash) "
        "values (%s, %s, %s, %s) on conflict do nothing",
        (load_id, arrived_at or now(), source_file, file_hash),
    )


def known_report(conn: psycopg.Connection, file_hash: str) -> Report:
    """A landed file's rows as raw holds them (to tell what dropping it again replaces)."""
    (kind,) = conn.execute(
        "select report_kind from raw.complaints_report_files where content_hash = %s",
        (file_hash,),
    ).fetchone()
    table = "raw.complaints_rows" if kind == col.FIGURES else "raw.complaints_topics"
    rows = conn.execute(f"select payload from {table} where file_hash = %s", (file_hash,))
    return Report(kind=kind, file_format="", header_line=0, rows=[r for (r,) in rows])


#: Per period + body of the given ones, the file in force: the one that arrived last (a file
#: landed before arrivals were recorded arrived when it landed; ties go by hash). As staging.
_IN_FORCE = """
with arrivals as (
    select file_hash, max(arrived_at) as arrived_at from raw.complaints_arrivals group by 1
), slices as (
    select distinct period, gov_body_code, file_hash, source_file, observed_at from {table}
    where (period, gov_body_code) in (select * from unnest(%s::text[], %s::text[]))
), in_force as (
    select distinct on (period, gov_body_code) period, gov_body_code, file_hash, source_file
    from slices left join arrivals using (file_hash)
    order by period, gov_body_code, coalesce(arrivals.arrived_at, slices.observed_at) desc,
        file_hash
)
select f.period, f.gov_body_code, f.file_hash, f.source_file, t.{key}, t.payload
from in_force f join {table} t using (file_hash, period, gov_body_code)
"""


def replacements(
    conn: psycopg.Connection, report: Report, file_hash: str | None = None
) -> list[dict[str, Any]]:
    """What this file replaces, for each period + body it reports that another file is in
    force for: that file, which figures change (figures: ``"received/individual"``, …;
    topics: the topics whose count changes), and which rows it drops (applicant types or
    topics the earlier file had and this one has not: they no longer count)."""
    keys = sorted({(row["period"], row["gov_body_code"]) for row in report.rows})
    if not keys:
        return []
    periods, bodies = [list(k) for k in zip(*keys, strict=True)]
    figures = report.kind == col.FIGURES
    table, key = (
        ("raw.complaints_rows", "applicant_type")
        if figures
        else (
            "raw.complaints_topics",
            "topic",
        )
    )
    previous = conn.execute(_IN_FORCE.format(table=table, key=key), (periods, bodies))
    old: dict[tuple[str, str], dict[str, dict]] = {}
    files: dict[tuple[str, str], str] = {}
    for period, body, in_force, source_file, last_key, payload in previous:
        if in_force != file_hash:  # already in force: it replaces nothing there
            old.setdefault((period, body), {})[last_key] = payload
            files[(period, body)] = source_file
    new: dict[tuple[str, str], dict[str, dict]] = {}
    for row in report.rows:
        new.setdefault((row["period"], row["gov_body_code"]), {})[row[key]] = row
    entries = []
    for slice_key in sorted(old):
        before, after = old[slice_key], new[slice_key]
        if figures:
            changed = [
                f"{name}/{applicant}"
                for applicant in sorted(before.keys() & after.keys())
                for name in col.FIGURE_COUNTS
                if before[applicant].get(name) != after[applicant][name]
            ]
        else:
            changed = sorted(
                topic
                for topic in before.keys() | after.keys()
                if (before.get(topic) or {}).get("justified_complaints")
                != (after.get(topic) or {}).get("justified_complaints")
            )
        entries.append(
            {
                "period": slice_key[0],
                "gov_body_code": slice_key[1],
                "replaced_files": [files[slice_key]],
                "changed": changed,
                "dropped": sorted(before.keys() - after.keys()),
            }
        )
    return entries
