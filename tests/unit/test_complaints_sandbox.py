"""The complaints sandbox: report files that add up exactly to docs/calibration.md section 4."""

from __future__ import annotations

import ast
import csv
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ingestion.complaints import parse_report
from sandbox.complaints import (
    BODIES,
    NATIONAL,
    apportion,
    monthly_rows,
    national_totals,
    topic_rows,
    write_reports,
    yearly_rows,
)

REPO = Path(__file__).resolve().parents[2]

# docs/calibration.md section 4, as published (2017) and as the scenario's values (2016)
CALIBRATION = {
    2016: {
        "received": 1_650_000,
        "from_individuals": 1_380_000,
        "from_legal_entities": 270_000,
        "deadline_violations": 6_300,
        "deadline_violations_central": 4_100,
        "deadline_violations_akimats": 2_200,
        "overturned_by_higher_body": 150,
        "overturned_by_court": 120,
        "explained": 742_500,  # 45%
        "justified_complaints": 25_000,
    },
    2017: {
        "received": 1_700_000,
        "from_individuals": 1_400_000,
        "from_legal_entities": 300_000,
        "deadline_violations": 2_400,
        "deadline_violations_central": 1_500,
        "deadline_violations_akimats": 900,
        "overturned_by_higher_body": 110,
        "overturned_by_court": 99,
        "explained": 782_000,  # 46%
        "justified_complaints": 26_600,
    },
}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> list[Path]:
    return write_reports(tmp_path_factory.mktemp("inbox"))


@pytest.mark.parametrize("year", [2016, 2017])
def test_scenario_rows_add_up_to_the_national_figures(year):
    totals = national_totals(yearly_rows(year))
    assert {k: totals[k] for k in CALIBRATION[year]} == CALIBRATION[year]
    assert NATIONAL[year].explained * 100 == NATIONAL[year].received * (45 if year == 2016 else 46)


def test_the_regions_of_2016_2017():
    katos = sorted(b.region_kato for b in BODIES if b.region_kato)
    assert len(katos) == len(set(katos)) == 16  # 14 oblasts, Astana and Almaty
    assert "51" in katos  # South Kazakhstan, before it became Turkestan (61) and Shymkent (79)
    assert not {"10", "33", "61", "62", "79"} & set(katos)


def test_the_akimats_of_2020_2021_are_those_of_the_time_under_the_blog_registry_codes():
    akimats = {r.gov_body_code: r.region_kato for r in yearly_rows(2020) if r.region_kato}
    assert len(akimats) == 17  # 14 oblasts, Nur-Sultan, Almaty, Shymkent
    assert {"61", "79"} <= set(akimats.values())
    assert not {"51", "10", "33", "62"} & set(akimats.values())  # before 2018 / from 2022
    with (REPO / "sandbox" / "data" / "dialog_blogs.csv").open(encoding="utf-8") as blogs:
        registry = {row["gov_body_code"]: row["region_kato"] for row in csv.DictReader(blogs)}
    assert all(registry[code] == kato for code, kato in akimats.items())
    assert {r.gov_body_code for r in yearly_rows(2021)} == {
        r.gov_body_code for r in yearly_rows(2020)
    }


def test_apportion_is_exact_and_months_add_up():
    assert sum(apportion(1_700_000, [3.3, 1.1, 0.7, 0])) == 1_700_000
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    row = yearly_rows(2017)[0]
    months = monthly_rows(row)
    assert [m.period for m in months][:2] == ["2017-01", "2017-02"] and len(months) == 12
    assert sum(m.received for m in months) == row.received
    assert sum(m.justified_complaints for m in months) == row.justified_complaints


def test_topics_add_up_to_each_bodys_justified_complaints():
    rows = yearly_rows(2017)
    by_body = defaultdict(int)
    for topic in topic_rows(rows):
        by_body[topic.gov_body_code] += topic.justified_complaints
    for body in BODIES:
        assert by_body[body.code] == sum(
            r.justified_complaints for r in rows if r.gov_body_code == body.code
        )


def test_files_are_deterministic(inbox, tmp_path):
    again = write_reports(tmp_path / "again")
    assert [p.name for p in again] == [p.name for p in inbox]
    for first, second in zip(inbox, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert not list((tmp_path / "again").glob(".*")), "temporary files left behind"


def test_files_show_every_quirk(inbox):
    reports = {path.name: parse_report(path.read_bytes(), path.name) for path in inbox}
    formats = {(r.file_format, r.encoding) for r in reports.values()}
    assert ("csv", "cp1251") in formats and ("csv", "utf-8") in formats
    assert any(r.file_format == "xlsx" and r.header_line > 1 for r in reports.values())
    assert sum(r.totals_rows_skipped for r in reports.values()) >= 4
    assert [r.kind for r in reports.values()].count("topics") == 1
    cp1251 = next(p for p in inbox if reports[p.name].encoding == "cp1251").read_bytes()
    assert re.search(rb";[0-9]{1,3} [0-9]{3};", cp1251), "counts grouped with spaces"
    assert "—".encode("cp1251") in cp1251, "zero written as a dash"
    central_2017 = next(p for p in inbox if p.name == "complaints_2017_central_bodies.xlsx")
    cells = [c for row in _sheet_rows(central_2017) for c in row if isinstance(c, str)]
    assert any("\u00a0" in c for c in cells), "counts grouped with no-break spaces"


def test_parsed_files_reproduce_the_calibration_under_the_roll_up_rule(inbox):
    """A yearly report of a body wins over its monthly ones; months add up otherwise."""
    rows = [
        row
        for path in inbox
        for row in parse_report(path.read_bytes(), path.name).rows
        if "received" in row
    ]
    yearly_bodies = {(r["period"], r["gov_body_code"]) for r in rows if len(r["period"]) == 4}
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    months_used = set()
    for r in rows:
        year = r["period"][:4]
        if len(r["period"]) == 7 and (year, r["gov_body_code"]) in yearly_bodies:
            continue  # the MVD's preliminary January-March figures
        if len(r["period"]) == 7:
            months_used.add((r["gov_body_code"], r["period"]))
        t = totals[int(year)]
        for name in ("received", "deadline_violations", "explained", "justified_complaints"):
            t[name] += r[name]
        for name in ("overturned_by_higher_body", "overturned_by_court"):
            t[name] += r[name]
        t[f"from_{'individuals' if r['applicant_type'] == 'individual' else 'legal_entities'}"] += (
            r["received"]
        )
        level = "central" if r["body_level"] == "central" else "akimats"
        t[f"deadline_violations_{level}"] += r["deadline_violations"]
    assert {year: dict(totals[year]) for year in CALIBRATION} == CALIBRATION
    # the scenario years 2020 and 2021: the files add up to the scenario's national figures
    for year in (2020, 2021):
        expected = national_totals(yearly_rows(year))
        assert dict(totals[year]) == {name: expected[name] for name in totals[year]}, year
        assert totals[year]["received"] == NATIONAL[year].received
    assert set(totals) == {2016, 2017, 2020, 2021}
    assert {code for code, _ in months_used} == {"AKM75"} and len(months_used) == 12


def test_command_line_writes_the_inbox(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.complaints", "--inbox", str(tmp_path / "in")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    written = result.stdout.split()
    assert len(written) == 9 and all(Path(p).is_file() for p in written)


def test_the_sandbox_imports_nothing_of_the_pipeline():
    for path in (REPO / "sandbox" / "complaints").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in {"ingestion", "tyndau", "dags", "expectations"}, (
                    path.name,
                    name,
                )


def _sheet_rows(path: Path) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
