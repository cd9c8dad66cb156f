"""The listing-page parser on saved pages (tests/fixtures/dialog)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.dialog.parse import RECORD_KEYS, is_complete_page, parse_listing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dialog"
URL = "https://dialog.egov.kz/blogs/294912/questions?page=1"


def load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def normal():
    return parse_listing(load("listing_normal.html"), URL)


def by_id(page, question_id):
    (card,) = [c for c in page.cards if c["question_id"] == question_id]
    return card


def test_normal_page_reads_all_ten_cards(normal):
    assert normal.complete and normal.total_pages == 3 and normal.source_url == URL
    assert not normal.rejects
    ids = [c["question_id"] for c in normal.cards]
    assert len(ids) == 10 and ids == sorted(ids, reverse=True)  # newest first
    assert all(tuple(c) == RECORD_KEYS for c in normal.cards)


def test_answered_card_with_rating(normal):
    answer_text = (
        "Уважаемый Серик Болатович! Земельные участки под ИЖС предоставляются в "
        "порядке очереди.\n\nВаша очередь — 1 245; ориентировочный срок — 2022 год."
    )
    assert by_id(normal, 754738) == {
        "number": "754738",
        "question_id": 754738,
        "applicant": "Ахметов Серик Болатович",
        "text": "Уважаемый аким! Прошу разъяснить порядок получения земельного участка под ИЖС."
        "\n\nЗаявление подано в 2019 году, очередь не движется. Номер очереди — 1 245.",
        "category": "Земельные вопросы",
        "submitted_on": "2021-03-02",
        "views": 1153,
        "status": "answered",
        "answers": [
            {
                "responder": "Мухамбетов А. М.",
                "answered_on": "2021-03-15",
                "text": answer_text,
                "rating": "positive",
            }
        ],
        "responder": "Мухамбетов А. М.",
        "answered_on": "2021-03-15",
        "last_answered_on": "2021-03-15",
        "rating": "positive",
        "rejected_on": None,
    }


def test_answered_card_without_rating_and_views_with_nbsp(normal):
    card = by_id(normal, 754737)
    assert card["status"] == "answered" and card["rating"] is None
    assert card["views"] == 2408
    assert card["responder"] == "Сапарбаев Б. М." and card["answered_on"] == "2021-03-10"


def test_pending_card(normal):
    card = by_id(normal, 754740)
    assert card["status"] == "pending"
    assert card["views"] == 12 and card["submitted_on"] == "2021-03-18"
    assert all(
        card[k] is None
        for k in ("responder", "answered_on", "last_answered_on", "rating", "rejected_on")
    )
    assert card["answers"] == []


def test_rejected_card_carries_its_date(normal):
    card = by_id(normal, 754736)
    assert card["status"] == "rejected" and card["rejected_on"] == "2021-03-17"
    assert card["category"] == "Строительство, дольщики, жилищные проблемы"
    assert card["answers"] == [] and card["responder"] is None


def test_follow_up_has_its_own_id_and_a_slashed_number(normal):
    card = by_id(normal, 754735)
    assert card["number"] == "754733/1"
    assert card["rating"] == "negative"
    assert by_id(normal, 754733)["number"] == "754733"


def test_all_three_statuses_and_both_ratings_present(normal):
    assert {c["status"] for c in normal.cards} == {"answered", "pending", "rejected"}
    assert {c["rating"] for c in normal.cards} == {"positive", "negative", None}


def test_empty_page_past_the_end():
    page = parse_listing(load("listing_empty.html"), URL)
    assert page.complete and page.is_empty and page.total_pages == 3


def test_truncated_page_is_incomplete():
    html = load("listing_truncated.html")
    assert not is_complete_page(html)
    assert not parse_listing(html, URL).complete


def test_a_page_missing_its_closing_html_is_incomplete():
    html = load("listing_normal.html")
    assert not is_complete_page(html.replace("</html>", ""))
    assert not is_complete_page(html[: len(html) // 2])


def test_no_footer_or_other_end_element_is_required():
    html = load("listing_normal.html")
    start, end = html.index("<footer"), html.index("</footer>") + len("</footer>")
    without = html[:start] + html[end:]
    assert is_complete_page(without) and parse_listing(without, URL) == parse_listing(html, URL)


def test_bytes_parse_like_text():
    html = load("listing_normal.html")
    assert is_complete_page(html.encode("utf-8"))
    assert parse_listing(html.encode("utf-8"), URL) == parse_listing(html, URL)


def test_malformed_cards_become_rejects_and_the_rest_still_parses():
    page = parse_listing(load("listing_malformed.html"), URL)
    assert page.complete and page.total_pages == 57
    # a card without a readmore link is read (pending and rejected cards have none)
    assert [c["number"] for c in page.cards] == ["612010", "612009", "612002"]
    assert page.cards[1]["question_id"] is None and page.cards[1]["status"] == "pending"
    reasons = [r.reason for r in page.rejects]
    assert reasons == [
        "bad date in submitted_on: '31.02.2020'",
        "missing required field: status (no answer block, no status sentence)",
        "missing required field: category",
        "missing question_id: no id at the end of href '/blogs/all-questions/'",
        "unknown rating 'neutral'",
        "bad views 'много'",
    ]
    for reject in page.rejects:
        assert reject.fragment.startswith('<div class="col-xs-12 question-card">')
        assert reject.fragment.rstrip().endswith("</div>")
    assert "передано в другой государственный орган" in page.rejects[1].fragment


def test_tricky_text_round_trips_exactly():
    page = parse_listing(load("listing_tricky_text.html"), URL)
    assert not page.rejects
    kazakh, html_injection, sql = page.cards
    assert kazakh["applicant"] == "Жұмабаев Ерұлан Қайратұлы"
    assert kazakh["text"] == (
        "Құрметті әкім! Біздің ауылда жол жоқ, көшелер қараңғы. Өтініш, көмектесіңіз — ұзақ "
        "күттік.\n\nМенің ЖСН: 870412300123, телефон +7 701 123 45 67, пошта erulan.zh@mail.kz"
    )
    assert kazakh["views"] == 1001 and kazakh["responder"] == "Сағынтаев Б. Ә."
    assert html_injection["applicant"] == "<b>Хакеров</b> Иван"
    assert html_injection["text"] == (
        '<script>alert("xss")</script> — так выглядит ваш сайт?\n\n'
        "Ещё: <img src=x onerror=alert(1)> & </p><p> и &amp; и «ёлочки»."
    )
    assert sql["applicant"] == "O'Brien Robert"
    assert sql["text"] == (
        "'); DROP TABLE raw.dialog_appeals; --\n\n"
        "SELECT * FROM raw.load_ledger WHERE status = 'running'; \\copy \"x\" from stdin\\."
    )
    assert (
        sql["answers"][0]["text"]
        == "Ответ: <нет>; ваш запрос '); DROP TABLE raw.dialog_appeals; -- принят."
    )


def test_answer_block_outside_the_card_is_found_by_question_id():
    # Public scrapers show the answers as the card's next sibling: accept that layout too.
    html = load("listing_normal.html")
    start = html.index('<div class="row answers" id="754737">')
    end = html.index("</div>", html.index("</div>", start) + 1) + len("</div>")
    block = html[start:end]
    card_end = html.index("</div>", end) + len("</div>")
    moved = html[:start] + html[end:card_end] + block + html[card_end:]
    page = parse_listing(moved, URL)
    assert not page.rejects
    assert (
        by_id(page, 754737)["answers"][0]["text"]
        == "Ремонт улицы Байтурсынова включён в план на 2021 год."
    )


def card(status_html: str, *, info: str | None = None, link: str = "/blogs/all-questions/5") -> str:
    info = (
        info
        if info is not None
        else (
            '<li><i class="fa fa-pencil"></i> 5</li><li><i class="fa fa-tags"></i> Ипотека</li>'
            '<li><i class="fa fa-calendar"></i> 01.02.2020</li><li><i class="fa fa-eye"></i> 3</li>'
        )
    )
    return (
        '<html><body><div class="col-xs-12 question-card"><h3></h3><p>т</p>'
        f'<ul class="blog-info">{info}</ul><a class="readmore" href="{link}">»</a>'
        f"{status_html}</div></body></html>"
    )


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (card('<span class="status">отклонено ГО</span>'), "missing required field: status"),
        (
            card('<div class="answers"><span class="answer-info">Кто-то</span></div>'),
            "bad date in answered_on",
        ),
        (
            card(
                '<div class="answers"><span class="answer-info">А 01.01.2020</span></div>'
                '<span class="status">находится на рассмотрении у ГО</span>'
            ),
            "conflicting status forms",
        ),
        (card(""), "missing required field: status"),
        (
            card(
                '<span class="status">находится на рассмотрении</span>',
                info='<li><i class="fa fa-pencil"></i> 5/x</li>',
            ),
            "bad number",
        ),
    ],
)
def test_status_and_number_problems_are_rejected(html, reason):
    page = parse_listing(html, URL)
    assert not page.cards
    assert page.rejects[0].reason.startswith(reason)


def test_missing_applicant_is_none_and_pager_absent_is_none():
    page = parse_listing(card('<span class="status">находится на рассмотрении у ГО</span>'), URL)
    assert page.cards[0]["applicant"] is None
    assert page.total_pages is None
    assert page.cards[0]["question_id"] == 5


PENDING = '<span class="status">находится на рассмотрении у ГО</span>'


def info(submitted: str) -> str:
    return (
        '<li><i class="fa fa-pencil"></i> 5</li><li><i class="fa fa-tags"></i> Ипотека</li>'
        f'<li><i class="fa fa-calendar"></i> {submitted}</li><li><i class="fa fa-eye"></i> 3</li>'
    )


@pytest.mark.parametrize("submitted", ["2020-03-12", "12.03.20", "12/03/2020", "32.01.2020", "—"])
def test_a_date_in_another_form_is_rejected_with_its_value(submitted):
    page = parse_listing(card(PENDING, info=info(submitted)), URL)
    assert not page.cards
    assert page.rejects[0].reason == f"bad date in submitted_on: {submitted!r}"


@pytest.mark.parametrize(
    "link", ["/blogs/all-questions/abc", "/blogs/all-questions/12a", "javascript:void(0)"]
)
def test_a_link_without_a_numeric_id_is_rejected(link):
    page = parse_listing(card(PENDING, link=link), URL)
    assert not page.cards
    assert page.rejects[0].reason.startswith("missing question_id")
    assert link in page.rejects[0].fragment


def test_odd_characters_in_text_are_kept_as_written():
    """Emoji, zero-width and control characters stay; a NUL (which no jsonb can hold) becomes
    U+FFFD, as the HTML standard has every parser do, so the card still lands."""
    written = "Сәлем 😀\u200b\ufeff tab\there\x01 <не тег> &lt;b&gt; ; DROP TABLE x; --"
    html = card(PENDING).replace(
        "<p>т</p>",
        "<p>Сәлем 😀\u200b\ufeff tab\there\x01 &lt;не тег&gt; &amp;lt;b&amp;gt; "
        "; DROP TABLE x; --</p><p>NUL:\x00.</p>",
    )
    page = parse_listing(html, URL)
    assert not page.rejects
    assert page.cards[0]["text"] == written + "\n\nNUL:\ufffd."


# -- the variants public scrapers show (docs/sources.md section 1) ---------------------------------

INFO = (
    '<ul class="blog-info"><li><i class="fa fa-pencil"></i> {number}</li>'
    '<li><i class="fa fa-tags"></i> Ипотека</li>'
    '<li><i class="fa fa-calendar"></i> 12.03.2020</li>'
    '<li><i class="fa fa-eye"></i> 1 153</li></ul>'
)


def listing(*cards: str) -> str:
    return f"<html><body><main>{''.join(cards)}</main></body></html>"


def answered(qid: int, *, wrapper: str = "row", text: str = "<p>Текст обращения, сер</p>") -> str:
    return (
        f'<div class="{wrapper}"><h3>Иванова Алия</h3>{INFO.format(number=qid)}{text}'
        f'<a class="readmore" href="/blogs/all-questions/{qid}">Подробнее</a>'
        f'<button onclick="showAnswers(1, {qid})">Ответы</button></div>'
    )


def answers(qid: int, *parts: str, heading: str = "Ответы") -> str:
    return (
        f'<div class="row answers" id="{qid}" style="display:none"><h4>{heading}</h4>'
        f"{''.join(parts)}</div>"
    )


def answer(text: str, info: str, rating: str | None = None) -> str:
    block = f'<p>{text}</p><span class="answer-info">{info}</span>'
    if rating:
        block += f'<div class="answer-rating" data-rating="{rating}"></div>'
    return block


SENTENCE = "Обращение с регистрационным номером {n}, направленное в Блог Акима, "


def unanswered(number: str, outcome: str, *, before: bool = True, wrapper="col-xs-12") -> str:
    sentence = SENTENCE.format(n=number) + outcome
    info = INFO.format(number=number)
    inner = f"{sentence}{info}" if before else f"{info}{sentence}"
    return f'<div class="{wrapper}"><h3>…</h3>{inner}</div>'


def test_the_evidenced_shapes_read_alike_whatever_the_wrapper():
    page = parse_listing(
        listing(
            answered(754733, wrapper="row"),
            answers(754733, answer("Ответ …", "Сапарбаев Б. М.  15.03.2020", "negative")),
            unanswered("766293", "находится на рассмотрении у ГО"),
            unanswered("№ 765824", "отклонено ГО 09.07.2024", before=False, wrapper="x-card"),
            answered(763405, wrapper="", text="Bare text after the list, cut mid-wo"),
            answers(763405, answer("Ответ", "Кто-то 01.04.2020, 10:42")),
        ),
        URL,
        describe=True,
    )
    assert not page.rejects
    first, pending, rejected, bare = page.cards
    assert (first["number"], first["question_id"], first["status"]) == (
        "754733",
        754733,
        "answered",
    )
    assert first["text"] == "Текст обращения, сер" and first["views"] == 1153
    assert first["answers"] == [
        {
            "responder": "Сапарбаев Б. М.",
            "answered_on": "2020-03-15",
            "text": "Ответ …",
            "rating": "negative",
        }
    ]
    assert pending["status"] == "pending" and pending["question_id"] is None
    assert pending["text"] is None and pending["number"] == "766293"
    assert (rejected["status"], rejected["rejected_on"], rejected["number"]) == (
        "rejected",
        "2024-07-09",
        "765824",
    )
    assert rejected["text"] is None
    assert bare["text"] == "Bare text after the list, cut mid-wo"
    assert bare["answered_on"] == "2020-04-01" and bare["responder"] == "Кто-то"
    assert [v["answers"] for v in page.variants] == [
        "after the card",
        "none",
        "none",
        "after the card",
    ]
    assert page.variants[2]["number"] == "with №" and page.variants[3]["text"] == "bare after"


def test_several_answers_are_kept_in_order_with_the_first_and_last_dates():
    page = parse_listing(
        listing(
            answered(5),
            answers(
                5,
                answer("Первый", "А. Б. 01.02.2020", "positive"),
                answer("Второй", "В. Г. 11.02.2020"),
                answer("Третий", "Д. Е. 21.02.2020", "negative"),
                heading="Ответы (3)",
            ),
        ),
        URL,
    )
    (card,) = page.cards
    assert [a["text"] for a in card["answers"]] == ["Первый", "Второй", "Третий"]
    assert (card["answered_on"], card["last_answered_on"]) == ("2020-02-01", "2020-02-21")
    assert card["responder"] == "А. Б." and card["rating"] == "negative"  # the latest given


def test_answers_inside_the_card_in_the_older_layout_info_first():
    inside = (
        '<div class="answers"><span class="answer-info">А. Б. 01.02.2020</span>'
        '<div class="answer-text"><p>Один</p><p>Два</p></div>'
        '<div class="answer-rating" data-rating="positive"></div></div>'
    )
    html = listing(answered(5).replace("</button>", "</button>" + inside))
    (card,) = parse_listing(html, URL).cards
    assert card["answers"] == [
        {
            "responder": "А. Б.",
            "answered_on": "2020-02-01",
            "text": "Один\n\nДва",
            "rating": "positive",
        }
    ]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (
            listing(answered(5).replace("</ul>", "</ul>" + INFO.format(number=5))),
            "conflicting markup: 2 info lists in one card",
        ),
        (
            listing(
                answered(5).replace(
                    "</ul>", '<li><i class="fa fa-calendar"></i> 13.03.2020</li></ul>'
                )
            ),
            "conflicting markup: two info items with i.fa-calendar",
        ),
        (
            listing(
                answered(5).replace(
                    "<p>", SENTENCE.format(n=5) + "находится на рассмотрении у ГО<p>"
                ),
                answers(5, answer("Ответ", "А 01.01.2020")),
            ),
            "conflicting status forms: an answer block and a status sentence",
        ),
        (
            listing(answered(5).replace("showAnswers(1, 5)", "showAnswers(1, 6)")),
            "conflicting markup: question ids [5, 6] in one card",
        ),
        (
            listing(answered(5), answers(5, answer("Ответ", "А 01.01.2020"), heading="Ответы (2)")),
            "the answer block says 2 answers, 1 found",
        ),
        (
            listing(unanswered("7", "находится на рассмотрении у ГО, отклонено ГО 01.02.2020")),
            "conflicting status forms: pending and rejected sentences",
        ),
        (
            listing(answered(5), answers(5, "<p>без подписи</p>")),
            "missing required field: an answer block without span.answer-info",
        ),
    ],
)
def test_conflicting_markup_is_a_reject_never_a_pick(html, reason):
    page = parse_listing(html, URL)
    assert not page.cards and [r.reason for r in page.rejects] == [reason]


def test_an_answer_block_of_no_card_is_a_reject():
    page = parse_listing(
        listing(
            unanswered("7", "находится на рассмотрении у ГО"),
            answers(9, answer("О", "А 01.01.2020")),
        ),
        URL,
    )
    assert [c["number"] for c in page.cards] == ["7"]
    assert [r.reason for r in page.rejects] == ["answer block #9 belongs to no card on the page"]


@pytest.mark.parametrize(
    "hide",
    [
        "<noscript>{}</noscript>",
        "<template>{}</template>",
        '<div style="display: none">{}</div>',
        "<div hidden>{}</div>",
    ],
)
def test_a_card_that_is_not_shown_is_not_an_appeal(hide):
    hidden = hide.format(unanswered("8", "находится на рассмотрении у ГО"))
    page = parse_listing(listing(unanswered("7", "находится на рассмотрении у ГО"), hidden), URL)
    assert [c["number"] for c in page.cards] == ["7"] and not page.rejects


def test_a_list_styled_alike_without_the_icons_is_no_card():
    other = '<div><ul class="blog-info"><li>Теги</li></ul></div>'
    page = parse_listing(listing(other), URL)
    assert page.is_empty and page.card_elements == 0
