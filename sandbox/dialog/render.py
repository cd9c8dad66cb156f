"""HTML and text of the sandbox's pages (jinja2, autoescaped)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import jinja2

from sandbox.dialog.markup import (
    EVIDENCED,
    HIDDEN_NUMBER_PREFIX,
    HIDING_WRAPPERS,
    LEGACY,
    Markup,
    teaser,
)
from sandbox.dialog.scenario import Appeal, Blog, Scenario

TEMPLATES = Path(__file__).resolve().parent / "templates"
CARDS_PER_PAGE = 10
RATING_LABELS = {"positive": "Удовлетворен", "negative": "Не удовлетворен"}
EXTRA_ANSWER = (
    "Дополнительно сообщаем, что по вашему обращению проведена повторная проверка; "
    "о её результатах вы будете уведомлены письменно.",
)
EXTRA_ANSWER_DAYS = 4
# robots.txt of dialog.egov.kz [seen], with the sandbox's crawl delay.
DISALLOWED_PREFIXES = ("/search", "/blogs/search/", "/blogs/all-questions")
NBSP = "\u00a0"
PARAGRAPH_SEPARATOR = "\n\n"  # how a record joins a text's paragraphs


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(dmy=format_date, views=format_views, rating_label=RATING_LABELS.__getitem__)
    return env


def format_date(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def format_views(appeal: Appeal) -> str:
    """Thousands grouped by a space, or (on every third card) by a no-break space: "1 153"."""
    separator = NBSP if appeal.question_id % 3 == 0 else " "
    return f"{appeal.views:,}".replace(",", separator)


def total_pages(appeal_count: int) -> int:
    """The pager's total; an empty blog still has its one (empty) page."""
    return max(1, -(-appeal_count // CARDS_PER_PAGE))


def page_slice(appeals: Sequence[Appeal], page: int) -> Sequence[Appeal]:
    start = (page - 1) * CARDS_PER_PAGE
    return appeals[start : start + CARDS_PER_PAGE]


@dataclass(frozen=True)
class AnswerView:
    responder: str | None
    answered_on: date
    paragraphs: tuple[str, ...]
    rating: str | None


@dataclass(frozen=True)
class CardView:
    """What one card shows under a markup: its text and its answers."""

    appeal: Appeal
    text: tuple[str, ...]  # paragraphs (bare runs of text, in the "bare" form)
    answers: tuple[AnswerView, ...]


def card_view(blog: Blog, appeal: Appeal, markup: Markup, today: date) -> CardView:
    """Pending and rejected cards hold only the portal's status sentence; answered ones their
    text (a teaser, under the evidenced markup) and every answer, the rated one first."""
    if appeal.status != "answered":
        text = appeal.text if markup.legacy else (status_sentence(blog, appeal),)
        return CardView(appeal, text, ())
    text = (teaser(appeal.text),) if markup.teaser else appeal.text
    answers = [AnswerView(appeal.responder, appeal.answered_on, appeal.answer_text, appeal.rating)]
    every = markup.extra_answer_every
    later = appeal.answered_on + timedelta(days=EXTRA_ANSWER_DAYS)
    if every and appeal.question_id % every == 0 and later <= today:  # it comes days later
        answers.append(AnswerView(appeal.responder, later, EXTRA_ANSWER, None))
    return CardView(appeal, text, tuple(answers))


def card_record(view: CardView, markup: Markup) -> dict:
    """The record a card shows, in the shape the warehouse lands (the tests' ground truth):
    what a parser must make of the card, and nothing the card does not show."""
    appeal = view.appeal

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    answers = [
        {
            "responder": answer.responder,
            "answered_on": day(answer.answered_on),
            "text": PARAGRAPH_SEPARATOR.join(answer.paragraphs) or None,
            "rating": answer.rating if markup.ratings else None,
        }
        for answer in view.answers
    ]
    ratings = [answer["rating"] for answer in answers if answer["rating"]]
    shows_text = markup.legacy or appeal.status == "answered"
    return {
        "number": appeal.number,
        "question_id": appeal.question_id if markup.legacy or answers else None,
        "applicant": appeal.applicant,
        "text": PARAGRAPH_SEPARATOR.join(view.text) if shows_text else None,
        "category": appeal.category,
        "submitted_on": day(appeal.submitted_on),
        "views": appeal.views,
        "status": appeal.status,
        "answers": answers,
        "responder": answers[0]["responder"] if answers else None,
        "answered_on": answers[0]["answered_on"] if answers else None,
        "last_answered_on": answers[-1]["answered_on"] if answers else None,
        "rating": ratings[-1] if ratings else None,
        "rejected_on": day(appeal.rejected_on),
    }


def served_records(scenario: Scenario, blog_ids, markup: Markup) -> dict[str, dict]:
    """By registration number, the record of every card the sandbox serves now for these
    blogs (views included): what a crawl of them must land."""
    return {
        a.number: card_record(card_view(scenario.blog(b), a, markup, scenario.today), markup)
        for b in blog_ids
        for a in scenario.appeals_by_blog[b]
    }


def status_sentence(blog: Blog, appeal: Appeal) -> str:
    """The text of a pending or rejected card [seen]."""
    where = (
        f"Обращение с регистрационным номером {appeal.number}, направленное в Блог "
        f"{blog.gov_body_name_ru}"
    )
    if appeal.status == "rejected":
        return f"{where} отклонено ГО {format_date(appeal.rejected_on)}"
    return f"{where} находится на рассмотрении у ГО"


def card_template(markup: Markup) -> str:
    return "_card_legacy.html" if markup.legacy else "_card.html"


#: What an implausible card shows: a pending one a date past the portal's life, another one
#: a view count no bigint holds.
IMPLAUSIBLE_DATE = date(2099, 1, 1)
IMPLAUSIBLE_VIEWS = 10**20


def is_implausible(appeal: Appeal, every: int) -> bool:
    """Whether the card of ``appeal`` is served implausible under ``implausible_every``."""
    return every > 0 and appeal.question_id % every == 0


def implausible(appeal: Appeal) -> Appeal:
    if appeal.status == "pending":
        return replace(appeal, submitted_on=IMPLAUSIBLE_DATE)
    return replace(appeal, views=IMPLAUSIBLE_VIEWS)


def hidden_copy(appeal: Appeal) -> Appeal:
    """The copy of a card served hidden (markup.hidden_copies): another number and id."""
    return replace(
        appeal,
        number=HIDDEN_NUMBER_PREFIX + appeal.number,
        question_id=appeal.question_id + 9_000_000,
    )


def render_listing(
    blog: Blog,
    appeals: Sequence[Appeal],
    page: int,
    markup: Markup = EVIDENCED,
    today: date | None = None,
    implausible_every: int = 0,
) -> str:
    """Page `page` (from 1) of a blog whose appeals, newest first, are `appeals`; past the last
    page, an empty listing or (markup.past_end == "last") the last page again. Every card
    ``is_implausible`` under ``implausible_every`` shows an impossible value."""
    total = total_pages(len(appeals))
    if page > total and markup.past_end == "last":
        page = total
    today = today or date.max
    shown = [
        implausible(a) if is_implausible(a, implausible_every) else a
        for a in page_slice(appeals, page)
    ]
    cards = [card_view(blog, a, markup, today) for a in shown]
    hidden = [
        (wrapper, card_view(blog, hidden_copy(a), markup, today))
        for a, wrapper in zip(shown, itertools.cycle(HIDING_WRAPPERS))
        if markup.hidden_copies
    ]
    return (
        environment()
        .get_template("listing.html")
        .render(
            blog=blog,
            cards=cards,
            hidden_cards=hidden,
            page=page,
            total_pages=total,
            markup=markup,
            card_template=card_template(markup),
        )
    )


def render_card(
    appeal: Appeal, markup: Markup = EVIDENCED, blog: Blog | None = None, today: date = date.max
) -> str:
    """One card (and, under the evidenced markup, its answer block after it)."""
    blog = blog or Blog(appeal.blog_id, "", "Блог", "akimat", None)
    card = environment().get_template(card_template(markup)).module.question_card
    return str(card(card_view(blog, appeal, markup, today), markup))


def render_question(blog: Blog, appeal: Appeal) -> str:
    view = card_view(blog, appeal, LEGACY, date.max)
    return (
        environment()
        .get_template("question.html")
        .render(blog=blog, appeal=appeal, card=view, markup=LEGACY)
    )


def render_blogs(blogs: Sequence[Blog]) -> str:
    groups = [
        ("Акимы регионов", [b for b in blogs if b.body_type == "akimat"]),
        ("Министры", [b for b in blogs if b.body_type == "ministry"]),
        ("Агентства", [b for b in blogs if b.body_type == "agency"]),
    ]
    return environment().get_template("blogs.html").render(groups=[g for g in groups if g[1]])


def render_search(query: str) -> str:
    return environment().get_template("search.html").render(query=query)


def render_error(status: int, message: str) -> str:
    return environment().get_template("error.html").render(status=status, message=message)


def render_changelang(lang: str) -> str:
    return environment().get_template("changelang.html").render(lang=lang)


def render_robots(crawl_delay: int) -> str:
    lines = [
        "User-agent: *",
        *(f"Disallow: {p}" for p in DISALLOWED_PREFIXES),
        f"Crawl-delay: {crawl_delay}",
    ]
    return "\n".join(lines) + "\n"


def is_disallowed(path: str) -> bool:
    """Whether robots.txt forbids `path` (the path part of a URL)."""
    return path.startswith(DISALLOWED_PREFIXES)
