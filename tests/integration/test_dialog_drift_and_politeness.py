"""Against the sandbox portal: page drift loses and doubles nothing; the crawler is polite."""

from __future__ import annotations

import psycopg

from ingestion.common.http import PROJECT_URL
from ingestion.dialog import land_dialog
from sandbox.dialog.markup import EVIDENCED
from sandbox.dialog.render import card_record, card_view
from sandbox.dialog.scenario import build_scenario, write_registry
from sandbox.dialog.server import DialogSandbox, Knobs

DRIFTING, STEADY = 100033, 32792  # 351 appeals (36 pages), 75 (8 pages)


def landed(url: str, blog_id: int) -> list[tuple[str, dict]]:
    """Every row raw holds for a blog's appeals: (registration number, payload)."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select number, payload from raw.dialog_appeals where blog_id = %s",
            (blog_id,),
        ).fetchall()


def test_appeals_arriving_during_a_crawl_are_neither_lost_nor_doubled(fresh_database, tmp_path):
    """Insertions push cards down: a card is seen twice and landed once. (The sandbox does not
    withdraw appeals, which would pull cards up and let one be skipped: see ``crawl``.)"""
    registry = write_registry(tmp_path / "blogs.csv", (DRIFTING, STEADY))
    scenario = build_scenario()
    at_start = {a.number: a for a in scenario.appeals_by_blog[DRIFTING]}
    drift = Knobs(drift_every=4, drift_blog_ids=(DRIFTING,), fault_seed=7)
    with DialogSandbox(scenario, knobs=drift) as portal:
        report = land_dialog(fresh_database, portal.base_url, registry)
    arrived = [a for a in scenario.appeals_by_blog[DRIFTING] if a.number not in at_start]
    assert len(arrived) >= 5, "too little drift to prove anything"

    rows = landed(fresh_database, DRIFTING)
    ids = [qid for qid, _ in rows]
    assert len(ids) == len(set(ids))  # landed once
    assert set(at_start) <= set(ids)  # none of the appeals there at the start was lost
    assert set(ids) <= set(at_start) | {a.number for a in arrived}
    blog = scenario.blog(DRIFTING)
    for number, payload in rows:
        if number in at_start:
            view = card_view(blog, at_start[number], EVIDENCED, scenario.today)
            assert payload == card_record(view, EVIDENCED)
    detail = report.per_blog[str(DRIFTING)]
    assert detail["stop"] == "end of listing" and detail["failed_pages"] == []
    assert detail["cards_seen"] > len(ids)  # some cards were seen twice

    with DialogSandbox(scenario) as calm:  # the next run lands what arrived behind the crawl
        land_dialog(fresh_database, calm.base_url, registry)
    ids = [qid for qid, _ in landed(fresh_database, DRIFTING)]
    assert len(ids) == len(set(ids))
    assert set(ids) == {a.number for a in scenario.appeals_by_blog[DRIFTING]}


def test_the_crawler_reads_robots_first_keeps_the_crawl_delay_and_says_who_it_is(
    fresh_database, tmp_path
):
    registry = write_registry(tmp_path / "blogs.csv", (STEADY,))
    scenario = build_scenario(scale=0.3)  # 22 appeals: 3 pages
    with DialogSandbox(scenario, knobs=Knobs(crawl_delay=1)) as portal:
        report = land_dialog(fresh_database, portal.base_url, registry)
        requests = portal.requests
        disallowed = portal.disallowed_requests()

    assert report.failed_pages == [] and report.rows_inserted == 22
    paths = [r.path for r in requests]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert [p for p in paths if "/questions" in p] == [
        f"/blogs/{STEADY}/questions?page={n}" for n in (1, 2, 3)
    ]
    gaps = [b.at - a.at for a, b in zip(requests, requests[1:], strict=False)]
    assert len(gaps) == 4 and min(gaps) >= 1.0, gaps
    assert disallowed == []
    assert {r.user_agent for r in requests} == {r.user_agent for r in requests[:1]}
    assert requests[0].user_agent.startswith("tyndau/") and PROJECT_URL in requests[0].user_agent
    assert report.requests_made == len(requests)
    assert report.http["seconds_waited_for_crawl_delay"] >= 3.5


def test_a_configured_min_delay_holds_and_the_longer_of_two_wins(fresh_database, tmp_path):
    """The session's own min_delay (HttpConfig) is kept beside the landing's: the longer wins
    (the landing once replaced the configured one with its own, 0 by default)."""
    from ingestion.common.http import HttpConfig

    registry = write_registry(tmp_path / "blogs.csv", (STEADY,))
    scenario = build_scenario(scale=0.3)  # 3 pages
    for configured, floor in ((0.6, 0.0), (0.0, 0.6), (0.6, 0.1)):
        with DialogSandbox(scenario, knobs=Knobs(crawl_delay=0)) as portal:
            land_dialog(
                fresh_database,
                portal.base_url,
                registry,
                full_refresh=True,
                min_delay=floor,
                http_config=HttpConfig(min_delay=configured),
            )
            gaps = [b.at - a.at for a, b in zip(portal.requests, portal.requests[1:], strict=False)]
        assert len(gaps) >= 3 and min(gaps) >= 0.6, (configured, floor, gaps)
