"""HTML and text of the sandbox's pages (jinja2, autoescaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

import jinja2

from sandbox.dialog.scenario import Appeal, Blog

TEMPLATES = Path(__file__).resolve().parent / "templates"
CARDS_PER_PAGE = 10
RATING_LABELS = {"positive": "Удовлетворен", "negative": "Не удовлетворен"}
# robots.txt of dialog.egov.kz [seen], with the sandbox's crawl delay.
DISALLOWED_PREFIXES = ("/search", "/blogs/search/", "/blogs/all-questions")
NBSP = "\u00a0"


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


def render_listing(blog: Blog, appeals: Sequence[Appeal], page: int) -> str:
    """Page `page` (from 1) of a blog whose appeals, newest first, are `appeals`."""
    return (
        environment()
        .get_template("listing.html")
        .render(
            blog=blog,
            appeals=page_slice(appeals, page),
            page=page,
            total_pages=total_pages(len(appeals)),
        )
    )


def render_card(appeal: Appeal) -> str:
    card = environment().get_template("_card.html").module.question_card
    return str(card(appeal))


def render_question(blog: Blog, appeal: Appeal) -> str:
    return environment().get_template("question.html").render(blog=blog, appeal=appeal)


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
