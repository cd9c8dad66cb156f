"""The Open Dialogue sandbox over real HTTP: protocol, pages, faults and drift."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import urllib.robotparser
from datetime import date, timedelta

import pytest
import requests
from bs4 import BeautifulSoup

from sandbox.dialog import Appeal, Blog, DialogSandbox, Knobs, build_scenario
from sandbox.dialog.markup import LEGACY, VARIANTS, Markup, teaser
from sandbox.dialog.render import EXTRA_ANSWER, EXTRA_ANSWER_DAYS, render_card
from sandbox.dialog.server import Fault

SCALE = 0.05  # 2,000 appeals: every page shape, in milliseconds
BIG_BLOG = 100075  # Almaty: 368 appeals at this scale
TIMEOUT = 5


def listing(base_url: str, blog_id: int = BIG_BLOG, page: int = 1, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    return requests.get(f"{base_url}/blogs/{blog_id}/questions", params={"page": page}, **kwargs)


def cards(html: str) -> list:
    """A card is the element holding a ul.blog-info, no class to rely on (docs/sources.md §1)."""
    return [ul.parent for ul in BeautifulSoup(html, "html.parser").select("ul.blog-info")]


def card_info(card) -> dict[str, str]:
    """The info list's items, by their icon: fa-pencil, fa-tags, fa-calendar, fa-eye."""
    return {li.i["class"][1]: li.get_text().strip() for li in card.select("ul.blog-info > li")}


def card_numbers(html: str) -> list[str]:
    """The registration numbers of a page's cards: the one key every card shows."""
    return [card_info(c)["fa-pencil"] for c in cards(html)]


def total_pages(html: str) -> int | None:
    match = re.search(r"totalPages:\s*(\d+)", html)
    return int(match[1]) if match else None


@pytest.fixture
def scenario():
    return build_scenario(seed=2021, scale=SCALE)


@pytest.fixture
def sandbox(scenario):
    with DialogSandbox(scenario) as running:
        yield running


def serve(scenario, **knobs) -> DialogSandbox:
    sandbox = DialogSandbox(scenario, knobs=Knobs(**knobs))
    sandbox.start()
    return sandbox


# --- protocol -----------------------------------------------------------------------------------


def test_robots_txt_forbids_what_the_portal_forbids_and_announces_the_delay(scenario):
    with DialogSandbox(scenario, knobs=Knobs(crawl_delay=3, error_rate=1.0)) as sandbox:
        response = requests.get(f"{sandbox.base_url}/robots.txt", timeout=TIMEOUT)
    assert response.status_code == 200  # faults never touch robots.txt
    assert response.text == (
        "User-agent: *\nDisallow: /search\nDisallow: /blogs/search/\n"
        "Disallow: /blogs/all-questions\nCrawl-delay: 3\n"
    )
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(response.text.splitlines())
    assert robots.crawl_delay("tyndau") == 3
    for path in ("/search?q=1", "/blogs/search/294912", "/blogs/all-questions/754733"):
        assert not robots.can_fetch("tyndau", path)
    assert robots.can_fetch("tyndau", "/blogs/294912/questions?page=2")


def test_a_page_holds_ten_cards_newest_first(sandbox, scenario):
    appeals = scenario.appeals_by_blog[BIG_BLOG]
    first, second = listing(sandbox.base_url, page=1), listing(sandbox.base_url, page=2)
    assert first.status_code == second.status_code == 200
    assert first.headers["Content-Type"] == "text/html; charset=utf-8"
    served = cards(first.text) + cards(second.text)
    assert [card_info(c)["fa-pencil"] for c in served] == [a.number for a in appeals[:20]]
    ids = [a.question_id for a in appeals[:20]]
    assert ids == sorted(ids, reverse=True)  # newest first, follow-ups at their own place
    days = [date(*map(int, reversed(card_info(c)["fa-calendar"].split(".")))) for c in served]
    assert days == sorted(days, reverse=True)
    links = [c.select_one("a.readmore") for c in served]
    assert [link["href"] if link else None for link in links] == [
        f"/blogs/all-questions/{a.question_id}" if a.status == "answered" else None
        for a in appeals[:20]
    ]


def test_total_pages_and_the_last_and_past_the_end_pages(sandbox, scenario):
    count = len(scenario.appeals_by_blog[BIG_BLOG])
    pages = -(-count // 10)
    last = listing(sandbox.base_url, page=pages)
    past = listing(sandbox.base_url, page=pages + 1)
    assert total_pages(last.text) == total_pages(past.text) == pages
    assert len(cards(last.text)) == count - (pages - 1) * 10
    assert past.status_code == 200 and cards(past.text) == []
    assert "</html>" in past.text


def test_past_the_end_the_last_page_again_under_its_markup(scenario):
    pages = -(-len(scenario.appeals_by_blog[BIG_BLOG]) // 10)
    markup = VARIANTS["last page again past the end"]
    with DialogSandbox(scenario, knobs=Knobs(markup=markup)) as sandbox:
        last = listing(sandbox.base_url, page=pages).text
        for past in (pages + 1, pages + 5):
            assert listing(sandbox.base_url, page=past).text == last
    assert card_numbers(last) and total_pages(last) == pages


def test_the_page_defaults_to_one_and_must_be_a_positive_number(sandbox):
    plain = requests.get(f"{sandbox.base_url}/blogs/{BIG_BLOG}/questions", timeout=TIMEOUT)
    assert card_numbers(plain.text) == card_numbers(listing(sandbox.base_url, page=1).text)
    assert len(card_numbers(plain.text)) == 10
    assert listing(sandbox.base_url, page=0).status_code == 400
    assert listing(sandbox.base_url, page="x").status_code == 400


def test_an_unknown_blog_is_404(sandbox):
    assert listing(sandbox.base_url, blog_id=1).status_code == 404
    assert requests.get(f"{sandbox.base_url}/nowhere", timeout=TIMEOUT).status_code == 404


def test_changelang_sets_a_cookie(sandbox):
    response = requests.get(
        f"{sandbox.base_url}/application/changelang", params={"lang": "ru"}, timeout=TIMEOUT
    )
    assert response.status_code == 200 and response.cookies["_language"] == "ru"


def test_disallowed_paths_answer_and_are_logged(sandbox, scenario):
    question_id = scenario.appeals_by_blog[BIG_BLOG][0].question_id
    for path in ("/search?q=x", "/blogs/search/100075", f"/blogs/all-questions/{question_id}"):
        assert requests.get(sandbox.base_url + path, timeout=TIMEOUT).status_code == 200
    listing(sandbox.base_url)
    assert [r.path for r in sandbox.disallowed_requests()] == [
        "/search?q=x",
        "/blogs/search/100075",
        f"/blogs/all-questions/{question_id}",
    ]


def test_the_request_log_records_path_status_and_user_agent(sandbox):
    requests.get(f"{sandbox.base_url}/robots.txt", timeout=TIMEOUT)
    listing(sandbox.base_url, page=3, headers={"User-Agent": "tyndau-test"})
    listing(sandbox.base_url, blog_id=1)
    assert sandbox.request_log == [
        ("/robots.txt", 200),
        (f"/blogs/{BIG_BLOG}/questions?page=3", 200),
        ("/blogs/1/questions?page=1", 404),
    ]
    assert sandbox.requests[1].user_agent == "tyndau-test"
    sandbox.clear_log()
    assert sandbox.request_log == []


def test_concurrent_requests_are_all_served_and_logged(sandbox):
    statuses = []

    def fetch(page: int) -> None:
        statuses.append(listing(sandbox.base_url, page=page).status_code)

    threads = [threading.Thread(target=fetch, args=(p,)) for p in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 20 and len(sandbox.request_log) == 20


def test_stop_closes_the_port(scenario):
    sandbox = serve(scenario)
    base_url = sandbox.base_url
    sandbox.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/robots.txt", timeout=TIMEOUT)


# --- cards --------------------------------------------------------------------------------------

KOSTANAY = Blog(294912, "AKM39", "Акимат Костанайской области", "akimat", "39")
ANSWERED = Appeal(
    question_id=754733,
    number="754733",
    blog_id=294912,
    applicant="Иванова Алия Сериковна",
    text=("Текст обращения.", "Второй абзац & <b>не тег</b>."),
    category="Здравоохранение",
    submitted_on=date(2020, 3, 12),
    views=1153,
    status="answered",
    responder="Сапарбаев Б. М.",
    answered_on=date(2020, 3, 15),
    answer_text=("Ответ.",),
    rating="negative",
)
# docs/sources.md section 1's sketch: no class to rely on, the teaser after the info list, the
# answers hidden after the card (the rating block is [assumed]).
EXPECTED_ANSWERED_CARD = """\
<div class="row">
  <h3>Иванова Алия Сериковна</h3>
  <ul class="blog-info">
    <li><i class="fa fa-pencil"></i> 754733</li>
    <li><i class="fa fa-tags"></i> Здравоохранение</li>
    <li><i class="fa fa-calendar"></i> 12.03.2020</li>
    <li><i class="fa fa-eye"></i> 1 153</li>
  </ul>
  <p>Текст обращения. Второй абзац &amp; &lt;b&gt;не тег&lt;/b&gt;.</p>

  <a class="readmore" href="/blogs/all-questions/754733">Подробнее</a>
  <button class="btn btn-default" onclick="showAnswers(1, 754733)">Ответы</button>
</div>
<div class="row answers" id="754733" style="display:none">
  <h4>Ответы</h4>
  <p>Ответ.</p>
  <span class="answer-info">Сапарбаев Б. М.  15.03.2020</span>
  <div class="answer-rating" data-rating="negative">Не удовлетворен</div>
</div>
"""
# The card of an earlier docs/sources.md, kept as the "legacy" variant.
EXPECTED_LEGACY_ANSWERED_CARD = """\
<div class="col-xs-12 question-card">
  <h3>Иванова Алия Сериковна</h3>
  <p>Текст обращения.</p>
  <p>Второй абзац &amp; &lt;b&gt;не тег&lt;/b&gt;.</p>
  <ul class="blog-info">
    <li><i class="fa fa-pencil"></i> 754733</li>
    <li><i class="fa fa-tags"></i> Здравоохранение</li>
    <li><i class="fa fa-calendar"></i> 12.03.2020</li>
    <li><i class="fa fa-eye"></i> 1 153</li>
  </ul>
  <a class="readmore" href="/blogs/all-questions/754733">Подробнее</a>
  <div class="row answers" id="754733">
    <span class="answer-info">Сапарбаев Б. М. 15.03.2020</span>
    <div class="answer-text"><p>Ответ.</p></div>
    <div class="answer-rating" data-rating="negative">Не удовлетворен</div>
  </div>
</div>"""
PENDING = Appeal(
    754734,
    "754733/1",
    294912,
    "Иванова Алия Сериковна",
    ("Ещё.",),
    "Здравоохранение",
    date(2020, 3, 20),
    5,
)
REJECTED = Appeal(
    754735,
    "754735",
    294912,
    "Ким Олег Петрович",
    ("Текст.",),
    "Ипотека",
    date(2020, 3, 20),
    7,
    status="rejected",
    rejected_on=date(2020, 3, 21),
)
PENDING_SENTENCE = (
    "Обращение с регистрационным номером 754733/1, направленное в Блог "
    "Акимат Костанайской области находится на рассмотрении у ГО"
)
EXPECTED_PENDING_CARD = f"""\
<div class="row">
  <h3>Иванова Алия Сериковна</h3>
  <ul class="blog-info">
    <li><i class="fa fa-pencil"></i> 754733/1</li>
    <li><i class="fa fa-tags"></i> Здравоохранение</li>
    <li><i class="fa fa-calendar"></i> 20.03.2020</li>
    <li><i class="fa fa-eye"></i> 5</li>
  </ul>
  <p>{PENDING_SENTENCE}</p>

</div>
"""


def test_an_answered_card_is_exactly_the_documented_structure():
    assert render_card(ANSWERED) == EXPECTED_ANSWERED_CARD


def test_a_legacy_answered_card_is_exactly_the_earlier_structure():
    assert render_card(ANSWERED, LEGACY) == EXPECTED_LEGACY_ANSWERED_CARD


def test_a_second_answer_comes_days_later_and_is_counted_in_the_heading():
    every_ninth = dataclasses.replace(ANSWERED, question_id=754731, rating=None)
    assert every_ninth.question_id % VARIANTS["evidenced"].extra_answer_every == 0
    block = render_card(every_ninth, today=date(2020, 3, 19)).split("</div>\n", 1)[1]
    assert block == (
        '<div class="row answers" id="754731" style="display:none">\n'
        "  <h4>Ответы (2)</h4>\n"
        "  <p>Ответ.</p>\n"
        '  <span class="answer-info">Сапарбаев Б. М.  15.03.2020</span>\n'
        f"  <p>{EXTRA_ANSWER[0]}</p>\n"
        '  <span class="answer-info">Сапарбаев Б. М.  19.03.2020</span>\n'
        "</div>\n"
    )
    not_yet = render_card(every_ninth, today=date(2020, 3, 18))
    assert "<h4>Ответы</h4>" in not_yet and not_yet.count("answer-info") == 1
    one_answer = VARIANTS["full texts, one answer each"]
    assert render_card(every_ninth, one_answer).count("answer-info") == 1


def test_pending_and_rejected_cards_hold_only_the_status_sentence():
    assert render_card(PENDING, blog=KOSTANAY) == EXPECTED_PENDING_CARD
    rejected = render_card(REJECTED, blog=KOSTANAY)
    sentence = (
        "Обращение с регистрационным номером 754735, направленное в Блог "
        "Акимат Костанайской области отклонено ГО 21.03.2020"
    )
    assert f"  <p>{sentence}</p>\n" in rejected
    for card, appeal in ((render_card(PENDING, blog=KOSTANAY), PENDING), (rejected, REJECTED)):
        assert appeal.text[0] not in card  # no text of its own [seen]
        for absent in ("readmore", "showAnswers", "answers", 'class="status"', "question-card"):
            assert absent not in card
        assert card.count("<p>") == 1


def test_legacy_pending_and_rejected_cards_carry_a_status_span():
    pending, rejected = render_card(PENDING, LEGACY), render_card(REJECTED, LEGACY)
    assert '<span class="status">находится на рассмотрении у ГО</span>' in pending
    assert '<li><i class="fa fa-pencil"></i> 754733/1</li>' in pending
    assert '<span class="status">отклонено ГО 21.03.2020</span>' in rejected
    for card in (pending, rejected):
        assert "answers" not in card and card.count('class="status"') == 1


def test_an_unrated_answer_has_no_rating_block():
    unrated = Appeal(
        question_id=754736,
        number="754736",
        blog_id=294912,
        applicant="Ким Олег Петрович",
        text=("Текст.",),
        category="Ипотека",
        submitted_on=date(2020, 3, 12),
        views=12,
        status="answered",
        responder="Сапарбаев Б. М.",
        answered_on=date(2020, 3, 15),
        answer_text=("Ответ.", "Второй абзац."),
    )
    card = render_card(unrated)
    assert "answer-rating" not in card
    assert (
        "  <p>Ответ.</p>\n  <p>Второй абзац.</p>\n"
        '  <span class="answer-info">Сапарбаев Б. М.  15.03.2020</span>\n</div>\n'
    ) in card
    legacy = render_card(unrated, LEGACY)
    assert "answer-rating" not in legacy
    assert '<div class="answer-text"><p>Ответ.</p><p>Второй абзац.</p></div>' in legacy
    assert "answer-rating" not in render_card(ANSWERED, VARIANTS["no ratings"])


def test_views_group_thousands_with_a_space_or_a_no_break_space():
    every_third = dataclasses.replace(ANSWERED, question_id=754734, views=12_345)
    assert '<i class="fa fa-eye"></i> 12\u00a0345</li>' in render_card(every_third)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_served_cards_carry_every_field_of_their_appeals(scenario, variant):
    markup = VARIANTS[variant]
    blog, appeals = scenario.blog(BIG_BLOG), scenario.appeals_by_blog[BIG_BLOG]
    shapes = set()
    with DialogSandbox(scenario, knobs=Knobs(markup=markup)) as sandbox:
        for page in (1, 10, 20, 30):
            html = listing(sandbox.base_url, page=page).text
            assert ("<footer" in html) == markup.footer
            served = cards(html)
            assert len(served) == 10
            for card, appeal in zip(served, appeals[(page - 1) * 10 :], strict=False):
                shapes |= assert_card_shows(card, appeal, blog, markup, scenario.today)
    expected = {"answered", "pending", "rejected", "follow-up"}
    if markup.ratings:
        expected |= {"rated"}
    if markup.extra_answer_every and not markup.legacy:
        expected |= {"two answers"}
    assert shapes == expected


def assert_card_shows(card, appeal: Appeal, blog: Blog, markup: Markup, today: date) -> set[str]:
    """Every field of `appeal` as the card shows it under `markup`; returns the card's shapes."""
    info = card_info(card)
    assert card.h3.get_text() == appeal.applicant
    assert info["fa-pencil"] == markup.number_prefix + appeal.number
    assert info["fa-tags"] == appeal.category
    assert info["fa-calendar"] == f"{appeal.submitted_on:%d.%m.%Y}"
    assert int(re.sub(r"\s", "", info["fa-eye"])) == appeal.views
    assert len(info) == 4
    shapes = {appeal.status} | ({"follow-up"} if "/" in appeal.number else set())
    if markup.legacy:
        return shapes | assert_legacy_card_shows(card, appeal)
    assert card["class"] == markup.wrapper_class.split()
    assert shown_text(card, markup) == expected_text(appeal, blog, markup)
    link, button = card.select_one("a.readmore"), card.select_one("button[onclick]")
    block = answer_block(card, markup)
    assert card.select("span.status") == []
    if appeal.status != "answered":
        assert link is None and button is None and block is None
        return shapes
    assert link["href"] == f"/blogs/all-questions/{appeal.question_id}"
    assert button["onclick"] == f"showAnswers(1, {appeal.question_id})"
    assert block["id"] == str(appeal.question_id)
    shown = shown_answers(block)
    expected = [(f"{appeal.responder}  {appeal.answered_on:%d.%m.%Y}", appeal.answer_text)]
    every, later = markup.extra_answer_every, appeal.answered_on + timedelta(EXTRA_ANSWER_DAYS)
    if every and appeal.question_id % every == 0 and later <= today:  # it comes days later
        expected.append((f"{appeal.responder}  {later:%d.%m.%Y}", EXTRA_ANSWER))
        shapes.add("two answers")
    assert [(info, paragraphs) for info, paragraphs, _ in shown] == expected
    ratings = [rating for _, _, rating in shown]
    assert ratings == [appeal.rating if markup.ratings else None] + [None] * (len(shown) - 1)
    heading = block.h4.get_text()
    assert heading == ("Ответы" if len(shown) == 1 else f"Ответы ({len(shown)})")
    return shapes | ({"rated"} if ratings[0] else set())


def expected_text(appeal: Appeal, blog: Blog, markup: Markup) -> tuple[str, ...]:
    """An answered card's text (a teaser under the evidenced markup); the status sentence of a
    pending or rejected one [seen]."""
    if appeal.status == "answered":
        return (teaser(appeal.text),) if markup.teaser else appeal.text
    where = (
        f"Обращение с регистрационным номером {appeal.number}, направленное в Блог "
        f"{blog.gov_body_name_ru}"
    )
    if appeal.status == "rejected":
        return (f"{where} отклонено ГО {appeal.rejected_on:%d.%m.%Y}",)
    return (f"{where} находится на рассмотрении у ГО",)


def shown_text(card, markup: Markup) -> tuple[str, ...]:
    """The card's own text, in the form and at the place `markup` puts it."""
    children = [c for c in card.children if c.name or c.strip()]
    info = children.index(card.find("ul", class_="blog-info", recursive=False))
    if markup.text_form == "p":
        chunks = [(i, c.get_text()) for i, c in enumerate(children) if c.name == "p"]
        assert not [c for c in children if not c.name]  # no bare text
    else:
        chunks = [(i, c.strip()) for i, c in enumerate(children) if not c.name]
        assert not [c for c in children if c.name == "p"]
    assert all((i < info) == (markup.text_position == "before") for i, _ in chunks)
    return tuple(text for _, text in chunks)


def answer_block(card, markup: Markup):
    """The card's answer block: inside it, or hidden right after it, as `markup` puts it."""
    inside = card.select("div.answers")
    following = card.find_next_sibling()
    if following is not None and "answers" not in following.get("class", []):
        following = None
    if markup.answers == "inside":
        assert following is None and len(inside) <= 1
        return inside[0] if inside else None
    assert inside == []
    if following is not None:
        assert following["class"] == ["row", "answers"] and following["style"] == "display:none"
    return following


def shown_answers(block) -> list[tuple[str, tuple[str, ...], str | None]]:
    """(answer-info, paragraphs, rating) per answer: the paragraphs stand before their
    answer-info, a rating after it."""
    answers, paragraphs = [], []
    for part in block.find_all(["p", "span", "div"], recursive=False):
        if part.name == "p":
            paragraphs.append(part.get_text())
        elif "answer-info" in part["class"]:
            answers.append([part.get_text(), tuple(paragraphs), None])
            paragraphs = []
        else:
            assert part["class"] == ["answer-rating"] and answers[-1][2] is None
            answers[-1][2] = part["data-rating"]
    assert paragraphs == []
    return [tuple(answer) for answer in answers]


def assert_legacy_card_shows(card, appeal: Appeal) -> set[str]:
    assert card["class"] == ["col-xs-12", "question-card"]
    assert tuple(p.get_text() for p in card.find_all("p", recursive=False)) == appeal.text
    assert card.select_one("a.readmore")["href"] == f"/blogs/all-questions/{appeal.question_id}"
    answers, status = card.select_one("div.row.answers"), card.select_one("span.status")
    if appeal.status == "answered":
        assert status is None and answers["id"] == str(appeal.question_id)
        expected = f"{appeal.responder} {appeal.answered_on:%d.%m.%Y}"
        assert answers.select_one("span.answer-info").get_text() == expected
        paragraphs = answers.select("div.answer-text > p")
        assert tuple(p.get_text() for p in paragraphs) == appeal.answer_text
        rating = answers.select_one("div.answer-rating")
        assert (rating["data-rating"] if rating else None) == appeal.rating
        return {"rated"} if appeal.rating else set()
    assert answers is None
    if appeal.status == "pending":
        assert status.get_text() == "находится на рассмотрении у ГО"
    else:
        assert status.get_text() == f"отклонено ГО {appeal.rejected_on:%d.%m.%Y}"
    return set()


def test_same_seed_serves_byte_identical_pages():
    bodies = []
    for _ in range(2):
        with DialogSandbox(build_scenario(seed=7, scale=SCALE)) as sandbox:
            bodies.append(
                [
                    listing(sandbox.base_url, blog, page).content
                    for blog in (BIG_BLOG, 294912, 32792)
                    for page in (1, 2, 5)
                ]
            )
    assert bodies[0] == bodies[1]
    with DialogSandbox(build_scenario(seed=8, scale=SCALE)) as sandbox:
        assert listing(sandbox.base_url).content != bodies[0][0]


# --- faults -------------------------------------------------------------------------------------


def test_error_rate_answers_500_or_503(scenario):
    with DialogSandbox(scenario, knobs=Knobs(error_rate=1.0)) as sandbox:
        statuses = {listing(sandbox.base_url, page=p).status_code for p in range(1, 11)}
        assert requests.get(f"{sandbox.base_url}/robots.txt", timeout=TIMEOUT).status_code == 200
    assert statuses == {500, 503}


def test_rate_limit_answers_429_with_retry_after(scenario):
    with DialogSandbox(scenario, knobs=Knobs(rate_limit_rate=1.0, retry_after=7)) as sandbox:
        response = listing(sandbox.base_url)
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"


def test_slow_responses_outlast_a_short_client_timeout(scenario):
    with DialogSandbox(scenario, knobs=Knobs(slow_rate=1.0, slow_seconds=0.6)) as sandbox:
        with pytest.raises(requests.Timeout):
            listing(sandbox.base_url, timeout=0.2)
        started = time.monotonic()
        response = requests.get(f"{sandbox.base_url}/blogs/{BIG_BLOG}/questions", timeout=5)
        assert time.monotonic() - started >= 0.6
        assert response.status_code == 200 and len(cards(response.text)) == 10
        assert [r.fault for r in sandbox.requests] == [Fault.SLOW, Fault.SLOW]


def test_truncated_pages_stop_inside_a_card(scenario):
    with DialogSandbox(scenario, knobs=Knobs(truncate_rate=1.0)) as sandbox:
        for page in range(1, 6):
            response = listing(sandbox.base_url, page=page)
            assert response.status_code == 200
            assert "</html>" not in response.text and total_pages(response.text) is None
            text = response.text
            assert text.rfind("</ul>") < text.rfind('<ul class="blog-info">')  # in its info list
            last_card = cards(text)[-1]
            assert last_card.select_one("a.readmore") is None  # cut before its link
            assert last_card.find_next_sibling() is None  # and before its answers


def test_fault_rates_mix_and_repeat_with_the_fault_seed(scenario):
    knobs = {
        "error_rate": 0.2,
        "rate_limit_rate": 0.2,
        "slow_rate": 0.2,
        "slow_seconds": 0.01,
        "truncate_rate": 0.2,
        "fault_seed": 5,
    }
    runs = []
    for _ in range(2):
        with DialogSandbox(build_scenario(seed=2021, scale=SCALE), knobs=Knobs(**knobs)) as sb:
            for page in range(1, 41):
                listing(sb.base_url, page=page)
            runs.append([(r.status, r.fault) for r in sb.requests])
    assert runs[0] == runs[1]
    assert {fault for _, fault in runs[0]} == set(Fault)


def test_knobs_reject_impossible_rates():
    with pytest.raises(ValueError):
        Knobs(error_rate=0.6, truncate_rate=0.6)
    with pytest.raises(ValueError):
        Knobs(slow_rate=-0.1)


# --- drift and time -----------------------------------------------------------------------------


def test_drift_pushes_cards_onto_later_pages(scenario):
    top = scenario.appeals_by_blog[BIG_BLOG][0].question_id
    before = [a.number for a in scenario.appeals_by_blog[BIG_BLOG][:20]]
    knobs = Knobs(drift_every=2, drift_blog_ids=(BIG_BLOG,))
    with DialogSandbox(scenario, knobs=knobs) as sandbox:
        first = card_numbers(listing(sandbox.base_url, page=1).text)  # request 1: no drift yet
        second = card_numbers(listing(sandbox.base_url, page=2).text)  # request 2: a new appeal
    assert first == before[:10]
    assert second == before[9:19]  # the last card of page 1 shows up again on page 2
    newest = scenario.appeals_by_blog[BIG_BLOG][0]
    assert newest.question_id == scenario.last_question_id > top
    assert newest.number == str(newest.question_id) not in before
    assert newest.status == "pending" and newest.submitted_on == scenario.today


def test_drift_picks_blogs_at_random_when_not_restricted(scenario):
    sizes = {b: len(a) for b, a in scenario.appeals_by_blog.items()}
    with DialogSandbox(scenario, knobs=Knobs(drift_every=1, fault_seed=1)) as sandbox:
        for _ in range(30):
            listing(sandbox.base_url)
    grown = {b for b, a in scenario.appeals_by_blog.items() if len(a) > sizes[b]}
    assert sum(len(a) for a in scenario.appeals_by_blog.values()) == sum(sizes.values()) + 30
    assert len(grown) > 5


def test_advance_lets_days_pass_on_the_portal(scenario):
    today = scenario.today
    pending_before = {a.question_id for a in scenario.appeals() if a.status == "pending"}
    views_before = {a.question_id: a.views for a in scenario.appeals()}
    sandbox = DialogSandbox(scenario)
    sandbox.advance(5)
    assert (scenario.today - today).days == 5
    appeals = list(scenario.appeals())
    new = [a for a in appeals if a.question_id not in views_before]
    assert new and all(today < a.submitted_on <= scenario.today for a in new)
    settled = [a for a in appeals if a.question_id in pending_before and a.status != "pending"]
    assert any(a.status == "answered" for a in settled)
    assert all(a.views >= views_before.get(a.question_id, 0) for a in appeals)
    for blog_appeals in scenario.appeals_by_blog.values():
        ids = [a.question_id for a in blog_appeals]
        assert ids == sorted(ids, reverse=True)
        pending = [a for a in blog_appeals if a.status == "pending"]
        assert blog_appeals[: len(pending)] == pending
    for a in settled:
        assert (a.answered_on or a.rejected_on) > today
