"""Complaint statistics end to end on a real Postgres: the sandbox's report files → raw → dbt
(seed + build of the whole project) → GX → published marts, checked against docs/calibration.md
section 4 to the unit, with the regions of 2016-2017 joined as they were and mapped to today's.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from dbt.cli.main import dbtRunner

from expectations.gate import URL_VARIABLE, run_checkpoint
from ingestion.complaints import land_complaints
from sandbox.complaints import NATIONAL, write_reports
from tyndau.headlines.complaints import headline
from tyndau.publish import publish_marts
from tyndau.settings import PROJECT_DIR
from tyndau.warehouse.raw import ensure_raw_tables
from tyndau.warehouse.url import dbt_profile_env, with_database

CALIBRATION_REGIONS = PROJECT_DIR / "tests" / "fixtures" / "calibration_akimat_ranking.csv"
COMPLAINTS_MARTS = ["complaints_scorecard", "complaints_national", "complaints_topics"]
HEADLINE_2017 = (
    "2017: 1.7 million complaints and applications (1.4 million from individuals, "
    "300 thousand from legal entities); 46% were explanatory, 26,600 complaints justified.\n"
    "Deadline violations: 2,400 (1,500 by central bodies, 900 by akimats), down from 6,300 "
    "in 2016.\n"
    "Decisions overturned: 110 by a higher body, 99 by a court."
)


def dbt(*args: str, target: Path) -> None:
    project = str(PROJECT_DIR / "dbt_project")
    result = dbtRunner().invoke(
        [*args, "--project-dir", project, "--profiles-dir", project, "--target-path", str(target)]
    )
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in getattr(result.result, "results", None) or []
        if str(r.status) in ("error", "fail", "runtime error")
    ]
    assert result.success, f"dbt {args[0]} failed: {result.exception or failures}"


@pytest.fixture(scope="module")
def warehouse(pg_server, tmp_path_factory):
    """Land the sandbox inbox, build, validate (GX results kept for the tests), publish."""
    work = tmp_path_factory.mktemp("complaints")
    url = with_database(pg_server, "t_complaints_warehouse")
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists t_complaints_warehouse with (force)")
        # the C locale, as in test_dbt_build: regexes must not rely on Cyrillic classes
        conn.execute(
            "create database t_complaints_warehouse template template0 encoding 'UTF8' locale 'C'"
        )
    ensure_raw_tables(url)  # the pipeline creates every source's raw tables first
    inbox = work / "inbox"
    written = write_reports(inbox)
    landing = land_complaints(url, inbox)
    with pytest.MonkeyPatch.context() as env:
        for name, value in dbt_profile_env(url).items():
            env.setenv(name, value)
        env.setenv("DBT_LOG_PATH", str(work / "dbt-logs"))
        dbt("seed", target=work / "target")
        dbt("build", target=work / "target")
        env.setenv(URL_VARIABLE, url)  # restored afterwards; run_checkpoint sets it
        gx = {"complaints_raw_landing": run_checkpoint("complaints_raw_landing", url)}
        gx |= validate(["marts_dim_regions"] + [f"marts_{name}" for name in COMPLAINTS_MARTS])
        mismatched = validate_mismatched(url)
    publish_marts(url)
    return {
        "url": url,
        "inbox": inbox,
        "written": written,
        "landing": landing,
        "gx": gx,
        "mismatched": mismatched,
    }


#: One count off by one in the national totals and in a body's topics, as a wrong join would
#: leave them: dbt's tests of each mart pass, GX's reconciliations with the scorecard do not.
MISMATCH = [
    "update marts_candidate.complaints_national set received = received {sign} 1, "
    "from_individuals = from_individuals {sign} 1 where year = 2017",
    "update marts_candidate.complaints_topics set justified_complaints = justified_complaints "
    "{sign} 1 where (year, gov_body_code, topic) = (select year, gov_body_code, topic "
    "from marts_candidate.complaints_topics order by 1, 2, 3 limit 1)",
]


def validate_mismatched(url: str) -> dict:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in MISMATCH:
            conn.execute(statement.format(sign="+"))
        try:
            return validate(["marts_complaints_national", "marts_complaints_topics"])
        finally:
            for statement in MISMATCH:
                conn.execute(statement.format(sign="-"))


def validate(names: list[str]) -> dict:
    import great_expectations as gx

    from expectations.gate import GX_ROOT

    context = gx.get_context(mode="file", project_root_dir=str(GX_ROOT))
    return {name: context.validation_definitions.get(name).run() for name in names}


def query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_file_landed(warehouse):
    landing = warehouse["landing"]
    assert len(landing.landed) == len(warehouse["written"]) == 9
    assert not landing.rejected and not landing.duplicates and not landing.replaced


def test_the_2017_headline_exactly(warehouse):
    ((row),) = query(
        warehouse["url"],
        """
        select received, from_individuals, from_legal_entities, deadline_violations,
               deadline_violations_central, deadline_violations_akimats,
               overturned_by_higher_body, overturned_by_court, explained_share,
               justified_complaints, deadline_violations_change
        from marts.complaints_national where year = 2017
        """,
    )
    assert row == (
        1_700_000,
        1_400_000,
        300_000,
        2_400,
        1_500,
        900,
        110,
        99,
        Decimal("0.460000"),
        26_600,
        2_400 - 6_300,
    )


def test_2016_and_the_change(warehouse):
    rows = query(
        warehouse["url"],
        "select year, received, deadline_violations, deadline_violations_central, "
        "deadline_violations_akimats, overturned_by_higher_body, overturned_by_court, "
        "explained_share, justified_complaints, deadline_violations_change "
        "from marts.complaints_national order by year",
    )
    assert rows[0] == (
        2016,
        1_650_000,
        6_300,
        4_100,
        2_200,
        150,
        120,
        Decimal("0.450000"),
        25_000,
        None,
    )
    assert [r[0] for r in rows] == [2016, 2017, 2020, 2021]
    # the scenario years: their national figures, exactly; no change against a missing 2019
    for year, row in zip((2020, 2021), rows[2:], strict=True):
        n = NATIONAL[year]
        assert row[1:5] == (
            n.received,
            n.deadline_violations,
            n.deadline_violations_central,
            n.deadline_violations_akimats,
        )
        assert row[8] == n.justified_complaints
    assert rows[2][-1] is None and rows[3][-1] == (
        NATIONAL[2021].deadline_violations - NATIONAL[2020].deadline_violations
    )


def test_headline_for_the_demo(warehouse):
    assert headline(warehouse["url"]).startswith("2021: 2.05 million complaints")  # the latest
    assert headline(warehouse["url"], 2017) == HEADLINE_2017
    assert headline(warehouse["url"], 2016).startswith("2016: 1.65 million complaints")
    assert "no figures for 2030" in headline(warehouse["url"], 2030)


def test_scorecard_rolls_up_months_and_lets_a_yearly_report_win(warehouse):
    rows = query(
        warehouse["url"],
        "select gov_body_code, reported_as, months_reported from marts.complaints_scorecard "
        "where year = 2017 and gov_body_code in ('AKM75', 'MVD') order by 1",
    )
    assert rows == [("AKM75", "months", 12), ("MVD", "year", None)]
    ((bodies, akimats),) = query(
        warehouse["url"],
        "select count(*), count(*) filter (where body_level = 'local') "
        "from marts.complaints_scorecard where year = 2017",
    )
    assert (bodies, akimats) == (27, 16)
    for year in (2020, 2021):  # the 17 akimats of the time, Turkestan and Shymkent among them
        assert query(
            warehouse["url"],
            "select count(*), count(*) filter (where region_kato in ('61', '79')),"
            " count(*) filter (where region_name_ru is null)"
            " from marts.complaints_scorecard where year = %s and body_level = 'local'",
            [year],
        ) == [(17, 2, 0)]


def test_south_kazakhstan_joins_its_2016_region_and_maps_to_todays(warehouse):
    ((name, current, change),) = query(
        warehouse["url"],
        "select region_name_ru, current_region_katos, deadline_violations_change "
        "from marts.complaints_scorecard where year = 2016 and region_kato = '51'",
    )
    assert (name, current, change) == ("Южно-Казахстанская область", "61,79", None)
    # the same through dim_regions, as an analyst would: the version valid in 2016 ...
    ((valid_name, valid_from, valid_to),) = query(
        warehouse["url"],
        """
        select r.region_name_ru, r.valid_from::text, r.valid_to::text
        from marts.complaints_scorecard as s
        join marts.dim_regions as r
          on r.region_kato = s.region_kato
         and r.valid_from <= make_date(s.year, 12, 31)
         and (r.valid_to is null or r.valid_to > make_date(s.year, 1, 1))
        where s.year = 2016 and s.region_kato = '51'
        """,
    )
    assert (valid_name, valid_from, valid_to) == (
        "Южно-Казахстанская область",
        "2000-01-01",
        "2018-06-19",
    )
    # ... and today's regions covering it
    today = query(
        warehouse["url"],
        """
        select t.region_kato, t.region_name_ru
        from marts.complaints_scorecard as s
        join marts.dim_regions as t
          on t.is_current and t.region_kato = any(string_to_array(s.current_region_katos, ','))
        where s.year = 2016 and s.region_kato = '51'
        order by 1
        """,
    )
    assert today == [("61", "Туркестанская область"), ("79", "город Шымкент")]
    # Turkestan and Shymkent only from 2018 (the scenario years 2020-2021), Abai never
    assert query(
        warehouse["url"],
        "select distinct year from marts.complaints_scorecard"
        " where region_kato in ('61', '79', '10') order by 1",
    ) == [(2020,), (2021,)]


def test_region_history(warehouse):
    url = warehouse["url"]
    capital = query(
        url,
        "select region_name_ru, valid_from::text, valid_to::text from marts.dim_regions "
        "where region_kato = '71' order by valid_from",
    )
    assert capital == [
        ("город Астана", "2000-01-01", "2019-03-20"),
        ("город Нур-Султан", "2019-03-20", "2022-09-17"),
        ("город Астана", "2022-09-17", None),
    ]
    splits = dict(
        query(
            url,
            "select region_kato, current_katos from marts.dim_regions "
            "where valid_to = '2022-06-08' order by 1",
        )
    )
    assert splits == {"19": "19,33", "35": "35,62", "63": "10,63"}
    new = query(
        url,
        "select region_kato from marts.dim_regions where valid_from = '2022-06-08' "
        "and region_kato in ('10', '33', '62') order by 1",
    )
    assert new == [("10",), ("33",), ("62",)]


def test_the_current_regions_are_the_20_of_the_akimat_ranking(warehouse):
    with CALIBRATION_REGIONS.open(encoding="utf-8") as f:
        expected = sorted((r["region_kato"], r["region_name_ru"]) for r in csv.DictReader(f))
    current = query(
        warehouse["url"],
        "select region_kato, region_name_ru from marts.dim_regions where is_current order by 1",
    )
    assert current == expected and len(current) == 20


def test_gx_passes_on_the_landing_and_the_marts(warehouse):
    gx = warehouse["gx"]
    landing = gx.pop("complaints_raw_landing")
    assert landing.success, landing.summary()
    assert landing.evaluated >= 20
    for name, result in gx.items():
        failed = [r.expectation_config.type for r in result.results if not r.success]
        assert result.success, (name, failed)


def test_gx_reconciles_the_national_totals_and_the_topics_with_the_scorecard(warehouse):
    for name, result in warehouse["mismatched"].items():
        failed = [r for r in result.results if not r.success]
        assert [r.expectation_config.type for r in failed] == ["unexpected_rows_expectation"]
        assert failed[0].result["observed_value"] == 1, name  # the year, the body-year


def test_marts_are_documented_in_postgres(warehouse):
    undocumented = query(
        warehouse["url"],
        """
        select t.relname, a.attname
        from pg_attribute as a
        join pg_class as t on t.oid = a.attrelid
        join pg_namespace as n on n.oid = t.relnamespace
        where n.nspname = 'marts' and t.relname = any(%s) and a.attnum > 0
          and not a.attisdropped and coalesce(col_description(t.oid, a.attnum), '') = ''
        """,
        (COMPLAINTS_MARTS + ["dim_regions"],),
    )
    assert not undocumented


def test_landing_the_same_reports_again_changes_nothing(warehouse):
    url = warehouse["url"]
    before = query(url, "select count(*) from raw.complaints_rows")
    write_reports(warehouse["inbox"])  # the deterministic sandbox: the very same bytes
    again = land_complaints(url, warehouse["inbox"])
    assert again.landed == [] and len(again.duplicates) == 9
    assert query(url, "select count(*) from raw.complaints_rows") == before
