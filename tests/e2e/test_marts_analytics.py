"""The analysts' marts on the demo data, checked against computations of their own.

Intervals and bands of the akimat ranking are recomputed in Python from the appeals in
`marts.fct_appeals`; the monthly ranking must add up to the ranking and rank consistently;
every published table and column carries a Postgres comment; every example query in
dbt_project/analyses compiles and runs as the analysts' role.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from sandbox.complaints import yearly_rows
from sandbox.dialog.scenario import build_scenario as dialog_scenario
from sandbox.opendata import TODAY
from sandbox.opendata import build_scenario as opendata_scenario
from tyndau.warehouse.roles import READER_ROLE
from tyndau.warehouse.url import dbt_profile_env, make_url, url_parts

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
ANALYSES = sorted((PROJECT / "analyses").glob("*.sql"))
Z = 1.959964


def wilson(successes: int, trials: int) -> tuple[float, float] | tuple[None, None]:
    """The Wilson score interval at 95%, straight from the textbook formula."""
    if trials == 0:
        return None, None
    p = successes / trials
    denominator = 1 + Z**2 / trials
    centre = (p + Z**2 / (2 * trials)) / denominator
    half = Z / denominator * math.sqrt(p * (1 - p) / trials + Z**2 / (4 * trials**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def bands(order: list[str], intervals: dict[str, tuple[float, float]]) -> dict[str, int]:
    """The band rule: each akimat joins the band whose leader's interval it overlaps."""
    result, band, leader = {}, 0, None
    for key in order:
        low, high = intervals[key]
        if leader is None or not (low <= leader[1] and high >= leader[0]):
            band, leader = band + 1, (low, high)
        result[key] = band
    return result


def _rows(url: str, sql: str) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql).fetchall()


def test_intervals_and_bands_match_an_independent_computation(pipeline):
    _, url, _ = pipeline
    counts: dict[str, Counter] = defaultdict(Counter)
    for appeal in _rows(
        url,
        "select region_kato, status, rating from marts.fct_appeals where region_kato is not null",
    ):
        tally = counts[appeal["region_kato"]]
        tally["appeals"] += 1
        tally["answered"] += appeal["status"] == "answered"
        tally["rated"] += appeal["status"] == "answered" and appeal["rating"] is not None
        tally["unsatisfied"] += appeal["status"] == "answered" and appeal["rating"] == "negative"

    by_answers = sorted(
        counts,
        key=lambda k: (
            -Fraction(counts[k]["answered"], counts[k]["appeals"]),
            -counts[k]["answered"],
            k,
        ),
    )
    rated = [k for k in counts if counts[k]["rated"]]
    by_satisfaction = sorted(
        rated,
        key=lambda k: (
            Fraction(counts[k]["unsatisfied"], counts[k]["rated"]),
            -counts[k]["rated"],
            k,
        ),
    )
    answer_ci = {k: wilson(counts[k]["answered"], counts[k]["appeals"]) for k in counts}
    unsatisfied_ci = {k: wilson(counts[k]["unsatisfied"], counts[k]["rated"]) for k in counts}
    answer_bands = bands(by_answers, answer_ci)
    satisfaction_bands = bands(by_satisfaction, unsatisfied_ci)

    ranking = {row["region_kato"]: row for row in _rows(url, "select * from marts.akimat_ranking")}
    assert set(ranking) == set(counts) and len(ranking) == 20
    for kato, row in ranking.items():
        assert row["answer_rank"] == by_answers.index(kato) + 1
        assert (
            float(row["answer_rate_ci_low"]),
            float(row["answer_rate_ci_high"]),
        ) == pytest.approx(answer_ci[kato], abs=1e-6)
        assert row["answer_band"] == answer_bands[kato], kato
        assert row["small_sample"] == (counts[kato]["rated"] < 30)
        if counts[kato]["rated"]:
            assert (
                float(row["unsatisfied_share_ci_low"]),
                float(row["unsatisfied_share_ci_high"]),
            ) == pytest.approx(unsatisfied_ci[kato], abs=1e-6)
            assert row["satisfaction_band"] == satisfaction_bands[kato], kato
        else:
            assert row["unsatisfied_share_ci_low"] is None and row["satisfaction_band"] is None
    # the bands must say something on the demo: more than one, fewer than one per akimat
    assert 1 < max(answer_bands.values()) < len(answer_bands)
    assert 1 < max(satisfaction_bands.values()) < len(satisfaction_bands)


def test_response_times_are_plausible_on_the_demo(pipeline):
    _, url, _ = pipeline
    rows = _rows(url, "select * from marts.akimat_ranking")
    for row in rows:
        # CALIBRATION: answers come 1–40 days after submission
        assert Decimal(1) <= row["median_days_to_answer"] <= row["p90_days_to_answer"] <= 40
        assert 0 <= row["answered_within_term_share"] <= 1
    # pending appeals exist in the demo and the oldest of them are past the term
    assert sum(row["overdue_pending"] for row in rows) > 0
    bodies = _rows(url, "select * from marts.gov_body_response_times")
    assert {"MVD", "MZ", "AKM75"} <= {body["gov_body_code"] for body in bodies}
    appeals = {
        row["gov_body_code"]: row["appeals"]
        for row in _rows(
            url, "select gov_body_code, count(*) as appeals from marts.fct_appeals group by 1"
        )
    }
    for body in bodies:
        assert body["appeals"] == appeals.get(body["gov_body_code"], 0)


def test_late_and_very_late_answers_add_up_from_the_appeals(pipeline):
    """Per body, the late answers (past the demo's term of 15 working days) and the very late
    ones (past 30) are those fct_appeals' working days give; the rankings carry the same."""
    _, url, _ = pipeline
    counted = {
        row["gov_body_code"]: row
        for row in _rows(
            url,
            """
            select gov_body_code,
                   count(*) filter (where working_days_to_answer > 15) as late,
                   count(*) filter (where working_days_to_answer > 30) as very_late,
                   count(working_days_to_answer) as timed
            from marts.fct_appeals group by 1
            """,
        )
    }
    bodies = _rows(url, "select * from marts.gov_body_response_times")
    for body in bodies:
        mine = counted.get(body["gov_body_code"], {"late": 0, "very_late": 0, "timed": 0})
        assert (body["answered_late"], body["answered_very_late"]) == (
            mine["late"],
            mine["very_late"],
        ), body["gov_body_code"]
        if mine["timed"]:
            assert float(body["answered_very_late_share"]) == pytest.approx(
                mine["very_late"] / mine["timed"], abs=1e-6
            )
            # late and within the term split the answers whose working days are known
            assert float(body["answered_within_term_share"]) == pytest.approx(
                1 - mine["late"] / mine["timed"], abs=1e-6
            )
    # the demo's answers come late often enough to show (CALIBRATION: 1–40 days)
    assert sum(body["answered_late"] for body in bodies) > 0
    by_code = {body["gov_body_code"]: body for body in bodies}
    for ministry in _rows(url, "select * from marts.ministry_ranking"):
        body = by_code[ministry["gov_body_code"]]
        assert ministry["answered_late"] == body["answered_late"]
        assert ministry["answered_very_late"] == body["answered_very_late"]
    akimat_late = _rows(
        url,
        "select sum(answered_late) as late, sum(answered_very_late) as very from "
        "marts.akimat_ranking",
    )[0]
    akimat_bodies = [body for body in bodies if body["body_type"] == "akimat"]
    assert akimat_late["late"] == sum(body["answered_late"] for body in akimat_bodies)
    assert akimat_late["very"] == sum(body["answered_very_late"] for body in akimat_bodies)


def test_monthly_ranking_adds_up_and_ranks_consistently(pipeline):
    _, url, _ = pipeline
    ranking = {row["region_kato"]: row for row in _rows(url, "select * from marts.akimat_ranking")}
    monthly = _rows(url, "select * from marts.akimat_ranking_monthly")
    assert monthly
    sums: dict[str, Counter] = defaultdict(Counter)
    months: dict[date, list[dict]] = defaultdict(list)
    for row in monthly:
        assert row["month"].day == 1
        for column in ("appeals", "answered", "rated_answers", "unsatisfied"):
            sums[row["region_kato"]][column] += row[column]
        months[row["month"]].append(row)
    for kato, row in ranking.items():
        for column in ("appeals", "answered", "rated_answers", "unsatisfied"):
            assert sums[kato][column] == row[column], (kato, column)

    by_key = {(row["month"], row["region_kato"]): row for row in monthly}
    for month, rows in months.items():
        assert sorted(r["answer_rank"] for r in rows) == list(range(1, len(rows) + 1))
        rated = [r["satisfaction_rank"] for r in rows if r["rated_answers"]]
        assert sorted(rated) == list(range(1, len(rated) + 1))
        previous = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        for row in rows:
            before = by_key.get((previous, row["region_kato"]))
            for rank in ("answer_rank", "satisfaction_rank"):
                expected = (
                    before[rank] - row[rank]
                    if before and before[rank] is not None and row[rank] is not None
                    else None
                )
                assert row[f"{rank}_change"] == expected, (month, row["region_kato"], rank)
    assert any(row["answer_rank_change"] for row in monthly)

    categories = _rows(url, "select * from marts.akimat_categories")
    per_region = Counter()
    for row in categories:
        per_region[row["region_kato"]] += row["appeals"]
    assert per_region == Counter({k: r["appeals"] for k, r in ranking.items()})


def test_scorecard_joins_the_three_sources(pipeline):
    _, url, _ = pipeline
    rows = _rows(url, "select * from marts.gov_body_scorecard")
    keys = [(row["gov_body_code"], row["year"]) for row in rows]
    assert len(keys) == len(set(keys))
    with_dialog = [r for r in rows if r["appeals"] is not None]
    with_complaints = [r for r in rows if r["complaints_received"] is not None]
    with_opendata = [r for r in rows if r["datasets"] is not None]
    assert with_dialog and with_complaints and with_opendata
    # the complaints columns hold complaints_scorecard's figures, body by body
    national = _rows(
        url,
        "select year, sum(received) as received, sum(deadline_violations) as violations "
        "from marts.complaints_scorecard group by year",
    )
    for year in national:
        mine = [r for r in with_complaints if r["year"] == year["year"]]
        assert sum(r["complaints_received"] for r in mine) == year["received"]
        assert sum(r["deadline_violations"] for r in mine) == year["violations"]
    # a ministry named in full by the catalogue joins the other sources under its code
    mf = {r["year"]: r for r in rows if r["gov_body_code"] == "MF"}
    assert mf[2017]["datasets"] and mf[2017]["complaints_received"]
    assert mf[2017]["gov_body_name_ru"] == "Министерство финансов"


def test_every_mart_table_and_column_has_a_comment(pipeline):
    _, url, _ = pipeline
    relations = _rows(
        url,
        """
        select c.relname, obj_description(c.oid, 'pg_class') as comment
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm')
        """,
    )
    assert {"akimat_ranking_monthly", "akimat_categories", "gov_body_scorecard"} <= {
        r["relname"] for r in relations
    }
    assert [r["relname"] for r in relations if not (r["comment"] or "").strip()] == []
    columns = _rows(
        url,
        """
        select c.relname, a.attname, col_description(c.oid, a.attnum) as comment
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v', 'm')
        """,
    )
    assert len(columns) > 100
    missing = [
        f"{r['relname']}.{r['attname']}" for r in columns if not (r["comment"] or "").strip()
    ]
    assert missing == []


def test_analyses_compile_and_run_as_the_reader(pipeline, tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    settings, url, _ = pipeline
    assert ANALYSES, "dbt_project/analyses holds the analysts' example queries"
    for name, value in dbt_profile_env(url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
    target = tmp_path / "dbt-target"
    result = dbtRunner().invoke(
        [
            "compile",
            "--select",
            "resource_type:analysis",
            "--vars",
            "{marts_schema: marts}",
            "--project-dir",
            str(PROJECT),
            "--profiles-dir",
            str(PROJECT),
            "--target-path",
            str(target),
        ]
    )
    assert result.success, f"dbt compile failed: {result.exception or result.result}"
    login = {"user": READER_ROLE, "password": settings.reader_password}
    reader = make_url(**(url_parts(url) | login))
    for analysis in ANALYSES:
        compiled = target / "compiled" / "tyndau" / "analyses" / analysis.name
        sql = compiled.read_text(encoding="utf-8")
        assert '"marts".' in sql and "marts_candidate" not in sql, analysis.name
        with psycopg.connect(reader) as conn:
            rows = conn.execute(sql).fetchall()
        assert rows, f"{analysis.name} returned no rows"


def test_scorecard_rows_of_2020_and_2021_join_all_three_sources(pipeline):
    """Docs/calibration.md, "2020 and 2021": every akimat of the time has both years with Open
    Dialogue, complaints and open data, and one row (Kostanay, 2021) carries exactly the figures
    computed here from the three sandboxes' scenarios (not from the marts' SQL)."""
    _, url, _ = pipeline
    rows = {
        (r["gov_body_code"], r["year"]): r
        for r in _rows(url, "select * from marts.gov_body_scorecard where year in (2020, 2021)")
    }
    sources = ("appeals", "complaints_received", "datasets")
    for year in (2020, 2021):
        # the akimats whose region existed that year (dim_regions): 17; Abai, Zhetisu and
        # Ulytau date from June 2022 and carry Open Dialogue alone
        of_the_time = {
            r["gov_body_code"]
            for r in _rows(
                url,
                "select distinct b.gov_body_code from marts.dim_gov_bodies b"
                " join marts.dim_regions r on r.region_kato = b.region_kato"
                " where b.body_type = 'akimat'"
                f" and r.valid_from <= make_date({year}, 12, 31)",
            )
        }
        assert len(of_the_time) == 17, year
        for code in of_the_time:
            row = rows[(code, year)]
            assert all(row[column] for column in sources), (code, year)
        for code in {"AKM10", "AKM33", "AKM62"}:
            row = rows[(code, year)]
            assert row["appeals"] and row["complaints_received"] is None, (code, year)

    code, year = "AKM39", 2021
    dialog = dialog_scenario()
    blogs = {b.blog_id for b in dialog.blogs if b.gov_body_code == code}
    appeals = [a for a in dialog.appeals() if a.blog_id in blogs and a.submitted_on.year == year]
    complaints = [r for r in yearly_rows(year) if r.gov_body_code == code]
    with (PROJECT / "seeds" / "opendata_owner_bodies.csv").open(encoding="utf-8") as seed:
        owners = {r["owner_name_ru"] for r in csv.DictReader(seed) if r["gov_body_code"] == code}
    catalogue = opendata_scenario()
    assert date(year, 12, 31) == TODAY  # the year end is the catalogue's read: measured
    datasets = [d for d in catalogue.active(TODAY) if d.owner in owners]
    expected = {
        "appeals": len(appeals),
        "answered": sum(a.status == "answered" for a in appeals),
        "rated_answers": sum(a.rating is not None for a in appeals),
        "unsatisfied": sum(a.rating == "negative" for a in appeals),
        "complaints_received": sum(r.received for r in complaints),
        "deadline_violations": sum(r.deadline_violations for r in complaints),
        "justified_complaints": sum(r.justified_complaints for r in complaints),
        "overturned_by_higher_body": sum(r.overturned_by_higher_body for r in complaints),
        "overturned_by_court": sum(r.overturned_by_court for r in complaints),
        "datasets": len(datasets),
        "datasets_up_to_date": sum(d.up_to_date(TODAY) for d in datasets),
    }
    row = rows[(code, year)]
    assert {column: row[column] for column in expected} == expected
    # a row of all three sources (Kostanay's appeals of 2021 are all still pending on 19 March)
    assert expected["appeals"] and expected["complaints_received"] and expected["datasets"]
    assert row["gov_body_name_ru"] == "Акимат Костанайской области" and row["region_kato"] == "39"
