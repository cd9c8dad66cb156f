"""dlt loading parsed appeal records (JSON lines) into Postgres: the peer of figure 1.

Runs in dlt's own environment (benchmarks/dlt/requirements.txt), not tyndau's:

    .tyndau/bench/dlt-venv/bin/python benchmarks/dlt/load_jsonl.py URL RECORDS.jsonl SUFFIX

For each of dlt's two loader file formats for Postgres (``insert_values``, its default, and
``csv``, which loads with COPY), a fresh dataset gets the records with ``write_disposition=
"append"``; extract, normalize and load are timed apart. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from urllib.parse import parse_qs, unquote, urlsplit

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import dlt  # noqa: E402 - after the telemetry switch


def records(path: str):
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def credentials(url: str) -> dict:
    """dlt wants a host name; a Unix-socket directory rides in the query (libpq's ``host``
    parameter wins over the URL's host)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return {
        "database": unquote(parts.path.lstrip("/")),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "query": query,
    }


def load(url: str, path: str, dataset: str, file_format: str) -> dict:
    pipeline = dlt.pipeline(
        pipeline_name=f"tyndau_bench_{dataset}",
        pipelines_dir=tempfile.mkdtemp(prefix="dlt-bench-"),
        destination=dlt.destinations.postgres(credentials=credentials(url)),
        dataset_name=dataset,
    )
    seconds = {}
    started = time.perf_counter()
    pipeline.extract(
        records(path),
        table_name="dialog_appeals",
        write_disposition="append",
        loader_file_format=file_format,
    )
    seconds["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    pipeline.normalize()
    seconds["normalize"] = time.perf_counter() - started
    started = time.perf_counter()
    pipeline.load()
    seconds["load"] = time.perf_counter() - started
    with pipeline.sql_client() as client:
        rows = client.execute_sql(f"select count(*) from {dataset}.dialog_appeals")[0][0]
    total = sum(seconds.values())
    return {
        "rows": rows,
        "seconds": {k: round(v, 3) for k, v in seconds.items()} | {"total": round(total, 3)},
        "rows_per_second": round(rows / total),
    }


def main(url: str, path: str, suffix: str) -> None:
    by_format = {
        fmt: load(url, path, f"dlt_{fmt}_{suffix}", fmt) for fmt in ("insert_values", "csv")
    }
    best = max(by_format, key=lambda fmt: by_format[fmt]["rows_per_second"])
    print(
        json.dumps(
            {
                "version": dlt.__version__,
                "write_disposition": "append",
                "by_format": by_format,
                "fastest_format": best,
                "rows_per_second": by_format[best]["rows_per_second"],
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
