"""Figure 1, landing: appeals per second from sandbox pages into ``raw``, split into fetch,
parse and load; the load against a bare ``COPY`` of the same rows (the physical limit) and
against dlt loading the same parsed records into the same Postgres (the peer).

The walk is the project's own (``DialogCrawler.crawl_blog``, full refresh, crawl delay 0), and
so are the parser (inside the walk) and the loader (``land_pages``, in batches of
``DEFAULT_BATCH_PAGES`` pages as ``land_dialog`` does). Fetch is timed inside the session, the
load around ``land_pages``; parse is the rest of the walk's time (the parser and the walk's own
bookkeeping). The sandbox serves from the same process: fetch includes its rendering.

The load writes each observation's row and its masked texts (``raw.dialog_masked_texts``), and
masks them first, in Python (``masking.masked_texts``, timed inside the load): the masking is
the transform's work done at landing, which neither reference does. So the load is compared
to ``COPY`` with the masking apart, and ``COPY`` writes the same rows of both tables.

Where the load's time goes, measured on the same rows: the masking, the Python part of building
the rows (canonical JSON, content hash), the loader's ``insert_new_rows`` with every row in one
batch, and COPY in one transaction per batch of the landing's size.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from benchmarks.env import ROOT, say
from ingestion.common.http import PoliteSession
from ingestion.common.ledger import start_load
from ingestion.common.raw import (
    insert_new_rows,
    landing_connection,
)
from ingestion.dialog import load as dialog_load
from ingestion.dialog.crawl import DialogCrawler
from ingestion.dialog.land import DEFAULT_BATCH_PAGES
from ingestion.dialog.load import (
    APPEAL_COLUMNS,
    MASKED_TEXTS,
    SOURCE,
    ObservedPage,
    appeal_row,
    ensure_raw_schema,
    land_pages,
    now,
)
from sandbox.dialog.lazy import build_lazy_scenario
from sandbox.dialog.render import CARDS_PER_PAGE
from sandbox.dialog.server import DialogSandbox, Knobs

DLT_SCRIPT = ROOT / "benchmarks" / "dlt" / "load_jsonl.py"
COPY_TABLE = "bench_copy.dialog_appeals"
#: what the load writes and COPY copies: raw's table, its columns, the reference's table
COPIED = (
    ("raw.dialog_appeals", APPEAL_COLUMNS, COPY_TABLE),
    (MASKED_TEXTS.qualified, MASKED_TEXTS.column_names, "bench_copy.dialog_masked_texts"),
)
COPY_FORMATS = ("text", "binary")
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no extension
_BINARY_TRAILER = b"\xff\xff"
ANNOTATIONS = ("blog_id", "source_url", "observed_at")  # what a JSON line adds to a record


class TimedSession(PoliteSession):
    """A PoliteSession that adds up the seconds spent fetching (waits, retries and checks of
    the body included)."""

    fetch_seconds = 0.0

    def fetch_text(self, url, validate=None):
        started = time.perf_counter()
        try:
            return super().fetch_text(url, validate)
        finally:
            self.fetch_seconds += time.perf_counter() - started


def run(warehouse_url: str, appeals: int, work_dir: Path, dlt_python: Path) -> dict:
    """Land ``appeals`` sandbox appeals; returns the figure."""
    records_file = work_dir / "landing-records.jsonl"
    scenario = build_lazy_scenario(appeals)
    with DialogSandbox(scenario, knobs=Knobs(crawl_delay=0)) as portal:
        timings = _crawl_and_land(warehouse_url, portal.base_url, scenario.blogs, records_file)
    rows = timings["rows"]
    timings["load_without_masking"] = timings["load"] - timings["load_masking"]
    steps = ("fetch", "parse", "load", "load_masking", "load_without_masking")
    result = {
        "appeals": rows,
        "pages": timings["pages"],
        "seconds": {k: round(timings[k], 3) for k in steps},
    }
    total = sum(timings[k] for k in ("fetch", "parse", "load"))
    result["seconds"]["total"] = round(total, 3)
    result["appeals_per_second"] = {
        "end_to_end": round(rows / total),
        "fetch": round(rows / timings["fetch"]),
        "parse": round(rows / timings["parse"]),
        "load": round(rows / timings["load"]),
        "load_without_masking": round(rows / timings["load_without_masking"]),
    }
    result["masking_microseconds_per_appeal"] = round(timings["load_masking"] / rows * 1e6, 1)
    # of the load, the part spent in Python building rows (canonical JSON, content hash)
    rows_built, building = rows_from_records(records_file)
    result["seconds"]["load_row_building"] = round(building, 3)
    result["load_in_one_batch"] = one_batch_load(warehouse_url, rows_built)
    del rows_built
    batch_rows = DEFAULT_BATCH_PAGES * CARDS_PER_PAGE
    copy = copy_reference(warehouse_url, batch_rows)
    result["copy"] = copy
    load_rate = result["appeals_per_second"]["load_without_masking"]
    result["load_with_masking_vs_copy"] = round(
        result["appeals_per_second"]["load"] / copy["rows_per_second"], 3
    )
    result["load_vs_copy"] = round(load_rate / copy["rows_per_second"], 3)
    result["load_vs_copy_by_format"] = {
        fmt: round(load_rate / c["one_stream"]["rows_per_second"], 3)
        for fmt, c in copy["by_format"].items()
    }
    result["load_vs_copy_in_batches"] = round(load_rate / copy["in_batches"]["rows_per_second"], 3)
    dlt = dlt_peer(dlt_python, warehouse_url, records_file)
    result["dlt"] = dlt
    result["load_vs_dlt"] = round(load_rate / dlt["rows_per_second"], 2)
    records_file.unlink(missing_ok=True)
    return result


def _crawl_and_land(warehouse_url: str, base_url: str, blogs, records_file: Path) -> dict:
    fetch = parse = load = 0.0
    pages = 0
    with (
        timed_masking() as masking,
        landing_connection(warehouse_url) as conn,  # the connection land_dialog lands with
        TimedSession(min_delay=0) as session,
        records_file.open("w", encoding="utf-8") as records,
    ):
        ensure_raw_schema(conn)
        load_id = start_load(conn, SOURCE)
        crawler = DialogCrawler(session, base_url)
        crawler.ensure_language()
        pending: list[ObservedPage] = []
        last_report = time.monotonic()

        def land() -> float:
            started = time.perf_counter()
            land_pages(conn, load_id, pending)
            pending.clear()
            return time.perf_counter() - started

        for blog in blogs:
            walk = crawler.crawl_blog(blog.blog_id)
            while True:
                fetched_before = session.fetch_seconds
                started = time.perf_counter()
                try:
                    url, page = next(walk)
                except StopIteration:
                    break
                walked = time.perf_counter() - started
                fetched = session.fetch_seconds - fetched_before
                fetch += fetched
                parse += walked - fetched
                observed = ObservedPage(blog.blog_id, url, page, now())
                pending.append(observed)
                _write_records(records, observed)  # for dlt: the same parsed records
                pages += 1
                if len(pending) >= DEFAULT_BATCH_PAGES:
                    load += land()
                if time.monotonic() - last_report > 10:
                    say(f"  landing: {pages} pages, blog {blog.blog_id}")
                    last_report = time.monotonic()
            if pending:
                load += land()
        rows = conn.execute("select count(*) from raw.dialog_appeals").fetchone()[0]
    return {
        **{"fetch": fetch, "parse": parse, "load": load, "load_masking": masking["seconds"]},
        **{"pages": pages, "rows": rows},
    }


@contextmanager
def timed_masking() -> Iterator[dict]:
    """The seconds the loader spends in ``masked_texts``, while inside (the loader calls it
    through its module, where this puts a timed wrapper)."""
    spent = {"seconds": 0.0}
    masked_texts = dialog_load.masked_texts

    def timed(payload):
        started = time.perf_counter()
        try:
            return masked_texts(payload)
        finally:
            spent["seconds"] += time.perf_counter() - started

    dialog_load.masked_texts = timed
    try:
        yield spent
    finally:
        dialog_load.masked_texts = masked_texts


def _write_records(out, observed: ObservedPage) -> None:
    for record in observed.page.cards:
        annotations = (observed.blog_id, observed.url, observed.observed_at.isoformat())
        line = dict(zip(ANNOTATIONS, annotations, strict=True)) | record
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def copy_reference(warehouse_url: str, batch_rows: int) -> dict:
    """``COPY`` of the very rows the load wrote (raw's appeals and their masked texts) into
    tables made like raw's (keys included), in both of COPY's formats: appeals/s in one stream
    per table (the physical limit) and in one transaction per ``batch_rows`` appeals with their
    masked texts (what a landing that commits every batch of pages could reach at most). The
    reference is the faster format."""
    by_format = {}
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("create schema if not exists bench_copy")
        for fmt in COPY_FORMATS:
            dumps = []
            for table, columns, _ in COPIED:
                dump = f"copy (select {', '.join(columns)} from {table}) to stdout (format {fmt})"
                with conn.cursor().copy(dump) as copy:
                    dumps.append(b"".join(bytes(chunk) for chunk in copy))
            # each batch: the appeals' stream and the masked texts' stream, one transaction
            batches = list(zip(*(_copy_batches(d, fmt, batch_rows) for d in dumps), strict=True))
            by_format[fmt] = {
                "megabytes": round(sum(map(len, dumps)) / 1e6, 1),
                "one_stream": _timed_copy(conn, [tuple(dumps)], fmt),
                "in_batches": {
                    "rows_per_batch": batch_rows,
                    **_timed_copy(conn, batches, fmt),
                },
            }
    fastest = max(by_format, key=lambda fmt: by_format[fmt]["one_stream"]["rows_per_second"])
    return {
        **by_format[fastest]["one_stream"],
        "format": fastest,
        "in_batches": by_format[fastest]["in_batches"],
        "by_format": by_format,
    }


def _copy_batches(data: bytes, fmt: str, batch_rows: int) -> Iterator[bytes]:
    """A COPY dump cut into streams of ``batch_rows`` rows each, prepared before the timing."""
    if fmt == "text":  # one line per row
        lines = data.splitlines(keepends=True)
        for start in range(0, len(lines), batch_rows):
            yield b"".join(lines[start : start + batch_rows])
        return
    rows, at = [], len(_BINARY_HEADER)
    assert data.startswith(_BINARY_HEADER) and data.endswith(_BINARY_TRAILER)
    while at < len(data) - len(_BINARY_TRAILER):  # each row: field count, then length + bytes
        start, fields = at, int.from_bytes(data[at : at + 2], "big")
        at += 2
        for _ in range(fields):
            length = int.from_bytes(data[at : at + 4], "big", signed=True)
            at += 4 + max(length, 0)
        rows.append(data[start:at])
    for start in range(0, len(rows), batch_rows):
        yield _BINARY_HEADER + b"".join(rows[start : start + batch_rows]) + _BINARY_TRAILER


def _timed_copy(conn: psycopg.Connection, batches: list[tuple[bytes, ...]], fmt: str) -> dict:
    """COPY the batches, one transaction each (a stream per table of COPIED, in its order), into
    fresh copies of raw's tables; rows and rates count the appeals."""
    statements = []
    for table, columns, copy_table in COPIED:
        conn.execute(f"drop table if exists {copy_table}")
        conn.execute(f"create table {copy_table} (like {table} including all)")
        statements.append(f"copy {copy_table} ({', '.join(columns)}) from stdin (format {fmt})")
    started = time.perf_counter()
    for streams in batches:
        with conn.transaction(), conn.cursor() as cur:
            for statement, stream in zip(statements, streams, strict=True):
                with cur.copy(statement) as copy:
                    for at in range(0, len(stream), 1 << 20):
                        copy.write(stream[at : at + (1 << 20)])
    seconds = time.perf_counter() - started
    rows = conn.execute(f"select count(*) from {COPY_TABLE}").fetchone()[0]
    masked = conn.execute(f"select count(*) from {COPIED[1][2]}").fetchone()[0]
    return {
        **{"rows": rows, "masked_texts_rows": masked, "seconds": round(seconds, 3)},
        "rows_per_second": round(rows / seconds),
    }


def rows_from_records(records_file: Path) -> tuple[list[tuple], float]:
    """raw's rows for the records, as the loader builds them, and the seconds spent in Python
    on what it computes per row (the canonical JSON and its hash)."""
    rows, seconds = [], 0.0
    load_id = uuid.uuid4()
    with records_file.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            blog_id, url, observed_at = (record.pop(k) for k in ANNOTATIONS)
            observed = ObservedPage(blog_id, url, None, dt.datetime.fromisoformat(observed_at))
            started = time.perf_counter()
            rows.append(appeal_row(load_id, observed, record))
            seconds += time.perf_counter() - started
    return rows, seconds


def one_batch_load(warehouse_url: str, rows: list[tuple]) -> dict:
    """The loader's ``insert_new_rows`` with every row in one batch, into an empty table (its
    fast path: COPY straight in): what the load costs without per-batch commits."""
    with landing_connection(warehouse_url) as conn:
        conn.execute("create schema if not exists bench_copy")
        conn.execute(f"drop table if exists {COPY_TABLE}")
        conn.execute(f"create table {COPY_TABLE} (like raw.dialog_appeals including all)")
        started = time.perf_counter()
        inserted = insert_new_rows(conn, COPY_TABLE, APPEAL_COLUMNS, rows)
        seconds = time.perf_counter() - started
    return {
        "rows": inserted,
        "seconds": round(seconds, 3),
        "rows_per_second": round(inserted / seconds),
    }


def dlt_peer(dlt_python: Path, warehouse_url: str, records_file: Path) -> dict:
    """dlt, in its own environment, loading the same records into the same Postgres."""
    say("  dlt: loading the same records")
    out = subprocess.run(
        [str(dlt_python), str(DLT_SCRIPT), warehouse_url, str(records_file), uuid.uuid4().hex[:8]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the dlt peer failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
