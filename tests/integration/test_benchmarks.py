"""The benchmark harness at a tiny scale: every figure is in the results file, with sane values.

Speed is what the benchmarks measure (``make bench``), not what this test checks: it runs the
real harness (its own embedded Postgres, the sandbox, dbt, dlt in its own environment) in
seconds and checks that the figures hang together.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DLT_VENV = ROOT / ".tyndau" / "bench" / "dlt-venv"


def test_the_tiny_benchmark_writes_every_figure(tmp_path):
    # dlt's own environment, as make bench makes it (a no-op when it is up to date)
    # (the target as the Makefile names it: relative to the project)
    target = DLT_VENV.relative_to(ROOT) / ".synced"
    subprocess.run(["make", "-s", str(target)], cwd=ROOT, check=True)
    results_dir = tmp_path / "results"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--tiny",
            "--state-dir",
            str(tmp_path / "state"),
            "--dlt-venv",
            str(DLT_VENV),
            "--results-dir",
            str(results_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((results_dir / "tiny.json").read_text())
    markdown = (results_dir / "tiny.md").read_text()

    machine = results["machine"]
    assert machine["cores"] >= 1 and machine["ram_gb"] > 0 and machine["postgres"].startswith("16")
    headings = ("1. Landing", "2. Transform", "3. Serving", "4. Memory", "5. Politeness")
    for heading in (*headings, "6. Parsing"):
        assert heading in markdown
    assert machine["cpu"] in markdown and results["command"] in markdown

    # 1. landing: the same rows through every path
    landing = results["landing"]
    appeals = landing["appeals"]
    assert 900 <= appeals <= 1100 and landing["pages"] >= appeals / 10
    assert all(landing["seconds"][step] > 0 for step in ("fetch", "parse", "load"))
    assert landing["copy"]["rows"] == landing["copy"]["in_batches"]["rows"] == appeals
    copy_by_format = landing["copy"]["by_format"]
    assert {
        (fmt, streams["one_stream"]["rows"], streams["in_batches"]["rows"])
        for fmt, streams in copy_by_format.items()
    } == {("text", appeals, appeals), ("binary", appeals, appeals)}
    # the reference is the faster of COPY's formats
    fastest = max(copy_by_format.values(), key=lambda c: c["one_stream"]["rows_per_second"])
    assert landing["copy"]["rows_per_second"] == fastest["one_stream"]["rows_per_second"]
    assert landing["load_in_one_batch"]["rows"] == appeals
    assert 0 < landing["seconds"]["load_row_building"] < landing["seconds"]["load"]
    assert {f: d["rows"] for f, d in landing["dlt"]["by_format"].items()} == {
        "insert_values": appeals,
        "csv": appeals,
    }
    # the masking is timed inside the load, and the load is judged without it against COPY of
    # both tables it writes (the appeals and their masked texts)
    seconds = landing["seconds"]
    assert 0 < seconds["load_masking"] < seconds["load"]
    assert seconds["load_without_masking"] == pytest.approx(
        seconds["load"] - seconds["load_masking"], abs=0.002
    )
    assert landing["copy"]["masked_texts_rows"] == appeals
    rate = landing["appeals_per_second"]["load_without_masking"]
    assert landing["load_vs_copy"] == round(rate / landing["copy"]["rows_per_second"], 3)
    assert abs(rate - appeals / seconds["load_without_masking"]) < 0.01 * rate  # rounded
    with_masking = landing["appeals_per_second"]["load"]
    assert landing["load_with_masking_vs_copy"] < landing["load_vs_copy"]
    assert with_masking == pytest.approx(appeals / seconds["load"], rel=0.01)

    # 2. transform: the marts hold the history and the day's new appeals
    (scale,) = results["transform"]["by_scale"]
    assert scale["appeals"] == 3000 and scale["day_rows"] >= 2
    assert scale["day_appeals_in_marts"] == scale["day_rows"] // 2  # as many new as changed
    assert scale["fct_appeals_rows"] > scale["appeals"]
    assert scale["seconds"]["full"] >= scale["seconds"]["build"] > 0
    assert 0 < scale["seconds"]["staging"] < scale["seconds"]["build"]
    assert 0 < scale["incremental_vs_full"] < 5
    slowest = scale["slowest_nodes"]["full"]
    assert len(slowest) == 5 and slowest[0]["seconds"] >= slowest[-1]["seconds"] >= 0

    # 3. serving: on those marts
    serving = results["serving"]
    assert serving["fct_appeals_rows"] == scale["fct_appeals_rows"]
    for query in ("ranking", "filtered"):
        figure = serving[query]
        assert 0 < figure["p50_ms"] <= figure["p95_ms"] <= figure["max_ms"]
        assert figure["rows_returned"] > 0
    assert any("fct_appeals" in line for line in serving["filtered"]["plan"])
    assert serving["ranking"]["rows_returned"] <= 20  # one row per region

    # 4. memory: two sizes, both runs, a real process's size
    memory = results["memory"]
    assert [s["appeals"] for s in memory["by_size"]] == [500, 1500]
    for size in memory["by_size"]:
        first, daily = size["first_run"], size["daily_run"]
        assert first["cards_seen"] >= size["appeals"] - 30 and first["rows_inserted"] > 0
        assert daily["rows_inserted"] == 0  # the portal did not change
        assert 20 < first["peak_rss_mb"] < 2000 and 20 < daily["peak_rss_mb"] < 2000

    # 5. politeness: at least the minimum, far fewer than a full crawl
    politeness = results["politeness"]
    assert politeness["minimum_requests"] >= 2 + politeness["blogs"]
    assert politeness["minimum_requests"] <= politeness["daily_run_requests"]
    assert politeness["daily_run_requests"] < politeness["full_run_requests"]

    # 6. parsing: the landing's pages, the parser beside its reference (which agreed on them)
    parsing = results["parsing"]
    assert parsing["pages"] >= parsing["cards"] / 10 and 900 <= parsing["cards"] <= 1100
    seconds = parsing["seconds"]
    assert seconds["parser"] > 0 and seconds["reference"] > 0
    expected = round(seconds["reference"] / seconds["parser"], 2)
    assert abs(parsing["parser_vs_reference"] - expected) <= 0.02  # seconds are rounded

    # every target judged on a measured value, but those of the 10M appeals, shown
    # and not judged at 3,000; the demo's build is not in the tiny run
    targets = results["targets"]
    at_ten_million = [t for t in targets if "at 10M" in t["measure"]]
    demo = [t for t in targets if t["figure"] == "demo_build"]
    judged = [t for t in targets if t not in at_ten_million + demo]
    assert len(targets) == 12 and len(at_ten_million) == 4 and len(judged) == 7
    assert all(t["value"] is not None and t["met"] in (True, False) for t in judged)
    assert all(
        t["value"] is not None and t["met"] is None and t["why"].startswith("not at 10M (at 3,")
        for t in at_ten_million
    )
    assert [(t["value"], t["met"], t["why"]) for t in demo] == [(None, None, "not measured")]
    assert "not at 10M (at 3,000)" in markdown


def test_generated_history_spans_six_years_whatever_the_chunks(fresh_database):
    """The scale data is generated in chunks (progress lines); each chunk continues the dates."""
    from benchmarks import transform
    from tyndau.warehouse.raw import ensure_raw_tables

    ensure_raw_tables(fresh_database)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        templates = transform.load_templates(conn)
        transform.generate(conn, 3000, templates, chunk=1000)
        years = conn.execute(
            "select extract(year from (payload ->> 'submitted_on')::date) as year, count(*)"
            " from raw.dialog_appeals group by 1 order by 1"
        ).fetchall()
    assert [int(year) for year, _ in years] == list(range(2015, 2021))
    assert min(count for _, count in years) >= 3000 // 6 - 10  # evenly spread
