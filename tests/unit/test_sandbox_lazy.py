"""The sandbox at any size: appeals made page by page, the same every time, served as usual."""

from __future__ import annotations

import requests

from ingestion.dialog.parse import parse_listing
from sandbox.dialog.lazy import build_lazy_scenario
from sandbox.dialog.render import CARDS_PER_PAGE, total_pages
from sandbox.dialog.scenario import BODY_TARGETS, load_registry
from sandbox.dialog.server import DialogSandbox

ALMATY = 100075


def test_millions_of_appeals_are_shared_out_like_the_scenario_and_cost_nothing_to_hold():
    scenario = build_lazy_scenario(3_000_000)
    sizes = {blog_id: len(listing) for blog_id, listing in scenario.appeals_by_blog.items()}
    assert abs(sum(sizes.values()) - 3_000_000) <= len(sizes)
    assert set(sizes) == {b.blog_id for b in load_registry()}
    weights = {b.blog_id: BODY_TARGETS[b.gov_body_code].appeals for b in scenario.blogs}
    share = sizes[ALMATY] / sum(sizes.values())
    assert abs(share - weights[ALMATY] / sum(weights.values())) < 1e-4


def test_a_listing_is_deterministic_newest_first_with_pending_on_top():
    listing = build_lazy_scenario(200_000).appeals_by_blog[ALMATY]
    again = build_lazy_scenario(200_000).appeals_by_blog[ALMATY]
    cards = listing[:2000] + listing[-2000:]
    assert cards == again[:2000] + again[-2000:]
    ids = [a.question_id for a in cards]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    days = [a.submitted_on for a in cards]
    assert days == sorted(days, reverse=True)
    statuses = [a.status for a in listing[:20_000:7]]
    first_settled = next(i for i, s in enumerate(statuses) if s != "pending")
    assert first_settled > 0 and "pending" not in statuses[first_settled:]
    settled = listing[-5000:]
    assert {a.status for a in settled} == {"answered", "rejected"}
    assert {a.rating for a in settled} == {None, "positive", "negative"}
    assert all(a.answered_on >= a.submitted_on for a in settled if a.status == "answered")


def test_the_sandbox_serves_a_lazy_listing_page_by_page():
    scenario = build_lazy_scenario(100_000)
    listing = scenario.appeals_by_blog[ALMATY]
    last = total_pages(len(listing))
    with DialogSandbox(scenario) as portal:
        for page in (1, last):
            url = f"{portal.base_url}/blogs/{ALMATY}/questions?page={page}"
            parsed = parse_listing(requests.get(url, timeout=10).text, url)
            assert parsed.total_pages == last and not parsed.rejects
            expected = listing[(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
            assert [c["number"] for c in parsed.cards] == [a.number for a in expected]
            assert [c["status"] for c in parsed.cards] == [a.status for a in expected]
            assert [c["question_id"] for c in parsed.cards] == [
                a.question_id if a.status == "answered" else None for a in expected
            ]
        assert {a.status for a in listing[:CARDS_PER_PAGE]} == {"pending"}  # page 1: none shown
        assert "answered" in {a.status for a in listing[-CARDS_PER_PAGE:]}
