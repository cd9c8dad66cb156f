"""Turn one Open Dialogue listing page into appeal records. Pure: text in, records out.

A card that cannot be read becomes a :class:`Reject` (reason + the card's HTML) and the rest of
the page still parses: one odd card must not cost the other nine, nor pass silently.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from ingestion.dialog import selectors as sel

#: The keys of every record, in a stable order (the payload landed in raw.dialog_appeals).
RECORD_KEYS = (
    "question_id",
    "number",
    "applicant",
    "text",
    "category",
    "submitted_on",
    "views",
    "status",
    "responder",
    "answered_on",
    "answer_text",
    "rating",
    "rejected_on",
)
PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Reject:
    """A card the parser could not turn into a record, and why."""

    reason: str
    fragment: str


@dataclass
class ListingPage:
    """One parsed listing page."""

    source_url: str
    total_pages: int | None
    cards: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    complete: bool = True

    @property
    def is_empty(self) -> bool:
        """A page past the end: no card at all, readable or not."""
        return not self.cards and not self.rejects


class CardError(ValueError):
    """Why one card is malformed; becomes the reason of its Reject."""


def is_complete_page(html: str | bytes) -> bool:
    """True when the page arrived whole: it ends with </html> and holds the footer.

    Cheap on purpose (no parsing): it is the HTTP session's validator, run on every response.
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    return bool(sel.PAGE_END_PATTERN.search(html) and sel.FOOTER_PATTERN.search(html))


def parse_listing(html: str | bytes, source_url: str) -> ListingPage:
    """Parse a listing page: pager total, one record per readable card, one reject per other."""
    soup = BeautifulSoup(html, "lxml")
    page = ListingPage(
        source_url=source_url,
        total_pages=_total_pages(soup),
        complete=is_complete_page(html),
    )
    cards = soup.select(sel.CARD)
    detached = _detached_answer_blocks(soup, cards)
    for card in cards:
        try:
            page.cards.append(parse_card(card, detached))
        except CardError as exc:
            page.rejects.append(Reject(str(exc), str(card)))
        except Exception as exc:  # a parser bug must not cost the rest of the page
            page.rejects.append(Reject(f"parser error: {type(exc).__name__}: {exc}", str(card)))
    return page


def parse_card(card: Tag, detached_answers: dict[str, Tag] | None = None) -> dict:
    """One card → one record (keys: RECORD_KEYS); raises CardError when it is malformed."""
    question_id = _question_id(card)
    info = _info_items(card)
    record = {
        "question_id": question_id,
        "number": _number(info.get(sel.NUMBER_ICON)),
        "applicant": _applicant(card),
        "text": _appeal_text(card),
        "category": _required(info.get(sel.CATEGORY_ICON), "category"),
        "submitted_on": _date(info.get(sel.SUBMITTED_ICON), "submitted_on"),
        "views": _views(info.get(sel.VIEWS_ICON)),
    }
    answer = card.select_one(sel.ANSWER_BLOCK)
    if answer is None and detached_answers:
        answer = detached_answers.get(str(question_id))
    record.update(_status(card, answer))
    return {key: record[key] for key in RECORD_KEYS}


# -- page-level pieces --------------------------------------------------------------------------


def _total_pages(soup: BeautifulSoup) -> int | None:
    for script in soup.find_all("script"):
        match = sel.TOTAL_PAGES_PATTERN.search(script.get_text())
        if match:
            return int(match.group(1))
    return None


def _detached_answer_blocks(soup: BeautifulSoup, cards: list[Tag]) -> dict[str, Tag]:
    """Answer blocks standing outside any card, by their HTML id (the question id)."""
    inside = {id(block) for card in cards for block in card.select(sel.ANSWER_BLOCK)}
    return {
        block["id"].strip(): block
        for block in soup.select(sel.ANSWER_BLOCK)
        if id(block) not in inside and block.get("id")
    }


# -- card fields --------------------------------------------------------------------------------


def _question_id(card: Tag) -> int:
    link = card.select_one(sel.READMORE_LINK)
    if link is None:
        raise CardError("missing question_id: no readmore link")
    href = link["href"].strip()
    match = sel.QUESTION_ID_IN_HREF.search(href)
    if not match:
        raise CardError(f"missing question_id: no id at the end of href {href!r}")
    return int(match.group(1))


def _info_items(card: Tag) -> dict[str, str]:
    """The items of ul.blog-info, keyed by the selector of the icon they hold."""
    info = card.select_one(sel.INFO_LIST)
    if info is None:
        raise CardError("missing required field: no blog-info list")
    icons = (sel.NUMBER_ICON, sel.CATEGORY_ICON, sel.SUBMITTED_ICON, sel.VIEWS_ICON)
    items: dict[str, str] = {}
    for li in info.find_all("li"):
        for icon in icons:
            if li.select_one(icon) is not None:
                items[icon] = li.get_text().strip()
    return items


def _required(value: str | None, name: str) -> str:
    if not value:
        raise CardError(f"missing required field: {name}")
    return value


def _number(value: str | None) -> str:
    value = _required(value, "number")
    if not sel.NUMBER_PATTERN.match(value):
        raise CardError(f"bad number {value!r}")
    return value


def _applicant(card: Tag) -> str | None:
    heading = card.select_one(sel.APPLICANT)
    name = heading.get_text().strip() if heading else ""
    return name or None


def _appeal_text(card: Tag) -> str:
    """The card's own paragraphs before the info list, joined; written text kept exactly."""
    paragraphs = []
    for child in card.children:
        if not isinstance(child, Tag):
            continue
        if child.css.match(sel.INFO_LIST):
            break
        if child.name == sel.TEXT_PARAGRAPH_TAG:
            paragraphs.append(_text(child))
    if not paragraphs:
        raise CardError("missing required field: text")
    return PARAGRAPH_SEPARATOR.join(paragraphs)


def _views(value: str | None) -> int:
    value = _required(value, "views")
    digits = re.sub(r"\s+", "", value)  # "1 153", no-break and thin spaces alike
    if not re.fullmatch(r"[0-9]+", digits):
        raise CardError(f"bad views {value!r}")
    return int(digits)


def _date(value: str | None, name: str) -> str:
    """dd.mm.yyyy → ISO yyyy-mm-dd."""
    match = sel.DATE_PATTERN.fullmatch(_required(value, name).strip())
    if not match:
        raise CardError(f"bad date in {name}: {value!r}")
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise CardError(f"bad date in {name}: {value!r}") from None


# -- status -------------------------------------------------------------------------------------

_NO_OUTCOME = {
    "responder": None,
    "answered_on": None,
    "answer_text": None,
    "rating": None,
    "rejected_on": None,
}


def _status(card: Tag, answer: Tag | None) -> dict:
    """Exactly one of: an answer block, a pending status line, a rejected one (with a date)."""
    lines = card.select(sel.STATUS_LINE)
    if answer is not None and lines:
        raise CardError("conflicting status forms: an answer block and a status line")
    if len(lines) > 1:
        raise CardError("conflicting status forms: several status lines")
    if answer is not None:
        return _answered(answer)
    if not lines:
        raise CardError("missing required field: status")
    return _unanswered(_squash(lines[0].get_text()))


def _answered(block: Tag) -> dict:
    info = block.select_one(sel.ANSWER_INFO)
    if info is None:
        raise CardError("missing required field: answer-info")
    info_text = _squash(info.get_text())
    dates = list(sel.DATE_PATTERN.finditer(info_text))
    if not dates:
        raise CardError(f"bad date in answered_on: {info_text!r}")
    last = dates[-1]
    responder = info_text[: last.start()].strip()
    return {
        **_NO_OUTCOME,
        "status": "answered",
        "responder": responder or None,
        "answered_on": _date(last.group(0), "answered_on"),
        "answer_text": _answer_text(block),
        "rating": _rating(block),
    }


def _answer_text(block: Tag) -> str | None:
    body = block.select_one(sel.ANSWER_TEXT)
    container = body if body is not None else block
    paragraphs = container.find_all(sel.TEXT_PARAGRAPH_TAG)
    if paragraphs:
        return PARAGRAPH_SEPARATOR.join(_text(p) for p in paragraphs)
    if body is not None:
        return _text(body)
    return None


def _rating(block: Tag) -> str | None:
    element = block.select_one(sel.ANSWER_RATING)
    if element is None:
        return None
    value = (element.get(sel.RATING_ATTRIBUTE) or "").strip().lower()
    if value not in sel.RATING_VALUES:
        raise CardError(f"unknown rating {value!r}")
    return value


def _unanswered(line: str) -> dict:
    lowered = line.lower()
    if lowered.startswith(sel.PENDING_PREFIX):
        return {**_NO_OUTCOME, "status": "pending"}
    if lowered.startswith(sel.REJECTED_PREFIX):
        match = sel.DATE_PATTERN.search(line)
        if not match:
            raise CardError(f"bad date in rejected_on: {line!r}")
        return {
            **_NO_OUTCOME,
            "status": "rejected",
            "rejected_on": _date(match.group(0), "rejected_on"),
        }
    raise CardError(f"unknown status {line!r}")


# -- text helpers -------------------------------------------------------------------------------


def _text(tag: Tag) -> str:
    """Text of an element exactly as written: entities decoded, tags dropped, <br> → newline."""
    parts = []
    for node in tag.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
        elif type(node) in (NavigableString, CData):  # not comments, not doctype
            parts.append(str(node))
    return "".join(parts)


def _squash(text: str) -> str:
    return " ".join(text.split())
