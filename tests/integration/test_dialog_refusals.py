"""What a crawl of the sandbox portal refuses to land, and what it still reads right: impossible
values, pages in another charset than declared, hidden cards, the same appeal on two blogs, a
registry row whose region does not exist. Real Postgres, the real sandbox server."""

from __future__ import annotations

import psycopg

from ingestion.common.http import HttpConfig
from ingestion.dialog import land_dialog
from ingestion.dialog.registry import REGIONS_SEED
from sandbox.dialog import render
from sandbox.dialog.markup import EVIDENCED, markup_named
from sandbox.dialog.render import served_records
from sandbox.dialog.scenario import build_scenario, write_registry
from sandbox.dialog.server import DialogSandbox, Knobs

BLOGS = (100010, 32792)  # 95 and 75 appeals
FAST = HttpConfig(backoff_factor=0.01, backoff_jitter=0, max_attempts=2)


def landed(url: str) -> dict[str, dict]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select distinct on (number) number, payload from raw.dialog_appeals "
            "order by number, observed_at desc"
        ).fetchall()
    return dict(rows)


def rejects(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r for (r,) in conn.execute("select reason from raw.dialog_rejects")]


def test_cards_with_impossible_values_are_rejects_and_the_rest_lands(fresh_database, tmp_path):
    scenario = build_scenario()
    registry = write_registry(tmp_path / "blogs.csv", BLOGS)
    every = 3
    odd = {
        a.number: a
        for b in BLOGS
        for a in scenario.appeals_by_blog[b]
        if render.is_implausible(a, every)
    }
    assert any(a.status == "pending" for a in odd.values())  # a card dated 01.01.2099
    assert any(a.status != "pending" for a in odd.values())  # a card with 10^20 views
    with DialogSandbox(scenario, knobs=Knobs(implausible_every=every)) as portal:
        report = land_dialog(
            fresh_database, portal.base_url, registry, http_config=FAST, max_reject_share=1.0
        )
    expected = {n: p for n, p in served_records(scenario, BLOGS, EVIDENCED).items() if n not in odd}
    assert landed(fresh_database) == expected  # every other card, none of the odd ones
    assert report.rejects == len(odd)
    assert report.cards_seen == len(expected) + len(odd)
    reasons = rejects(fresh_database)
    assert len(reasons) == len(odd)
    assert sum(
        "implausible submitted_on 2099-01-01: after the observation day" in r for r in reasons
    ) == sum(a.status == "pending" for a in odd.values())
    assert sum("implausible views 100000000000000000000" in r for r in reasons) == sum(
        a.status != "pending" for a in odd.values()
    )


def test_pages_in_windows_1251_without_or_with_a_wrong_charset_land_as_their_text(
    fresh_database, tmp_path
):
    scenario = build_scenario()
    registry = write_registry(tmp_path / "blogs.csv", BLOGS)
    expected = served_records(scenario, BLOGS, EVIDENCED)
    for declared in (None, "utf-8", "iso-8859-1"):
        knobs = Knobs(page_charset="windows-1251", declared_charset=declared)
        with DialogSandbox(scenario, knobs=knobs) as portal:
            report = land_dialog(
                fresh_database, portal.base_url, registry, http_config=FAST, full_refresh=True
            )
        assert report.failed_pages == [] and report.rejects == 0, declared
        assert landed(fresh_database) == expected, declared  # no 'Р–РљРҐ', no '?'


def test_a_registry_row_with_an_unknown_region_is_a_reject_and_staging_follows_the_registry(
    fresh_database, tmp_path
):
    scenario = build_scenario()
    registry = write_registry(tmp_path / "blogs.csv", (*BLOGS, 100033))
    text = registry.read_text(encoding="utf-8")
    assert ",33\n" in text  # Жетісу's akimat, KATO 33
    with DialogSandbox(scenario) as portal:
        first = land_dialog(fresh_database, portal.base_url, registry, http_config=FAST)
        assert first.registry_rejects == []
        registry.write_text(text.replace(",33\n", ",99\n"), encoding="utf-8")
        portal.clear_log()
        second = land_dialog(fresh_database, portal.base_url, registry, http_config=FAST)
        crawled = {r.path.split("/")[2] for r in portal.requests if "/questions" in r.path}
    assert second.registry_rejects == [
        "registry row of blog 100033: region_kato '99' is no region of "
        "dbt_project/seeds/regions.csv"
    ]
    assert crawled == {str(b) for b in BLOGS}  # 100033 is not crawled
    assert any("region_kato '99'" in r for r in rejects(fresh_database))
    with psycopg.connect(fresh_database) as conn:
        latest = dict(
            conn.execute(
                "select distinct on (blog_id) blog_id, payload from raw.dialog_blogs "
                "order by blog_id, observed_at desc, content_hash"
            ).fetchall()
        )
        assert latest[100033] == {"blog_id": "100033", "unlisted": True}
        assert all(latest[b]["region_kato"] != "99" for b in BLOGS)
        # the row fixed again: listed again, with its region
        registry.write_text(text, encoding="utf-8")
        with DialogSandbox(scenario) as portal:
            third = land_dialog(fresh_database, portal.base_url, registry, http_config=FAST)
        assert third.registry_rejects == []
        payload = conn.execute(
            "select payload from raw.dialog_blogs where blog_id = 100033 "
            "order by observed_at desc limit 1"
        ).fetchone()[0]
        assert payload["region_kato"] == "33"


def test_the_regions_are_those_of_the_seed_the_caller_names(fresh_database, tmp_path):
    """An installed tyndau has no checkout's dbt_project/ beside ingestion: it names its own
    copy of the seed (tyndau.settings.REGIONS_SEED)."""
    registry = write_registry(tmp_path / "blogs.csv", (*BLOGS, 100033))
    seed = tmp_path / "regions.csv"
    lines = REGIONS_SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    seed.write_text("".join(line for line in lines if not line.startswith("33,")))
    with DialogSandbox(build_scenario()) as portal:
        report = land_dialog(
            fresh_database, portal.base_url, registry, http_config=FAST, regions_seed=seed
        )
    assert [r.split(":")[0] for r in report.registry_rejects] == ["registry row of blog 100033"]


def test_hidden_copies_of_the_cards_never_land_and_the_counts_reconcile(fresh_database, tmp_path):
    scenario = build_scenario()
    registry = write_registry(tmp_path / "blogs.csv", BLOGS)
    hidden = markup_named("hidden copies of the cards")
    with DialogSandbox(scenario, knobs=Knobs(markup=hidden)) as portal:
        report = land_dialog(fresh_database, portal.base_url, registry, http_config=FAST)
        page = portal.handle("/blogs/32792/questions?page=1").body.decode()
    assert page.count("<noscript>") and page.count("<template>") and page.count("<div hidden>")
    expected = served_records(scenario, BLOGS, EVIDENCED)
    assert landed(fresh_database) == expected  # no number of a hidden copy
    assert report.cards_seen == len(expected) and report.rejects == 0
    assert report.rows_inserted == len(expected)
    assert rejects(fresh_database) == []
