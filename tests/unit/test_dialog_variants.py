"""Every markup variant of the sandbox, crawled over real HTTP: the records are the appeals.

For each variant in ``sandbox.dialog.markup.VARIANTS`` a real ``DialogSandbox`` serves a small
scenario and ``DialogCrawler.crawl_blog`` walks three blogs through a ``PoliteSession``:
Almaty city's akimat (pending, rejected, follow-ups, second answers; a short last page), the
Ministry of Finance (a full last page: the crawler looks one page past the pager) and the
Ministry for Emergencies (one page). The records must be the scenario's appeals exactly as
the variant shows them, each once, none rejected. The broken variants must fail loudly.

Saved pages (tests/fixtures/dialog/variants/<slug>.html, one per variant) must still parse
exactly like the page the sandbox serves now, so that a sandbox change altering a shape is
noticed. ``python tests/unit/test_dialog_variants.py`` writes them anew (see the README there).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ingestion.common.http import HttpConfig, PoliteSession
from ingestion.dialog.crawl import BlogWalk, DialogCrawler, UnrecognisedListing
from ingestion.dialog.parse import RECORD_KEYS, ListingPage, parse_listing
from sandbox.dialog import Appeal, Blog, DialogSandbox, Knobs, Scenario, build_scenario
from sandbox.dialog.markup import BROKEN_VARIANTS, VARIANTS, Markup, teaser
from sandbox.dialog.render import (
    CARDS_PER_PAGE,
    EXTRA_ANSWER,
    EXTRA_ANSWER_DAYS,
    card_record,
    card_view,
    total_pages,
)

SCALE = 0.02  # 1,000 appeals: the three blogs below in well under a second per variant
ALMATY, FINANCE, EMERGENCIES = 100075, 32781, 32792
BLOGS = (ALMATY, FINANCE, EMERGENCIES)
HTTP = HttpConfig(max_attempts=1, connect_timeout=5, read_timeout=10)  # no faults: no retries
ALL_VARIANTS = VARIANTS | BROKEN_VARIANTS
SEPARATOR = "\n\n"  # how a record joins paragraphs
NUMBER_IN_CARD = re.compile(r'<i class="fa fa-pencil"></i>\s*(?:№\s*)?(\S+)</li>')

# The saved pages: page 2 of the Kostanay akimat's blog under seed 49 holds answered, pending
# and rejected cards, a follow-up, a rated answer and an appeal answered twice.
SAVED = Path(__file__).resolve().parents[1] / "fixtures" / "dialog" / "variants"
SAVED_SEED, SAVED_SCALE, SAVED_BLOG, SAVED_PAGE = 49, 0.05, 294912, 2
SAVED_PATH = f"/blogs/{SAVED_BLOG}/questions?page={SAVED_PAGE}"
SAVED_URL = "http://dialog.sandbox" + SAVED_PATH


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario(seed=2021, scale=SCALE)


def expected_record(blog: Blog, appeal: Appeal, markup: Markup, today: date) -> dict:
    """The record a crawl must make of `appeal` under `markup`, written out from the appeal and
    the knobs (independently of the sandbox's own card_record)."""
    answered = appeal.status == "answered"
    if markup.legacy:  # the earlier card: every text whole, every card linked
        text: str | None = SEPARATOR.join(appeal.text)
    elif not answered:  # only the status sentence [seen]
        text = None
    else:
        text = teaser(appeal.text) if markup.teaser else SEPARATOR.join(appeal.text)
    answers = []
    if answered:
        rating = appeal.rating if markup.ratings else None
        answers.append(answer(appeal.responder, appeal.answered_on, appeal.answer_text, rating))
        later = appeal.answered_on + timedelta(days=EXTRA_ANSWER_DAYS)
        every = 0 if markup.legacy else markup.extra_answer_every
        if every and appeal.question_id % every == 0 and later <= today:
            answers.append(answer(appeal.responder, later, EXTRA_ANSWER, None))
    ratings = [a["rating"] for a in answers if a["rating"] is not None]
    record = {
        "number": appeal.number,
        "question_id": appeal.question_id if answered or markup.legacy else None,
        "applicant": appeal.applicant,
        "text": text,
        "category": appeal.category,
        "submitted_on": appeal.submitted_on.isoformat(),
        "views": appeal.views,
        "status": appeal.status,
        "answers": answers,
        "responder": answers[0]["responder"] if answers else None,
        "answered_on": answers[0]["answered_on"] if answers else None,
        "last_answered_on": answers[-1]["answered_on"] if answers else None,
        "rating": ratings[-1] if ratings else None,
        "rejected_on": appeal.rejected_on.isoformat() if appeal.rejected_on else None,
    }
    assert list(record) == list(RECORD_KEYS)
    # The sandbox's own ground truth (what its other tests rely on) must say the same.
    assert card_record(card_view(blog, appeal, markup, today), markup) == record
    return record


def answer(responder, day: date, paragraphs: tuple[str, ...], rating) -> dict:
    return {
        "responder": responder,
        "answered_on": day.isoformat(),
        "text": SEPARATOR.join(paragraphs),
        "rating": rating,
    }


def expected_records(scenario: Scenario, blog_id: int, markup: Markup, appeals=None) -> list:
    blog = scenario.blog(blog_id)
    appeals = scenario.appeals_by_blog[blog_id] if appeals is None else appeals
    return [expected_record(blog, a, markup, scenario.today) for a in appeals]


def crawl(base_url: str, blog_id: int) -> tuple[list[ListingPage], BlogWalk]:
    walk = BlogWalk(blog_id)
    with PoliteSession(HTTP) as session:
        crawler = DialogCrawler(session, base_url)
        pages = [page for _, page in crawler.crawl_blog(blog_id, walk=walk)]
    return pages, walk


def listing_pages_requested(sandbox: DialogSandbox, blog_id: int) -> list[int]:
    """The page numbers of the blog's listing requested, in order."""
    pages = []
    for record in sandbox.requests:
        url = urlsplit(record.path)
        if url.path == f"/blogs/{blog_id}/questions":
            pages.append(int(parse_qs(url.query)["page"][0]))
    return pages


def expected_stop_reason(appeals: int, markup: Markup) -> str:
    """The end of the listing. After a full last page the crawler asks for one page more (a
    pager may understate); the last page again there ends the walk as a repeated page."""
    full = appeals % CARDS_PER_PAGE == 0
    if full and markup.past_end == "last":
        return f"repeated page {total_pages(appeals) + 1}"
    return "end of listing"


def test_the_blogs_crawled_hold_every_shape(scenario):
    almaty = scenario.appeals_by_blog[ALMATY]
    assert {a.status for a in almaty} == {"answered", "pending", "rejected"}
    assert any("/" in a.number for a in almaty)
    assert any(a.question_id % VARIANTS["evidenced"].extra_answer_every == 0 for a in almaty)
    assert len(almaty) % CARDS_PER_PAGE and total_pages(len(almaty)) > 10
    assert len(scenario.appeals_by_blog[FINANCE]) % CARDS_PER_PAGE == 0  # a full last page
    assert total_pages(len(scenario.appeals_by_blog[EMERGENCIES])) == 1


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_crawls_to_exactly_the_appeals(scenario, variant):
    markup = VARIANTS[variant]
    with DialogSandbox(scenario, knobs=Knobs(markup=markup)) as sandbox:
        for blog_id in BLOGS:
            sandbox.clear_log()
            pages, walk = crawl(sandbox.base_url, blog_id)
            requested = listing_pages_requested(sandbox, blog_id)
            appeals = scenario.appeals_by_blog[blog_id]
            assert [p.rejects for p in pages] == [[]] * len(pages), blog_id
            records = [card for page in pages for card in page.cards]
            numbers = Counter(r["number"] for r in records)
            assert set(numbers) == {a.number for a in appeals}  # none missing
            assert max(numbers.values()) == 1  # none twice
            assert records == expected_records(scenario, blog_id, markup)
            if blog_id == ALMATY:  # the shapes the variant shows were all crawled
                statuses = {r["status"] for r in records}
                assert statuses == {"answered", "pending", "rejected"}
                assert any(r["rating"] for r in records) == markup.ratings
                twice = any(len(r["answers"]) == 2 for r in records)
                assert twice == bool(markup.extra_answer_every and not markup.legacy)
            total = total_pages(len(appeals))
            assert walk.stop_reason == expected_stop_reason(len(appeals), markup), blog_id
            assert walk.reached_end
            # Every page once, and past the pager's last at most one page, once: no loop.
            assert len(requested) == len(set(requested)), requested
            assert requested[:total] == list(range(1, total + 1))
            full = len(appeals) % CARDS_PER_PAGE == 0
            assert requested[total:] == ([total + 1] if full else [])
            assert {status for _, status in sandbox.request_log} == {200}
            assert sandbox.disallowed_requests() == []


def test_a_redesigned_info_list_fails_loudly_on_page_one(scenario):
    markup = BROKEN_VARIANTS["redesigned info list"]
    with DialogSandbox(scenario, knobs=Knobs(markup=markup)) as sandbox:
        for blog_id in (ALMATY, EMERGENCIES):
            sandbox.clear_log()
            first = f"{sandbox.base_url}/blogs/{blog_id}/questions?page=1"
            with pytest.raises(UnrecognisedListing) as caught:
                crawl(sandbox.base_url, blog_id)
            assert caught.value.url == first and caught.value.page_no == 1
            assert str(caught.value).startswith(f"{first}: no appeal card found on page 1")
            assert listing_pages_requested(sandbox, blog_id) == [1]


def test_a_card_without_its_calendar_item_is_a_reject_every_time(scenario):
    markup = BROKEN_VARIANTS["no calendar item"]
    with DialogSandbox(scenario, knobs=Knobs(markup=markup)) as sandbox:
        for blog_id in BLOGS:
            pages, walk = crawl(sandbox.base_url, blog_id)
            appeals = scenario.appeals_by_blog[blog_id]
            assert [card for page in pages for card in page.cards] == []
            rejects = [reject for page in pages for reject in page.rejects]
            assert {r.reason for r in rejects} == {"missing required field: submitted_on"}
            shown = [NUMBER_IN_CARD.search(r.fragment)[1] for r in rejects]
            assert shown == [a.number for a in appeals]  # every card, once, in order
            assert walk.stop_reason == expected_stop_reason(len(appeals), markup)


# --- saved pages --------------------------------------------------------------------------------


def slug(name: str) -> str:
    """A variant's file name: "numbers with №" → "numbers-with-no"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("№", "no")).strip("-")


def saved_scenario() -> Scenario:
    return build_scenario(seed=SAVED_SEED, scale=SAVED_SCALE)


def live_page(scenario: Scenario, markup: Markup) -> bytes:
    """The saved page as the sandbox serves it now (the body its HTTP handler would send)."""
    response = DialogSandbox(scenario, knobs=Knobs(markup=markup)).handle(SAVED_PATH)
    assert response.status == 200
    return response.body


def write_saved_pages() -> list[Path]:
    """The generator of tests/fixtures/dialog/variants/: one saved page per variant."""
    scenario = saved_scenario()
    SAVED.mkdir(parents=True, exist_ok=True)
    written = []
    for name, markup in ALL_VARIANTS.items():
        path = SAVED / f"{slug(name)}.html"
        path.write_bytes(live_page(scenario, markup))
        written.append(path)
    return written


@pytest.fixture(scope="module")
def saved_page_scenario() -> Scenario:
    return saved_scenario()


def parsed(html: bytes) -> tuple:
    """Everything parse_listing makes of a page, the forms each card's fields took included."""
    page = parse_listing(html, SAVED_URL, describe=True)
    return (
        page.cards,
        page.rejects,
        page.variants,
        page.total_pages,
        page.complete,
        page.card_elements,
    )


def test_every_variant_has_one_saved_page_and_nothing_else_is_saved():
    slugs = [slug(name) for name in ALL_VARIANTS]
    assert len(set(slugs)) == len(slugs)
    saved = sorted(p.name for p in SAVED.iterdir() if p.suffix == ".html")
    assert saved == sorted(f"{s}.html" for s in slugs)


@pytest.mark.parametrize("variant", list(ALL_VARIANTS))
def test_the_saved_page_parses_exactly_like_the_served_one(saved_page_scenario, variant):
    markup = ALL_VARIANTS[variant]
    saved = (SAVED / f"{slug(variant)}.html").read_bytes()
    assert b"<script>" in saved and saved.rstrip().endswith(b"</html>")  # a page, whole
    assert parsed(saved) == parsed(live_page(saved_page_scenario, markup))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_saved_page_holds_every_card_shape_as_its_appeals(saved_page_scenario, variant):
    markup = VARIANTS[variant]
    appeals = saved_page_scenario.appeals_by_blog[SAVED_BLOG]
    on_page = appeals[(SAVED_PAGE - 1) * CARDS_PER_PAGE : SAVED_PAGE * CARDS_PER_PAGE]
    page = parse_listing((SAVED / f"{slug(variant)}.html").read_bytes(), SAVED_URL)
    assert page.rejects == [] and page.total_pages == total_pages(len(appeals))
    expected = expected_records(saved_page_scenario, SAVED_BLOG, markup, on_page)
    assert page.cards == expected
    assert {r["status"] for r in expected} == {"answered", "pending", "rejected"}
    assert any("/" in r["number"] for r in expected)  # a follow-up
    if not markup.legacy and markup.extra_answer_every:
        assert any(len(r["answers"]) == 2 for r in expected)
    assert any(r["rating"] for r in expected) == markup.ratings


def test_the_broken_saved_pages_stay_broken():
    redesigned = parse_listing((SAVED / "redesigned-info-list.html").read_bytes(), SAVED_URL)
    assert redesigned.is_empty and redesigned.cards == []
    no_calendar = parse_listing((SAVED / "no-calendar-item.html").read_bytes(), SAVED_URL)
    assert no_calendar.cards == [] and len(no_calendar.rejects) == CARDS_PER_PAGE
    assert {r.reason for r in no_calendar.rejects} == {"missing required field: submitted_on"}


if __name__ == "__main__":
    for written in write_saved_pages():
        print(written)
