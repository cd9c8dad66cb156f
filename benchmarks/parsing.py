"""Figure 0, parsing: the listing parser against a minimal lxml extractor of the same fields,
on the same sandbox pages, timed side by side in one run.

The reference knows one layout (the evidenced one, the sandbox's default) and checks nothing:
precompiled XPath, the fields read where that layout puts them. It is what lxml alone costs;
the parser's distance from it is the price of finding cards by structure, of every variant
docs/sources.md lists and of rejecting what contradicts itself. Before timing, the two must
give the same records on every page, so the reference cannot win by reading less.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from collections.abc import Callable

from lxml import etree

from benchmarks.env import say
from ingestion.dialog.parse import PARAGRAPH_SEPARATOR, parse_listing
from sandbox.dialog.lazy import build_lazy_scenario
from sandbox.dialog.render import render_listing, total_pages

ROUNDS = 3
#: after this day nothing the sandbox serves is implausible (the parser's bounds)
LATEST_ON = dt.date(2100, 1, 1)


def _cls(name: str) -> str:
    return f"contains(concat(' ', @class, ' '), ' {name} ')"


_CARDS = etree.XPath(f"//ul[{_cls('blog-info')}]/..")
_ANSWER_BLOCKS = etree.XPath(f"//div[{_cls('answers')}][@id]")
_ITEMS = etree.XPath(f"ul[{_cls('blog-info')}]/li")
_STRING = etree.XPath("string()")
_ICON = etree.XPath("string(i/@class)")
_APPLICANT = etree.XPath("string(h3)")
_PARAGRAPHS = etree.XPath("p")
_HREF = etree.XPath(f"string(a[{_cls('readmore')}]/@href)")
_ANSWER_PARTS = etree.XPath(f"p|span[{_cls('answer-info')}]|div[{_cls('answer-rating')}]")
_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
_PENDING = re.compile(r"находится на рассмотрении у ГО")
_REJECTED = re.compile(r"отклонено ГО (\d{2})\.(\d{2})\.(\d{4})")
_FIELDS = {"fa-pencil": "number", "fa-tags": "category", "fa-calendar": "day", "fa-eye": "views"}


def _iso(match: re.Match) -> str:
    day, month, year = match.groups()
    return f"{year}-{month}-{day}"


def reference_extract(html: str) -> list[dict]:
    """The records of an evidenced listing page, read the shortest way lxml allows."""
    root = etree.fromstring(html, etree.HTMLParser())
    blocks = {block.get("id"): block for block in _ANSWER_BLOCKS(root)}
    records = []
    for card in _CARDS(root):
        info = {}
        for li in _ITEMS(card):
            info[_FIELDS[_ICON(li).split()[-1]]] = _STRING(li).strip()
        texts = [_STRING(p) for p in _PARAGRAPHS(card)]
        href = _HREF(card)
        question_id = int(href.rsplit("/", 1)[1]) if href else None
        answers = []
        if question_id is not None:
            paragraphs = []
            for part in _ANSWER_PARTS(blocks[str(question_id)]):
                if part.tag == "p":
                    paragraphs.append(_STRING(part))
                elif part.tag == "span":
                    line = " ".join(_STRING(part).split())
                    date = _DATE.search(line)
                    answers.append(
                        {
                            "responder": line[: date.start()].strip() or None,
                            "answered_on": _iso(date),
                            "text": PARAGRAPH_SEPARATOR.join(paragraphs) or None,
                            "rating": None,
                        }
                    )
                    paragraphs = []
                else:
                    answers[-1]["rating"] = part.get("data-rating")
        text = PARAGRAPH_SEPARATOR.join(texts) or None
        rejected = _REJECTED.search(text or "")
        status = "answered" if answers else "rejected" if rejected else "pending"
        if not answers and (rejected or _PENDING.search(text or "")):
            text = None
        ratings = [a["rating"] for a in answers if a["rating"]]
        records.append(
            {
                "number": info["number"],
                "question_id": question_id,
                "applicant": _APPLICANT(card).strip() or None,
                "text": text,
                "category": info["category"],
                "submitted_on": _iso(_DATE.search(info["day"])),
                "views": int("".join(info["views"].split())),
                "status": status,
                "answers": answers,
                "responder": answers[0]["responder"] if answers else None,
                "answered_on": answers[0]["answered_on"] if answers else None,
                "last_answered_on": answers[-1]["answered_on"] if answers else None,
                "rating": ratings[-1] if ratings else None,
                "rejected_on": _iso(rejected) if rejected else None,
            }
        )
    return records


def _parser(html: str) -> list[dict]:
    return parse_listing(html, "", latest_on=LATEST_ON).cards


def sandbox_pages(appeals: int) -> list[str]:
    """Every listing page of a sandbox of about ``appeals`` appeals, evidenced markup."""
    scenario = build_lazy_scenario(appeals)
    pages = []
    for blog in scenario.blogs:
        listing = scenario.appeals_by_blog[blog.blog_id]
        for page in range(1, total_pages(len(listing)) + 1):
            pages.append(render_listing(blog, listing, page, today=scenario.today))
    return pages


def _seconds(extract: Callable[[str], list[dict]], pages: list[str]) -> float:
    started = time.perf_counter()
    for html in pages:
        extract(html)
    return time.perf_counter() - started


def run(appeals: int) -> dict:
    pages = sandbox_pages(appeals)
    cards = 0
    for html in pages:
        records = _parser(html)
        if records != reference_extract(html):
            raise AssertionError("the reference extractor and the parser disagree on a page")
        cards += len(records)
    say(f"   {len(pages):,} pages, {cards:,} cards; the two agree on every one")
    timings: dict[str, list[float]] = {"parser": [], "reference": []}
    for _ in range(ROUNDS):  # interleaved, so a busy spell of the machine hits both
        timings["parser"].append(_seconds(_parser, pages))
        timings["reference"].append(_seconds(reference_extract, pages))
    seconds = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "pages": len(pages),
        "cards": cards,
        "rounds": ROUNDS,
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
        "cards_per_second": {name: round(cards / value) for name, value in seconds.items()},
        # rates, parser over reference: ≥ 0.8 is the target
        "parser_vs_reference": round(seconds["reference"] / seconds["parser"], 3),
    }
