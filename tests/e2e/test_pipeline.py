"""The whole pipeline through the real Airflow DAGs (`dag.test()`), against the sandbox portal.

Checks the published ranking against docs/calibration.md row by row, that a second run changes no
mart, that the analysts' role reads marts and nothing else, and that a failing build leaves the
published marts untouched.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from sandbox.dialog.scenario import build_scenario, personal_data
from tyndau.demo import HEADLINE_COMPLAINTS_YEAR, HEADLINE_OPENDATA_AS_OF
from tyndau.headlines import complaints, opendata
from tyndau.pipeline import PipelineError, run_pipeline
from tyndau.warehouse.roles import READER_ROLE
from tyndau.warehouse.url import make_url, url_parts

CALIBRATION = Path(__file__).parent.parent / "fixtures" / "calibration_akimat_ranking.csv"


def test_every_dag_succeeds(pipeline):
    _, _, result = pipeline
    assert [r["dag_id"] for r in result.dag_results] == [
        "dialog_ingest",
        "opendata_ingest",
        "complaints_ingest",
        "warehouse_build",
    ]
    assert all(r["state"] == "success" for r in result.dag_results)


def test_the_build_parses_the_dbt_project_once(pipeline):
    """Cosmos's `dbt ls` parses the project when the DAG is loaded; the freshness check and the
    `dbt build` start from that parse instead of parsing it again (~9 s each)."""
    _, _, result = pipeline
    log = result.log_file.read_text()
    build = log[log.index("starting task_id=source_freshness") :]
    assert len(re.findall(r"Found \d+ models", build)) >= 2  # both dbt commands parsed here
    assert "Unable to do partial parsing" not in build


def test_gx_info_lines_stay_out_of_the_task_logs(pipeline):
    """GX's own info chatter (~300 lines a run) would bury the gates' summaries."""
    _, _, result = pipeline
    log = result.log_file.read_text()
    assert "GX marts_gate: passed" in log
    assert "Skipping registering function" not in log


def test_the_other_sources_headlines(pipeline):
    _, url, _ = pipeline
    # the lines the demo prints: the calibrated year, not the later scenario years
    assert opendata.headline(url, HEADLINE_OPENDATA_AS_OF).startswith(
        "Open data: 2,100 datasets at 2017-12-31 (1,900 a year before, +10.5%); 70.0% up to date"
    )
    lines = complaints.headline(url, HEADLINE_COMPLAINTS_YEAR).splitlines()
    assert lines[0].startswith("2017: 1.7 million complaints and applications")
    assert lines[1] == (
        "Deadline violations: 2,400 (1,500 by central bodies, 900 by akimats),"
        " down from 6,300 in 2016."
    )


def test_ranking_matches_calibration_row_by_row(pipeline):
    _, url, _ = pipeline
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select region_kato, region_name_ru, appeals, answered, answer_rate, answer_rank,"
            " rated_answers, unsatisfied, unsatisfied_share, satisfaction_rank"
            " from marts.akimat_ranking order by answer_rank"
        ).fetchall()
    expected = list(csv.DictReader(CALIBRATION.open(encoding="utf-8")))
    assert len(rows) == len(expected) == 20
    for got, want in zip(rows, expected, strict=True):
        kato, name, appeals, answered, rate, rank, rated, unsat, share, sat_rank = got
        assert (kato, name) == (want["region_kato"], want["region_name_ru"])
        assert (appeals, answered, rank) == (
            int(want["appeals"]),
            int(want["answered"]),
            int(want["answer_rank"]),
        ), kato
        assert round(rate * 100, 2) == Decimal(want["answer_rate_pct"]), kato
        assert (rated, unsat, sat_rank) == (
            int(want["rated_answers"]),
            int(want["unsatisfied"]),
            int(want["satisfaction_rank"]),
        ), kato
        assert round(share * 100, 2) == Decimal(want["unsatisfied_share_pct"]), kato


def test_totals_and_ministries(pipeline):
    _, url, _ = pipeline
    with psycopg.connect(url) as conn:
        appeals, answered, rated, unsat = conn.execute(
            "select sum(appeals), sum(answered), sum(rated_answers), sum(unsatisfied)"
            " from marts.akimat_ranking"
        ).fetchone()
        ministries_ranked = conn.execute(
            "select count(*) from marts.akimat_ranking r join marts.dim_gov_bodies b"
            " on b.gov_body_name_ru = r.akimat_name_ru where b.body_type <> 'akimat'"
        ).fetchone()[0]
        ministry_appeals = conn.execute(
            "select b.gov_body_code, count(*) from marts.fct_appeals f"
            " join marts.dim_gov_bodies b using (gov_body_code)"
            " where b.body_type = 'ministry' group by 1"
        ).fetchall()
    assert (appeals, answered, rated, unsat) == (28000, 25032, 3041, 1259)
    assert ministries_ranked == 0
    assert dict(ministry_appeals) == {
        "MVD": 3425,
        "MTSZN": 3285,
        "MF": 2975,
        "MZ": 2000,
        "ME": 405,
        "MCHS": 75,
    }


def _staging_table_oid(url: str) -> int:
    """Postgres' id of the staged appeals table: kept by an incremental build, new after a
    full refresh (which recreates the table)."""
    with psycopg.connect(url) as conn:
        return conn.execute("select 'staging.stg_dialog__appeals'::regclass::oid").fetchone()[0]


def test_second_run_leaves_marts_unchanged(pipeline, marts_fingerprint):
    settings, url, _ = pipeline
    before = marts_fingerprint(url)
    staging_table = _staging_table_oid(url)
    with psycopg.connect(url) as conn:
        raw_before = conn.execute("select count(*) from raw.dialog_appeals").fetchone()[0]
    run_pipeline(settings, url)
    with psycopg.connect(url) as conn:
        raw_after = conn.execute("select count(*) from raw.dialog_appeals").fetchone()[0]
        ledger = conn.execute(
            "select count(*), count(*) filter (where status = 'succeeded')"
            " from raw.load_ledger where source = 'dialog'"
        ).fetchone()
    assert raw_after == raw_before
    assert ledger[0] >= 2 and ledger[0] == ledger[1]
    assert marts_fingerprint(url) == before
    assert _staging_table_oid(url) == staging_table  # the build was incremental

    # the DAG's full_refresh param reaches dbt: the tables are rebuilt, the marts the same
    run_pipeline(settings, url, ["warehouse_build"], conf={"full_refresh": True})
    assert _staging_table_oid(url) != staging_table
    assert marts_fingerprint(url) == before


def test_reader_role_reads_marts_and_nothing_else(pipeline):
    settings, url, _ = pipeline
    login = {"user": READER_ROLE, "password": settings.reader_password}
    reader = make_url(**(url_parts(url) | login))
    with psycopg.connect(reader) as conn:
        assert conn.execute("select count(*) from marts.akimat_ranking").fetchone()[0] == 20
    for relation in (
        "raw.dialog_appeals",
        "staging.stg_dialog__appeals",
        "intermediate.int_appeals__enriched",
    ):
        with psycopg.connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {relation} limit 1")


def test_failing_build_keeps_last_good_marts(pipeline, marts_fingerprint, corrupt_observation):
    """An impossible observation (answered before it was submitted) fails dbt's own tests and
    must not reach `marts`. (What only the GX gate catches: tests/e2e/test_alerts.py.)"""
    settings, url, _ = pipeline
    before = marts_fingerprint(url)
    answered_too_early = lambda p: p | {"answered_on": "1999-01-01", "views": p["views"] + 1}  # noqa: E731
    with corrupt_observation(url, answered_too_early, "payload->>'status' = 'answered'"):
        with pytest.raises(PipelineError):
            run_pipeline(settings, url, ["warehouse_build"])
        assert marts_fingerprint(url) == before


def _text_values(url: str) -> dict[str, list[str]]:
    """Every text value of every relation in the schemas analysts or dbt can see."""
    values: dict[str, list[str]] = {}
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in ('staging', 'intermediate', 'marts', 'marts_candidate')"
            " and data_type in ('text', 'character varying', 'jsonb')"
        ).fetchall()
        for schema, table, column in columns:
            rows = conn.execute(
                f'select "{column}"::text from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            values[f"{schema}.{table}.{column}"] = [r[0] for r in rows]
    return values


def test_no_personal_datum_of_the_portal_leaves_raw(pipeline):
    """Every applicant name, IIN, phone and e-mail the sandbox wrote, searched everywhere."""
    _, url, _ = pipeline
    people = personal_data(build_scenario())
    assert people.names and people.iins and people.phones and people.emails
    digits = lambda s: re.sub(r"\D", "", s)[-10:]  # noqa: E731 - a phone's last ten digits
    phones = {digits(p) for p in people.phones}
    name_pairs = {" ".join(n.split()[:2]).lower() for n in people.names}
    leaks = []
    for where, texts in _text_values(url).items():
        blob = "\n".join(texts)
        found = set(re.findall(r"\d{12}", blob)) & set(people.iins)
        found |= set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", blob)) & set(people.emails)
        found |= {m for m in re.findall(r"\+?[\d][\d\s()\-]{9,}\d", blob) if digits(m) in phones}
        words = re.findall(r"\w+", blob.lower())
        found |= {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)} & name_pairs
        if found:
            leaks.append((where, sorted(found)[:5]))
    assert not leaks
    with psycopg.connect(url) as conn:  # the raw layer does hold them: the scan can find them
        raw = "\n".join(
            r[0] for r in conn.execute("select payload::text from raw.dialog_appeals limit 5000")
        )
    assert set(re.findall(r"\d{12}", raw)) & set(people.iins)
