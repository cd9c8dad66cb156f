"""``tyndau probe dialog``: a handful of polite requests to an Open Dialogue portal, and what
each of the parser's selectors made of the cards, field by field.

Per blog it reads page 1, the pager's last page and the page after it (is it empty, or the last
page again?), through the crawler's own session (robots.txt, crawl delay, retries) and parser,
and prints beside the registry's name who the page says the blog belongs to, so that a wrong
blog id is seen before a crawl of hours. What it looks for stands in
``ingestion/dialog/selectors.py``; its printout is what a user sends back to correct it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import lxml.html

from ingestion.common.http import FetchError, HttpConfig, PoliteSession
from ingestion.dialog import selectors as sel
from ingestion.dialog.crawl import CHANGE_LANGUAGE_PATH, LISTING_PATH
from ingestion.dialog.parse import CARD_DESCRIPTION, ListingPage, parse_listing
from ingestion.dialog.registry import Blog
from tyndau.probe import FieldCheck, ProbeRun

#: field → (required, the reject reasons that mean it did not match)
FIELDS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "number": (True, ("missing required field: number", "bad number")),
    "category": (True, ("missing required field: category",)),
    "submitted_on": (True, ("missing required field: submitted_on", "bad date in submitted_on")),
    "views": (True, ("missing required field: views", "bad views")),
    "status": (True, ("missing required field: status", "conflicting status")),
    "question_id": (False, ("missing question_id", "conflicting markup: question ids")),
    "applicant": (False, ()),
    "text": (False, ()),
    "answers": (False, ("bad date in answered_on", "missing required field: an answer block")),
    "rating": (False, ("unknown rating",)),
}
#: What the variants of ``parse_listing(describe=True)`` tally under each field.
VARIANT_OF = {"number": "number", "text": "text", "answers": "answers"}


def probe_dialog(
    base_url: str,
    blog_ids: Sequence[int],
    state_dir: Path,
    *,
    registry: dict[int, Blog] | None = None,
    delay: float = 1.0,
    http_config: HttpConfig | None = None,
) -> int:
    """Probe ``blog_ids`` at ``base_url``; returns the exit code (1: a required field matched
    no card, or no card was found)."""
    run = ProbeRun("dialog", state_dir)
    base_url = base_url.rstrip("/")
    registry = registry or {}
    pages: list[ListingPage] = []
    with PoliteSession(http_config, min_delay=delay) as session:
        run.heading(f"Open Dialogue at {base_url}")
        _language(run, session, base_url)
        run.line(f"robots.txt: Crawl-delay {session.crawl_delay(base_url + '/'):g} s")
        for blog_id in blog_ids:
            pages += _blog(run, session, base_url, blog_id, registry.get(blog_id))
    _tally(run, pages)
    return run.finish()


def _language(run: ProbeRun, session: PoliteSession, base_url: str) -> None:
    url = base_url + CHANGE_LANGUAGE_PATH
    try:
        response = session.get(url, follow_redirects=False)
    except FetchError as exc:
        run.request("GET", url, exc.status, "language switch")
        run.note(f"the interface may stay Kazakh, and no status sentence would match: {exc}")
        return
    cookie = "a cookie set" if response.cookies or session.cookies else "no cookie set"
    run.request("GET", url, response.status_code, f"language switch, {cookie}")


def _blog(
    run: ProbeRun, session: PoliteSession, base_url: str, blog_id: int, blog: Blog | None
) -> list[ListingPage]:
    run.heading(f"blog {blog_id}")
    first = _page(run, session, base_url, blog_id, 1)
    if first is None:
        return []
    page, html = first
    owner = _owner(html)
    listed = blog.gov_body_name_ru if blog else "(not in the registry)"
    run.line(f"  registry: {listed}")
    run.line(f"  the page: {owner or '(no heading or title found)'}")
    total = page.total_pages
    run.line(f"  pager: {f'totalPages {total}' if total else 'no totalPages in any script'}")
    read = [page]
    if total and total > 1:
        last = _page(run, session, base_url, blog_id, total)
        if last is not None:
            read.append(last[0])
    if total:
        past = _page(run, session, base_url, blog_id, total + 1)
        if past is not None:
            numbers = [c["number"] for c in past[0].cards]
            if past[0].is_empty:
                run.line("  past the end: an empty listing")
            elif numbers == [c["number"] for c in read[-1].cards]:
                run.line("  past the end: the last page again")
            else:
                run.line(f"  past the end: {len(numbers)} other cards (the pager understates)")
    return read


def _page(
    run: ProbeRun, session: PoliteSession, base_url: str, blog_id: int, number: int
) -> tuple[ListingPage, str] | None:
    url = base_url + LISTING_PATH.format(blog_id=blog_id, page=number)
    try:
        html = session.fetch_text(url)
    except FetchError as exc:
        run.request("GET", url, exc.status)
        run.unreadable(url, exc.reason)
        return None
    page = parse_listing(html, url, describe=True)
    saved = run.save(f"blog-{blog_id}-page-{number}.html", html)
    complete = "" if page.complete else ", INCOMPLETE (no closing </html>)"
    run.request(
        "GET", url, 200, f"{page.card_elements} cards, {len(page.rejects)} unreadable{complete}"
    )
    run.line(f"    saved as {saved.name}")
    for reject in page.rejects:
        run.unreadable("a card", reject.reason)
    return page, html


def _owner(html: str) -> str | None:
    root = lxml.html.document_fromstring(html or "<html></html>")
    for xpath in sel.BLOG_OWNER_XPATHS:
        for element in root.xpath(xpath):
            text = " ".join(element.text_content().split())
            if text:
                return text
    return None


def _tally(run: ProbeRun, pages: list[ListingPage]) -> None:
    cards = [card for page in pages for card in page.cards]
    variants = [v for page in pages for v in page.variants]
    reasons = [reject.reason for page in pages for reject in page.rejects]
    found = sum(page.card_elements for page in pages)
    run.heading(f"fields on {found} cards found ({len(cards)} read, {len(reasons)} unreadable)")
    if not found:
        run.note(f"no card found: looked for {CARD_DESCRIPTION}")
    answered = [c for c in cards if c["status"] == "answered"]
    checks = [FieldCheck("card", found, found, required=True, note=CARD_DESCRIPTION)]
    for name, (required, failing) in FIELDS.items():
        missed = sum(r.startswith(failing) for r in reasons) if failing else 0
        if name in ("question_id", "answers", "rating"):
            of = len(answered)  # only answered cards carry these
            matched = sum(_present(c[name]) for c in answered)
        elif required:  # a card rejected for another field's sake is counted as matching
            of, matched = found, found - missed
        else:
            of, matched = len(cards), sum(_present(c[name]) for c in cards)
        check = FieldCheck(name, max(matched, 0), of, required=required)
        key = VARIANT_OF.get(name)
        if key:
            check.variants = Counter(v.get(key, "?") for v in variants)
        if name == "answers":  # where the answer block stood, and how many answers
            check.variants += Counter(v["answer count"] for v in variants if "answer count" in v)
        if name == "status":
            check.variants = Counter(c["status"] for c in cards)
        if name == "rating":
            check.note = "[assumed] markup: none seen" if not check.matched else "[assumed]"
        checks.append(check)
    run.fields(checks)
    for reason, n in Counter(reasons).most_common():
        run.line(f"  unreadable: {reason} ({n})")


def _present(value: object) -> bool:
    return value not in (None, "", [])
