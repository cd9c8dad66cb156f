"""Land parsed complaint reports in ``raw``: one row per file, its figure rows, its topic rows.

Append-only. A file is known by the sha256 of its bytes (``raw.complaints_report_files``'s
primary key): landing the same file again adds nothing. A corrected file for a period and body
adds rows of its own; staging takes, per period + body + applicant type (topics: per period +
body), the figures of the most recently landed file, so the correction replaces the earlier
figures while raw keeps both. :func:`land_report` says which earlier figures a file replaces.

One transaction per file: its file row and all of its rows land together, or nothing does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ingestion.common.ledger import LEDGER_DDL, run_ddl
from ingestion.common.raw import canonical_json, insert_new_rows, raw_row
from ingestion.complaints import columns as col
from ingestion.complaints.parse import Report

SOURCE = "complaints"

COMPLAINTS_DDL = (
    "create table if not exists raw.complaints_report_files (load_id uuid not null, "
    "observed_at timestamptz not null, source_file text not null, content_hash text not null, "
    "report_kind text not null, payload jsonb not null, primary key (content_hash))",
    "create table if not exists raw.complaints_rows (load_id uuid not null, observed_at "
    "timestamptz not null, source_file text not null, content_hash text not null, file_hash "
    "text not null, period text not null, gov_body_code text not null, applicant_type text not "
    "null, payload jsonb not null, primary key (file_hash, period, gov_body_code, "
    "applicant_type))",
    "create table if not exists raw.complaints_topics (load_id uuid not null, observed_at "
    "timestamptz not null, source_file text not null, content_hash text not null, file_hash "
    "text not null, period text not null, gov_body_code text not null, topic text not null, "
    "payload jsonb not null, primary key (file_hash, period, gov_body_code, topic))",
    "create index if not exists complaints_rows_by_key on raw.complaints_rows "
    "(period, gov_body_code, applicant_type, observed_at)",
    "create index if not exists complaints_topics_by_key on raw.complaints_topics "
    "(period, gov_body_code, observed_at)",
)

FILE_COLUMNS = ("load_id", "observed_at", "source_file", "content_hash", "report_kind", "payload")
ROW_COLUMNS = (
    "load_id",
    "observed_at",
    "source_file",
    "content_hash",
    "file_hash",
    "period",
    "gov_body_code",
    "applicant_type",
    "payload",
)
TOPIC_COLUMNS = (
    "load_id",
    "observed_at",
    "source_file",
    "content_hash",
    "file_hash",
    "period",
    "gov_body_code",
    "topic",
    "payload",
)


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
    run_ddl(conn, LEDGER_DDL + COMPLAINTS_DDL)


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
        if not insert_new_rows(conn, "raw.complaints_report_files", FILE_COLUMNS, [file_row]):
            raise AlreadyLanded(file_hash)  # rolls the transaction back
        landed.replaced = replacements(conn, report)
        if report.kind == col.FIGURES:
            table, columns, last_key = "raw.complaints_rows", ROW_COLUMNS, "applicant_type"
        else:
            table, columns, last_key = "raw.complaints_topics", TOPIC_COLUMNS, "topic"
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
        landed.rows_inserted = insert_new_rows(conn, table, columns, rows)
    return landed


def replacements(conn: psycopg.Connection, report: Report) -> list[dict[str, Any]]:
    """The figures in force before this file, for each period + body it reports again.

    One entry per period + body already reported by an earlier file: that file, and which
    figures change (figure report: ``"received/individual"``, …; topic report: the topics).
    """
    keys = sorted({(row["period"], row["gov_body_code"]) for row in report.rows})
    if not keys:
        return []
    periods, bodies = [list(k) for k in zip(*keys, strict=True)]
    if report.kind == col.FIGURES:
        # in force = the latest landed row per period + body + applicant type (as staging)
        previous = conn.execute(
            "select distinct on (period, gov_body_code, applicant_type) period, gov_body_code, "
            "applicant_type, source_file, payload from raw.complaints_rows "
            "where (period, gov_body_code) in (select * from unnest(%s::text[], %s::text[])) "
            "order by period, gov_body_code, applicant_type, observed_at desc, file_hash",
            (periods, bodies),
        ).fetchall()
        new = {(r["period"], r["gov_body_code"], r["applicant_type"]): r for r in report.rows}
        entries: dict[tuple[str, str], dict[str, Any]] = {}
        for period, body, applicant, source_file, payload in previous:
            entry = entries.setdefault(
                (period, body),
                {"period": period, "gov_body_code": body, "replaced_files": [], "changed": []},
            )
            if source_file not in entry["replaced_files"]:
                entry["replaced_files"].append(source_file)
            record = new.get((period, body, applicant))
            if record is None:
                continue  # not restated: the earlier figures stay in force for this type
            entry["changed"] += [
                f"{name}/{applicant}"
                for name in col.FIGURE_COUNTS
                if payload.get(name) != record[name]
            ]
        return [entries[key] for key in sorted(entries)]
    # topics: the latest file per period + body is in force, with all of its topics
    previous = conn.execute(
        "with latest as (select distinct on (period, gov_body_code) period, gov_body_code, "
        "file_hash, source_file from raw.complaints_topics "
        "where (period, gov_body_code) in (select * from unnest(%s::text[], %s::text[])) "
        "order by period, gov_body_code, observed_at desc, file_hash) "
        "select l.period, l.gov_body_code, l.source_file, t.topic, t.payload "
        "from latest l join raw.complaints_topics t using (file_hash, period, gov_body_code) "
        "order by 1, 2, 4",
        (periods, bodies),
    ).fetchall()
    new_topics: dict[tuple[str, str], dict[str, int]] = {}
    for row in report.rows:
        new_topics.setdefault((row["period"], row["gov_body_code"]), {})[row["topic"]] = row[
            "justified_complaints"
        ]
    old_topics: dict[tuple[str, str], dict[str, int]] = {}
    files: dict[tuple[str, str], str] = {}
    for period, body, source_file, topic, payload in previous:
        old_topics.setdefault((period, body), {})[topic] = payload["justified_complaints"]
        files[(period, body)] = source_file
    return [
        {
            "period": key[0],
            "gov_body_code": key[1],
            "replaced_files": [files[key]],
            "changed": sorted(
                topic
                for topic in old_topics[key].keys() | new_topics[key].keys()
                if old_topics[key].get(topic) != new_topics[key].get(topic)
            ),
        }
        for key in sorted(old_topics)
    ]
