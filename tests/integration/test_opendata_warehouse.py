"""Open data end to end on a real Postgres: the sandbox catalogue landed, dbt seed + build of the
whole project, the GX suites, and the headline of docs/calibration.md section 3 — 2,100 datasets at
2017-12-31, 1,900 a year before (+10.5%), 70% up to date."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ingestion.common.http import HttpConfig
from ingestion.opendata import (
    AuthError,
    OpendataError,
    ReconciliationError,
    WatchItem,
    land_opendata,
)
from sandbox.opendata import (
    SNAPSHOT,
    TODAY,
    WATCH_FILE,
    Knobs,
    OpendataSandbox,
    build_scenario,
)
from sandbox.opendata import server as sandbox_server
from tyndau.settings import PROJECT_DIR
from tyndau.warehouse.raw import ensure_raw_tables
from tyndau.warehouse.url import dbt_profile_env, with_database

KEY = "integration-Key-0f-the-sandbox"
FAST = HttpConfig(backoff_factor=0.0, backoff_jitter=0.0, max_attempts=8)
MARTS = ("opendata_freshness", "opendata_catalog_growth")
RECORDS = 12_500 + 1_250 + 60  # the watched datasets' latest versions


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


@pytest.fixture(scope="module")
def portal(scenario):
    with OpendataSandbox(scenario, api_key=KEY) as running:
        yield running


def run_dbt(url: str, tmp: Path) -> None:
    from dbt.cli.main import dbtRunner

    project = PROJECT_DIR / "dbt_project"
    common = [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(tmp / "target"),
    ]
    with pytest.MonkeyPatch.context() as env:
        for name, value in dbt_profile_env(url).items():
            env.setenv(name, value)
        env.setenv("DBT_LOG_PATH", str(tmp / "logs"))
        for command in ("seed", "build"):
            result = dbtRunner().invoke([command, *common])
            failures = [
                f"{r.node.unique_id}: {r.status} {r.message}"
                for r in getattr(result.result, "results", None) or []
                if str(r.status) in ("error", "fail", "runtime error")
            ]
            assert result.success, f"dbt {command} failed: {result.exception or failures}"


@pytest.fixture(scope="module")
def warehouse(pg_server, portal, tmp_path_factory):
    """A C-locale database with the sandbox catalogue landed and the whole project built.

    Yields (url, report of the landing)."""
    name = "t_opendata_warehouse"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f"create database \"{name}\" template template0 encoding 'UTF8' locale 'C'")
    url = with_database(pg_server, name)
    ensure_raw_tables(url)  # the pipeline creates every source's raw tables first
    report = land_opendata(url, portal.base_url, KEY, watch=WATCH_FILE, http_config=FAST)
    run_dbt(url, tmp_path_factory.mktemp("dbt_opendata"))
    return url, report


def query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


# --- landing --------------------------------------------------------------------------------


def test_landing_reconciles_and_keeps_the_ledger(warehouse):
    url, report = warehouse
    assert (report.catalogue_total, report.dataset_rows_inserted) == (2840, 2840)
    assert report.passports_fetched == report.passport_rows_inserted == 2840
    assert not report.failed_passports and not report.failed_records
    assert report.record_rows_inserted == RECORDS
    assert {k: (v["read"], v["total"]) for k, v in report.records.items()} == {
        "medicinalyq_mekemeler/v1": (12_500, 12_500),
        "mektepter_kontingenti/v1": (1_250, 1_250),
        "zhol_zhondeu_zhumystary/v2": (60, 60),  # the latest version when none is named
    }
    ((source, status, error),) = query(
        url,
        "select source, status, error from raw.load_ledger where load_id = %s",
        [report.load_id],
    )
    assert (source, status, error) == ("opendata", "succeeded", None)
    counts = query(
        url,
        "select (select count(*) from raw.opendata_datasets),"
        " (select count(*) from raw.opendata_passports),"
        " (select count(*) from raw.opendata_mappings),"
        " (select count(*) from raw.opendata_records)",
    )
    assert counts == [(2840, 2840, 2840, RECORDS)]


def test_the_key_is_nowhere_in_the_warehouse(warehouse):
    url, _ = warehouse
    for table in (
        "opendata_datasets",
        "opendata_passports",
        "opendata_mappings",
        "opendata_records",
    ):
        leaks = query(
            url,
            f"select count(*) from raw.{table} where source_url ilike %s or source_url like %s",
            ["%apikey%", f"%{KEY}%"],
        )
        assert leaks == [(0,)], table
    assert query(
        url,
        "select count(*) from raw.load_ledger where stats::text like %s or"
        " coalesce(error, '') like %s",
        [f"%{KEY}%", f"%{KEY}%"],
    ) == [(0,)]


def test_a_second_landing_adds_nothing(warehouse, portal):
    url, _ = warehouse
    before = query(url, "select count(*) from raw.opendata_records")
    again = land_opendata(url, portal.base_url, KEY, watch=WATCH_FILE, http_config=FAST)
    assert again.dataset_rows_inserted == again.passport_rows_inserted == 0
    assert again.record_rows_inserted == 0
    assert again.passports_needed == 0  # nothing new, changed or a month old
    # incremental where a modification field exists: a handful of records, not 12,500
    assert again.records["medicinalyq_mekemeler/v1"]["read"] < 10
    assert again.records["mektepter_kontingenti/v1"]["read"] == 1_250  # no such field
    assert again.requests_made < 60
    assert query(url, "select count(*) from raw.opendata_records") == before


# --- the marts: docs/calibration.md section 3 -----------------------------------------------------


def test_the_headline_comes_out_of_the_marts(warehouse, scenario):
    url, _ = warehouse
    growth = query(
        url,
        "select as_of::text, datasets, datasets_year_before, growth_share"
        " from marts_candidate.opendata_catalog_growth"
        " where as_of in ('2016-12-31', '2017-12-31') order by 1",
    )
    two_years_before = len(scenario.active(dt.date(2015, 12, 31)))
    assert growth == [
        (
            "2016-12-31",
            1900,
            two_years_before,
            round(Decimal(1900 - two_years_before) / two_years_before, 4),
        ),
        ("2017-12-31", 2100, 1900, Decimal("0.1053")),
    ]
    ((datasets, up_to_date, archived, bodies),) = query(
        url,
        "select sum(datasets), sum(up_to_date), sum(archived), count(*)"
        " from marts_candidate.opendata_freshness where snapshot_date = '2017-12-31'",
    )
    assert (datasets, up_to_date, archived) == (2100, 1470, 40)
    assert Decimal(up_to_date) / Decimal(datasets) == Decimal("0.7")  # exactly 70%
    assert 55 <= bodies <= 65
    # the catalogue was read as of 2017-12-31: that date is measured, earlier ones are lower
    # bounds for the datasets changed since (flagged)
    unobserved = dict(
        query(
            url,
            "select snapshot_date::text, sum(state_unobserved)"
            " from marts_candidate.opendata_freshness"
            " where snapshot_date in ('2016-12-31', '2017-12-31') group by 1",
        )
    )
    assert unobserved["2017-12-31"] == 0 and unobserved["2016-12-31"] > 0


def test_the_latest_snapshot_is_the_current_state(warehouse, scenario):
    """The catalogue read today is judged as of today, body by body, next to the year ends up
    to the scenario's own today (2021-12-31); each date is of one kind, and only the read's is
    current."""
    url, report = warehouse
    ((read_on,),) = query(
        url,
        "select cast(started_at at time zone 'Asia/Almaty' as date) from raw.load_ledger"
        " where load_id = %s",
        [report.load_id],
    )
    kinds = query(
        url,
        "select snapshot_date, array_agg(distinct snapshot_kind), bool_and(is_current),"
        " bool_or(is_current) from marts_candidate.opendata_freshness group by 1 order by 1",
    )
    year_ends = [dt.date(year, 12, 31) for year in range(2013, TODAY.year + 1)]
    current_kind = "year_end" if (read_on.month, read_on.day) == (12, 31) else "current"
    assert kinds == [(day, ["year_end"], False, False) for day in year_ends] + [
        (read_on, [current_kind], True, True)
    ]
    for day in (read_on, TODAY):  # read in full: nothing modified after either date
        got = {
            name: (datasets, up_to_date, unobserved)
            for name, datasets, up_to_date, unobserved in query(
                url,
                "select gov_body_name_ru, datasets, up_to_date, state_unobserved"
                " from marts_candidate.opendata_freshness where snapshot_date = %s",
                [day],
            )
        }
        expected: dict[str, tuple[int, int, int]] = {}
        for dataset in scenario.active(day):
            n, fresh, _ = expected.get(dataset.owner, (0, 0, 0))
            expected[dataset.owner] = (n + 1, fresh + dataset.up_to_date(day), 0)
        for owner in {d.owner for d in scenario.datasets if d.archived} - set(expected):
            expected[owner] = (0, 0, 0)  # archived datasets only
        assert got == expected, day


def test_freshness_ranks_run_one_to_n_on_every_date(warehouse, scenario):
    url, _ = warehouse
    ranks = query(
        url,
        "select snapshot_date, array_agg(up_to_date_rank order by up_to_date_rank),"
        " count(*) filter (where datasets > 0)"
        " from marts_candidate.opendata_freshness group by 1",
    )
    assert {str(date) for date, _, _ in ranks} >= {"2016-12-31", "2017-12-31"}
    for date, got, rankable in ranks:
        assert got[:rankable] == list(range(1, rankable + 1)), date
    # the top body's share, recomputed from the scenario
    ((name, share),) = query(
        url,
        "select gov_body_name_ru, up_to_date_share from marts_candidate.opendata_freshness"
        " where snapshot_date = '2017-12-31' and up_to_date_rank = 1",
    )
    theirs = [d for d in scenario.active() if d.owner == name]
    expected = sum(d.up_to_date(SNAPSHOT) for d in theirs) / len(theirs)
    assert float(share) == pytest.approx(expected, abs=5e-5)


def test_contact_data_never_leaves_raw(warehouse, scenario):
    url, _ = warehouse
    needles = {d.phone for d in scenario.datasets} | {d.email for d in scenario.datasets}
    columns = query(
        url,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('staging', 'intermediate', 'marts_candidate')"
        " and table_name like '%%opendata%%'",
    )
    names = {column for _, _, column in columns}
    assert not {n for n in names if any(w in n for w in ("phone", "email", "responsible"))}
    text_columns = query(
        url,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('staging', 'intermediate', 'marts_candidate')"
        " and table_name like '%%opendata%%' and table_name not like '%%records%%'"
        " and data_type in ('text', 'jsonb', 'ARRAY')",
    )
    for schema, table, column in text_columns:
        values = query(url, f'select distinct "{column}"::text from "{schema}"."{table}"')
        leaked = {v for (v,) in values if v} & needles
        assert not leaked, f"{schema}.{table}.{column}"


def test_mart_columns_are_documented_in_postgres(warehouse):
    url, _ = warehouse
    for table in MARTS:
        undocumented = query(
            url,
            "select a.attname from pg_attribute as a join pg_class as t on t.oid = a.attrelid"
            " join pg_namespace as n on n.oid = t.relnamespace"
            " where n.nspname = 'marts_candidate' and t.relname = %s and a.attnum > 0"
            " and not a.attisdropped and coalesce(col_description(t.oid, a.attnum), '') = ''",
            [table],
        )
        assert not undocumented, table
        assert query(
            url, "select obj_description(%s::regclass, 'pg_class')", [f"marts_candidate.{table}"]
        )[0][0]


# --- GX -----------------------------------------------------------------------------------------


def test_gx_checks_the_landing_and_the_marts(warehouse, monkeypatch):
    from expectations.gate import GX_ROOT, URL_VARIABLE, run_checkpoint

    url, _ = warehouse
    monkeypatch.setenv(URL_VARIABLE, url)  # restored afterwards, whatever the gate sets
    landing = run_checkpoint("opendata_raw_landing", url)
    assert landing.success, landing.summary()
    assert landing.evaluated >= 25

    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(GX_ROOT))
    gate = {v.name for v in context.checkpoints.get("marts_gate").validation_definitions}
    for name in ("marts_opendata_freshness", "marts_opendata_catalog_growth"):
        assert name in gate
        result = context.validation_definitions.get(name).run(result_format="SUMMARY")
        assert result.success, [r.expectation_config.type for r in result.results if not r.success]


# --- the demo's headline ------------------------------------------------------------------------


def test_headline_reads_the_published_marts(warehouse, scenario):
    from tyndau.headlines.opendata import headline

    url, _ = warehouse
    with psycopg.connect(url, autocommit=True) as conn:  # published = a copy, here
        conn.execute("drop schema if exists marts cascade")
        conn.execute("create schema marts")
        for table in MARTS:
            conn.execute(f"create table marts.{table} as select * from marts_candidate.{table}")
    lines = headline(url, SNAPSHOT).splitlines()
    assert 2 <= len(lines) <= 4
    assert lines[0] == (
        "Open data: 2,100 datasets at 2017-12-31 (1,900 a year before, +10.5%); 70.0% up to date"
    )
    # by default the latest year end, the scenario's today
    after = len(scenario.active(TODAY)), len(scenario.active(dt.date(2020, 12, 31)))
    fresh = len(scenario.up_to_date(TODAY)) / after[0] * 100
    assert headline(url).splitlines()[0] == (
        f"Open data: {after[0]:,} datasets at 2021-12-31 ({after[1]:,} a year before, "
        f"{(after[0] - after[1]) / after[1] * 100:+.1f}%); {fresh:.1f}% up to date"
    )
    assert "no figures at 2017-06-30" in headline(url, dt.date(2017, 6, 30))


# --- failures, on databases of their own ------------------------------------------------------


def test_a_refused_key_fails_the_load_and_the_ledger_says_why(fresh_database, portal):
    wrong = "wrong-Key-that-must-not-leak"
    with pytest.raises(AuthError) as caught:
        land_opendata(fresh_database, portal.base_url, wrong, http_config=FAST)
    assert wrong not in str(caught.value)
    ((status, error, stats),) = query(
        fresh_database, "select status, error, stats::text from raw.load_ledger"
    )
    assert status == "failed" and "HTTP 403" in error
    assert wrong not in error and wrong not in stats


def test_no_key_where_the_portal_wants_one_on_detailed_too_fails_the_load(fresh_database, portal):
    watch = [WatchItem("zhol_zhondeu_zhumystary", "v2")]
    with pytest.raises(AuthError, match=r"without a key \(HTTP 403\).*OPENDATA_API_KEY"):
        land_opendata(fresh_database, portal.base_url, None, watch=watch, http_config=FAST)
    assert query(fresh_database, "select status from raw.load_ledger") == [("failed",)]


def test_under_faults_the_landing_still_reconciles(fresh_database, scenario):
    knobs = Knobs(
        error_rate=0.05,
        rate_limit_rate=0.02,
        retry_after=0,
        disguised_error_rate=0.03,
        empty_rate=0.02,
        fault_seed=5,
    )
    with OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as faulty:
        report = land_opendata(
            fresh_database,
            faulty.base_url,
            KEY,
            watch=["mektepter_kontingenti"],
            http_config=FAST,
        )
    assert report.http["retries"] > 50 and not report.failed_passports
    assert report.passports_fetched == 2840
    assert report.records["mektepter_kontingenti/v1"]["read"] == 1_250


def test_a_records_mismatch_fails_the_load_and_keeps_the_watermark(
    fresh_database, portal, monkeypatch
):
    watch = ["zhol_zhondeu_zhumystary"]
    land_opendata(fresh_database, portal.base_url, KEY, watch=watch, http_config=FAST)
    real_search = sandbox_server.search

    def loses_one(records, source, window):
        total, hits = real_search(records, source, window)
        return total + 1, hits  # the API promises one more than it sends

    monkeypatch.setattr(sandbox_server, "search", loses_one)
    with pytest.raises(ReconciliationError, match="zhol_zhondeu_zhumystary/v2"):
        land_opendata(
            fresh_database, portal.base_url, KEY, watch=watch, http_config=FAST, full_refresh=True
        )
    statuses = query(fresh_database, "select status from raw.load_ledger order by started_at")
    assert statuses == [("succeeded",), ("failed",)]
    # the failed load's watermark is not the one the next load starts from
    from ingestion.opendata.load import record_watermark

    with psycopg.connect(fresh_database) as conn:
        first = query(
            fresh_database,
            "select stats->'records' from raw.load_ledger where status = 'succeeded'",
        )[0][0]
        assert (
            record_watermark(conn, *watch, "v2")
            == (first["zhol_zhondeu_zhumystary/v2"]["watermark"])
        )


def test_incremental_records_pick_up_a_change(fresh_database, portal, scenario):
    watch = ["zhol_zhondeu_zhumystary"]
    first = land_opendata(fresh_database, portal.base_url, KEY, watch=watch, http_config=FAST)
    assert first.records["zhol_zhondeu_zhumystary/v2"]["read"] == 60
    records = scenario.records[("zhol_zhondeu_zhumystary", "v2")]
    original = dict(records[7])
    try:
        records[7] = original | {"value": -1, "updated_at": "2018-01-15T10:00:00"}
        second = land_opendata(fresh_database, portal.base_url, KEY, watch=watch, http_config=FAST)
    finally:
        records[7] = original
    figures = second.records["zhol_zhondeu_zhumystary/v2"]
    assert figures["since"] == first.records["zhol_zhondeu_zhumystary/v2"]["watermark"]
    assert figures["rows_inserted"] == 1 and figures["read"] <= 2
    assert figures["watermark"] == "2018-01-15T10:00:00"
    assert query(
        fresh_database,
        "select count(*) from raw.opendata_records where record_key = %s",
        [str(original["id"])],
    ) == [(2,)]


def test_implausible_dates_are_set_aside_with_their_reasons_and_the_rest_lands(
    fresh_database, scenario
):
    uri = "zhol_zhondeu_zhumystary"  # its latest version v2 has the modification field updated_at
    knobs = Knobs(implausible_date_uris=(uri,))
    with OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as odd:
        report = land_opendata(fresh_database, odd.base_url, KEY, watch=[uri], http_config=FAST)
    after = "implausible modifiedDate 2099-01-01: after the observation day"
    assert report.catalogue_total == 2840 and report.dataset_rows_inserted == 2839
    assert [(item.api_uri, after in item.reason) for item in report.rejected_datasets] == [
        (uri, True)
    ]
    ((failed, reason),) = report.failed_passports
    assert failed == uri and f"/meta/{uri}/v2: {after}" in reason
    assert report.passports_fetched == report.passport_rows_inserted == 2839
    figures = report.records[f"{uri}/v2"]
    assert (figures["read"], figures["rows_inserted"], figures["rejected"]) == (60, 59, 1)
    last = scenario.records[(uri, "v2")][-1]
    ((where, reason),) = report.rejected_records
    assert where == f"{uri}/v2"
    assert reason.startswith(f"record id {last['id']}: implausible updated_at 2099-01-01: after")
    # the watermark the next load starts from is a plausible one: later changes are still read
    assert figures["watermark"] == max(r["updated_at"] for r in scenario.records[(uri, "v2")][:-1])
    for table in ("opendata_datasets", "opendata_passports", "opendata_records"):
        assert query(
            fresh_database,
            f"select count(*) from raw.{table} where payload::text like '%%2099-01-01%%'",
        ) == [(0,)]
    assert query(
        fresh_database,
        "select count(*) from raw.opendata_records where record_key = %s",
        [str(last["id"])],
    ) == [(0,)]
    ((status, stats),) = query(fresh_database, "select status, stats from raw.load_ledger")
    assert status == "succeeded"
    totals = ("rejected_datasets_total", "failed_passports_total", "rejected_records_total")
    assert [stats[name] for name in totals] == [1, 1, 1]
    assert stats["rejected_records"] == [[f"{uri}/v2", reason]]


# --- the variants public clients report of the real portal (docs/sources.md section 2) --------
# getdatasets answering 405 (the catalogue by POST getdatasetsre), Elasticsearch 2.x mappings,
# "+06:00" dates, a dataset published as version "data", unknown periodicity values — at once.
# The load succeeds, unknown periodicities are counted apart (report, ledger, marts), and the
# marts still give the figures computed here again from the scenario.

VARIANTS = Knobs(
    catalogue_get_status=405,
    es2_mappings=True,
    offset_dates=True,
    data_version_uris=("mektepter_kontingenti",),
    unknown_periodicities=30,
)
WATCH = [
    WatchItem("mektepter_kontingenti"),  # its only version is "data"
    WatchItem(
        "zhol_zhondeu_zhumystary"
    ),  # updated_at: "string" in the mapping, Datetime in the passport
    WatchItem("zhol_zhondeu_zhumystary", "v1", None, "region"),  # a field named in the watch file
]


@pytest.fixture(scope="module")
def variant_portal(scenario):
    with OpendataSandbox(scenario, knobs=VARIANTS, api_key=KEY) as running:
        yield running


@pytest.fixture(scope="module")
def variant_warehouse(pg_server, variant_portal, tmp_path_factory):
    """Every variant at once, landed and built like `warehouse`."""
    portal = variant_portal
    name = "t_opendata_variants"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f"create database \"{name}\" template template0 encoding 'UTF8' locale 'C'")
    url = with_database(pg_server, name)
    ensure_raw_tables(url)
    report = land_opendata(url, portal.base_url, KEY, watch=WATCH, http_config=FAST)
    run_dbt(url, tmp_path_factory.mktemp("dbt_opendata_variants"))
    return url, report


def test_every_variant_lands_and_unknown_periodicities_are_counted_apart(
    variant_warehouse, variant_portal
):
    url, report = variant_warehouse
    portal = variant_portal
    assert report.catalogue_total == 2840 and report.catalogue_variant == "POST getdatasetsre"
    assert report.passports_fetched == 2840 and not report.failed_passports
    unknown = portal.unknown_periodicity_uris
    assert sorted(report.unknown_periodicity_datasets) == sorted(unknown)
    assert report.unknown_periodicities == {"ежемесячно": 15, "by request": 15}
    records = report.records
    assert records["mektepter_kontingenti/data"]["read"] == 1_250
    assert records["zhol_zhondeu_zhumystary/v2"]["modification_field"] == "updated_at"
    assert records["zhol_zhondeu_zhumystary/v2"]["modification_field_from"] == (
        "mapping or passport"
    )
    assert records["zhol_zhondeu_zhumystary/v1"]["modification_field_from"] == "watch file"
    # the watermark is one of the records' own "+06:00" dates, sent back as it came
    assert records["zhol_zhondeu_zhumystary/v2"]["watermark"].endswith("+06:00")
    ((stats,),) = query(url, "select stats from raw.load_ledger where status = 'succeeded'")
    assert stats["unknown_periodicity_total"] == 30
    assert stats["unknown_periodicities"] == {"ежемесячно": 15, "by request": 15}
    # landed as seen
    seen = query(
        url,
        "select payload->>'periodicity', count(*) from raw.opendata_passports "
        "where payload->>'periodicity' in ('ежемесячно', 'by request') group by 1 order by 1",
    )
    assert seen == [("by request", 15), ("ежемесячно", 15)]


def test_the_marts_leave_unknown_periodicities_out_of_the_share(
    variant_warehouse, scenario, variant_portal
):
    url, _ = variant_warehouse
    portal = variant_portal
    unknown = set(portal.unknown_periodicity_uris)
    active = scenario.active(SNAPSHOT)
    judged = [d for d in active if d.api_uri not in unknown]
    fresh = [d for d in scenario.up_to_date(SNAPSHOT) if d.api_uri not in unknown]
    totals = query(
        url,
        "select sum(datasets), sum(up_to_date), sum(unknown_periodicity), sum(archived) "
        "from marts_candidate.opendata_freshness where snapshot_date = %s",
        [SNAPSHOT],
    )
    assert totals == [(len(judged), len(fresh), len(unknown & {d.api_uri for d in active}), 40)]
    growth = query(
        url,
        "select datasets, datasets_year_before from marts_candidate.opendata_catalog_growth "
        "where as_of = %s",
        [SNAPSHOT],
    )
    assert growth == [(2100, 1900)]  # unknown periodicity or not, they are on the lists
    flagged = query(
        url,
        "select count(*) from intermediate.int_opendata_datasets__described "
        "where periodicity_unknown",
    )
    assert flagged == [(30,)]


def test_offset_dates_are_read_as_almaty_time(variant_warehouse, scenario):
    url, _ = variant_warehouse
    first = scenario.datasets[0]  # date-only "+06:00" in this variant
    second = scenario.datasets[1]  # ISO time "+06:00"
    rows = dict(
        query(
            url,
            "select api_uri, modified_at from staging.stg_opendata__datasets "
            "where api_uri in (%s, %s)",
            [first.api_uri, second.api_uri],
        )
    )
    assert rows[first.api_uri] == dt.datetime.combine(first.modified.date(), dt.time())
    assert rows[second.api_uri] == second.modified


def test_without_a_key_the_catalogue_and_named_versions_land_keyless(fresh_database, scenario):
    knobs = Knobs(keyless_detailed=True)
    watch = [WatchItem("zhol_zhondeu_zhumystary", "v2"), WatchItem("mektepter_kontingenti")]
    with OpendataSandbox(scenario, knobs=knobs, api_key=KEY) as keyless:
        with pytest.raises(OpendataError, match="name the version in the watch file"):
            land_opendata(fresh_database, keyless.base_url, None, watch=watch, http_config=FAST)
        report = land_opendata(
            fresh_database, keyless.base_url, None, watch=watch[:1], http_config=FAST
        )
        asked = [r.path for r in keyless.requests if r.path.startswith("/api/")]
    assert report.keyless and report.catalogue_total == 2840
    # every passport but the one the failed load landed (zhol…/v2, read before it failed)
    assert report.passports_skipped_without_key == report.passports_needed == 2839
    assert report.passports_fetched == 0
    assert report.records["zhol_zhondeu_zhumystary/v2"]["read"] == 60
    assert report.records_variant == "/api/detailed keyless"
    # the passport of the watched version still lands, and tells the modification field
    assert report.records["zhol_zhondeu_zhumystary/v2"]["modification_field"] == "updated_at"
    assert asked and all(p.startswith("/api/detailed/") and "apiKey" not in p for p in asked)
    statuses = query(fresh_database, "select status from raw.load_ledger order by started_at")
    assert statuses == [("failed",), ("succeeded",)]


def test_an_api_echoing_the_key_in_errors_leaks_it_nowhere(fresh_database, scenario, caplog):
    from types import SimpleNamespace

    from tyndau.orchestration.alerts import failure_alert

    caplog.set_level(logging.DEBUG)
    key = "echoed-Key-that-must-not-leak"
    knobs = Knobs(echo_request_in_errors=True)
    with (
        OpendataSandbox(scenario, knobs=knobs, api_key=key) as echoing,
        pytest.raises(OpendataError) as caught,
    ):
        land_opendata(
            fresh_database, echoing.base_url, key, watch=["no_such_dataset"], http_config=FAST
        )
    ((error, stats),) = query(fresh_database, "select error, stats::text from raw.load_ledger")
    assert "'apiKey': '***'" in error  # the echo came back, masked
    ti = SimpleNamespace(
        dag_id="opendata_ingest", task_id="land", run_id="r", try_number=1, log_url="http://l"
    )
    alert = failure_alert({"ti": ti, "exception": caught.value})
    for where in (str(caught.value), error, stats, caplog.text, json.dumps(alert)):
        assert key not in where


def test_a_capped_total_count_lands_everything_and_the_ledger_counts_the_excess(
    fresh_database, scenario
):
    with OpendataSandbox(scenario, knobs=Knobs(total_cap=2_000), api_key=KEY) as capped:
        report = land_opendata(
            fresh_database, capped.base_url, KEY, watch=["mektepter_kontingenti"], http_config=FAST
        )
    ((stats,),) = query(fresh_database, "select stats from raw.load_ledger")
    assert stats["catalogue_total"] == 2000 and stats["catalogue_beyond_total"] == 840
    assert report.dataset_rows_inserted == 2840
    assert query(fresh_database, "select count(distinct api_uri) from raw.opendata_datasets") == [
        (2840,)
    ]
    assert stats["records"]["mektepter_kontingenti/v1"]["read"] == 1_250  # under the cap
