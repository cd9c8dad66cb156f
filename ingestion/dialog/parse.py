"""Turn one Open Dialogue listing page into appeal records. Pure: text in, records out.

Built on what public scrapers of the live portal show (docs/sources.md section 1), and on lxml: a
card is the element holding a ``ul.blog-info`` whose items carry the known icons, whatever the
wrapper's class; its fields are read the way each variant the evidence shows writes them.
Every name the parser looks for stands in ``selectors``.

A card that cannot be read, or whose markup contradicts itself (two info lists, two calendar
items, an answer block and a status sentence), becomes a :class:`Reject` (reason + the card's
HTML) and the rest of the page still parses: one odd card must not cost the other nine, nor
pass silently as a first-or-last pick.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
from dataclasses import dataclass, field

from lxml import etree

from ingestion.common.bounds import day_out_of_bounds, integer_out_of_bounds, latest_day
from ingestion.dialog import selectors as sel

#: The keys of every record, in a stable order (the payload landed in raw.dialog_appeals).
RECORD_KEYS = (
    "number",
    "question_id",
    "applicant",
    "text",
    "category",
    "submitted_on",
    "views",
    "status",
    "answers",
    "responder",
    "answered_on",
    "last_answered_on",
    "rating",
    "rejected_on",
)
PARAGRAPH_SEPARATOR = "\n\n"
#: What a card is recognised by, for the error that names a page without any.
CARD_DESCRIPTION = (
    f"an element holding a ul.{sel.INFO_LIST_CLASS} whose items carry the icons "
    + ", ".join(f"i.{icon}" for icon in sel.INFO_ICONS)
)


@dataclass(frozen=True)
class Reject:
    """A card the parser could not turn into a record, and why."""

    reason: str
    fragment: str


@dataclass
class ListingPage:
    """One parsed listing page. ``variants`` (when asked for) says, per card read, which form
    each field took: what ``tyndau probe dialog`` tallies."""

    source_url: str
    total_pages: int | None
    cards: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    complete: bool = True
    variants: list[dict[str, str]] = field(default_factory=list)
    card_elements: int = 0  # elements recognised as cards, readable or not

    @property
    def is_empty(self) -> bool:
        """No card at all, readable or not: past the end, or a page the parser cannot read."""
        return self.card_elements == 0


#: lxml's own elements (no lxml.html class lookup per node); a parser per thread, as lxml asks
_PARSERS = threading.local()


def _html_parser() -> etree.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(collect_ids=False)  # no id lookups here
    return parser


class CardError(ValueError):
    """Why one card is malformed; becomes the reason of its Reject."""


_PAGE_END_TEXT = re.compile(sel.PAGE_END_PATTERN.pattern.decode(), re.IGNORECASE)


def is_complete_page(html: str | bytes) -> bool:
    """True when the page arrived whole: it ends with ``</html>`` (the one end of a page that is
    [seen]; a body shorter than its Content-Length is caught by the HTTP session).

    Cheap on purpose (no parsing): it is the HTTP session's validator, run on every response.
    """
    pattern = sel.PAGE_END_PATTERN if isinstance(html, bytes) else _PAGE_END_TEXT
    return bool(pattern.search(html[-256:]))


# -- finding things ------------------------------------------------------------------------------
# One walk of the page and one of each card, in Python over lxml's elements: lxml's iteration is
# far cheaper than an XPath call per field, and the rules stay the same (a class is a token of
# the class attribute split on XPath's whitespace, as the XPath rules before them read it).

_XPATH_SPACE = re.compile(r"[ \t\r\n]+")


def _has_class(value: str | None, name: str) -> bool:
    # the plain substring test first: cheap, and it rules out nearly every element
    return bool(value) and name in value and name in _XPATH_SPACE.split(value)


#: all the text inside an element, as a browser shows it (comments are not text nodes)
_content = etree.XPath("string()", smart_strings=False)
_ANSWER_COUNT = re.compile(r"\((\d+)\)")


def _hides(node) -> bool:
    """Whether the element hides what it holds: <noscript>, <template>, or hidden by attribute
    or style."""
    if node.tag in sel.HIDING_TAGS or node.get("hidden") is not None:
        return True
    style = node.get("style")
    return bool(style and sel.HIDDEN_STYLE.search(style))


def _is_visible(element, hidden: dict) -> bool:
    """Whether the element stands in the shown page: no ancestor of it hides it."""
    return not _held(element, hidden, _hides)


def _held(element, memo: dict, test) -> bool:
    """Whether ``test`` holds for an ancestor of the element. ``memo`` remembers it per ancestor
    already judged, for it and all above it: one page's cards share their ancestors, each is
    judged once (and the dict keeps their proxies alive, so identity holds)."""
    chain = []
    node = element.getparent()
    while node is not None and node not in memo:
        chain.append(node)
        node = node.getparent()
    held = False if node is None else memo[node]
    for node in reversed(chain):
        held = held or test(node)
        memo[node] = held
    return held


_ICON_PREFIX = os.path.commonprefix(sel.INFO_ICONS)


def _icons(li) -> list[str]:
    # in the order they stand, each once (not a set): which duplicate a reject names is stable
    icons: list[str] = []
    for i in li.iter("i"):
        value = i.get("class")
        if value and _ICON_PREFIX in value:  # what every icon's class holds: rules out the rest
            icons.extend(n for n in value.split() if n in sel.INFO_ICONS and n not in icons)
    return icons


@dataclass
class _Page:
    """What one walk of the page finds."""

    info_lists: list  # every ul.blog-info, in document order
    blocks: list  # every answer block, in document order
    scripts: list[str]  # the text of every script


def _walk(root) -> _Page:
    # in Python over lxml's elements: cheaper here than XPath's contains() on every element
    info_lists, blocks = [], []
    info_class, block_class = sel.INFO_LIST_CLASS, sel.ANSWER_BLOCK_CLASS
    for element in root.iter(etree.Element):
        value = element.get("class")
        # the plain substring tests first: cheap, and they rule out nearly every element
        if value and (info_class in value or block_class in value):
            if element.tag == "ul" and _has_class(value, info_class):
                info_lists.append(element)
            if _has_class(value, block_class):
                blocks.append(element)
    # a script's text nodes: its text and the tails of anything inside
    scripts = [
        text
        for script in root.iter("script")
        for text in (script.text, *(child.tail for child in script))
        if text is not None
    ]
    return _Page(info_lists, blocks, scripts)


@dataclass
class _CardParts:
    """What a card holds, itself included, as ``_scan`` finds it."""

    hrefs: list[str]  # of readmore links
    onclicks: list[str]
    blocks: list  # answer blocks inside the card
    heading: object  # the applicant's heading, None without one


def _scan(card, blocks: set) -> _CardParts:
    """One walk of the card (itself included, as a browser's closest() would)."""
    parts = _CardParts([], [], [], None)
    for element in card.iter(etree.Element):
        tag = element.tag
        onclick = element.get("onclick")
        if onclick:
            parts.onclicks.append(onclick)
        if tag == sel.APPLICANT_TAG:
            if parts.heading is None:
                parts.heading = element
        elif tag == "a":
            href = element.get("href")
            if href is not None and _has_class(element.get("class"), sel.READMORE_CLASS):
                parts.hrefs.append(href)
        if element in blocks:
            parts.blocks.append(element)
    return parts


# -- the evidenced layout, read the short way -----------------------------------------------------
# The card and answer block public scrapers show (and the sandbox serves by default), matched
# whole on lxml's serialisation of the element: a fixed sequence of tags and attributes, text
# without markup or escapes (an "&" or "<" in the serialisation means an entity, a comment, an
# element or a character escaped: not the short way). Only what the full reading makes of such
# an element is read off the match; anything else, or anything the short way would reject, goes
# the full way, so the two give the same records and rejects. It is what lets a page cost about
# what lxml alone costs: one C serialisation and one regex per card instead of a walk in Python.

_WS = "[ \t\n]*"  # whitespace the full reading strips away as well
_FREE = "[^<&]*"  # text: no markup, nothing escaped
_VALUE = '[^"<&]*'  # an attribute's value, nothing escaped
_P = f"<{sel.PARAGRAPH_TAG}>({_FREE})</{sel.PARAGRAPH_TAG}>"
_PARAGRAPHS = f"((?:<{sel.PARAGRAPH_TAG}>{_FREE}</{sel.PARAGRAPH_TAG}>{_WS})*)"
_PARAGRAPH = re.compile(_P)
_INFO_ITEMS = "".join(
    f'<li><i class="fa {re.escape(icon)}"/>({_FREE})</li>{_WS}' for icon in sel.INFO_ICONS
)
_EVIDENCED_CARD = re.compile(
    f'<div class="({_VALUE})">{_WS}<{sel.APPLICANT_TAG}>({_FREE})</{sel.APPLICANT_TAG}>{_WS}'
    f'{_PARAGRAPHS}<ul class="{re.escape(sel.INFO_LIST_CLASS)}">{_WS}{_INFO_ITEMS}</ul>{_WS}'
    f'{_PARAGRAPHS}(?:<a class="{re.escape(sel.READMORE_CLASS)}" href="({_VALUE})">{_FREE}</a>'
    f'{_WS}<button class="btn btn-default" onclick="({_VALUE})">{_FREE}</button>{_WS})?</div>'
)
_ANSWER_PART = (
    f'{_P}|<span class="{re.escape(sel.ANSWER_INFO_CLASS)}">({_FREE})</span>'
    f'|<div class="{re.escape(sel.ANSWER_RATING_CLASS)}" '
    f'{re.escape(sel.RATING_ATTRIBUTE)}="({_VALUE})">{_FREE}</div>'
)
_ANSWER_PARTS = re.compile(_ANSWER_PART)
_PART_KIND_OF_GROUP = {1: sel.PARAGRAPH_TAG, 2: sel.ANSWER_INFO_CLASS, 3: sel.ANSWER_RATING_CLASS}
_EVIDENCED_BLOCK = re.compile(
    f'<div(?: [a-z-]+="{_VALUE}")*>{_WS}(?:<h4>({_FREE})</h4>{_WS})?'
    f"((?:(?:{_ANSWER_PART}){_WS})*)</div>"
)


def _serialised(element) -> str:
    return etree.tostring(element, encoding="unicode", with_tail=False)


def _evidenced_match(card) -> re.Match | None:
    """The card matched whole as the evidenced one, or None."""
    match = _EVIDENCED_CARD.fullmatch(_serialised(card))
    # a wrapper classed as an answer block would hold itself: the full way
    if match is None or _has_class(match.group(1), sel.ANSWER_BLOCK_CLASS):
        return None
    return match


def _evidenced_card(match: re.Match, detached: dict, claimed: set[str], variants: dict[str, str]):
    """The record of an evidenced card (``_evidenced_match``), as ``_card`` makes it; None for
    one ``_card`` would reject (it then reads the card and says why)."""
    _, name, before, number, category, day, views, after, href, onclick = match.groups()
    try:
        number, number_form = _number(number.strip())
        hrefs, onclicks = [] if href is None else [href], [onclick] if onclick else []
        # a pending or rejected card has neither link nor button
        parts = _CardParts(hrefs, onclicks, [], None)
        question_id = _question_id(parts) if hrefs or onclicks else None
        blocks = detached.get(str(question_id), []) if question_id is not None else []
        chunks = [("p", text) for text in _PARAGRAPH.findall(before)]
        chunks += [("p after", text) for text in _PARAGRAPH.findall(after)]
        text, sentences, text_form = _text_of(chunks)
        found = {
            "number": number_form,
            "answers": "after the card" if blocks else "none",
            "text": text_form,
        }
        record = {
            "number": number,
            "question_id": question_id,
            "applicant": name.strip() or None,
            "text": text,
            "category": _required(category.strip(), "category"),
            "submitted_on": _date(day.strip(), "submitted_on"),
            "views": _views(views.strip()),
            **_status(blocks, sentences, found),
        }
    except Exception:  # noqa: BLE001 - whatever it is, the full way reads the card and says
        return None
    if blocks:
        claimed.add(str(question_id))
    variants.update(found)
    return {key: record[key] for key in RECORD_KEYS}


def _evidenced_answers(block) -> tuple[list[tuple[str, str | None]], int | None] | None:
    """``_answer_items`` of an evidenced answer block; None for any other block."""
    match = _EVIDENCED_BLOCK.fullmatch(_serialised(block))
    # a block inside an answer-info reads no paragraph: the full way
    if match is None or _in_answer_info(block):
        return None
    heading, body = match.group(1), match.group(2)
    items: list[tuple[str, str | None]] = []
    for part in _ANSWER_PARTS.finditer(body):
        kind = _PART_KIND_OF_GROUP[part.lastindex]  # which alternative matched
        items.append((kind, part.group(part.lastindex)))
    count = _ANSWER_COUNT.search(heading) if heading else None
    return items, int(count.group(1)) if count else None


# -- the page -----------------------------------------------------------------------------------


def parse_listing(
    html: str | bytes,
    source_url: str,
    *,
    describe: bool = False,
    latest_on: dt.date | None = None,
) -> ListingPage:
    """Parse a listing page: pager total, one record per readable card, one reject per other.

    A card carrying a date after ``latest_on`` (default: today, see ``bounds.latest_day``) or
    before the portal's life, or a number its column cannot hold, is a reject too.
    ``describe=True`` also fills ``page.variants`` (one dict per record), for the probe.
    """
    latest_on = latest_on or latest_day(dt.datetime.now(dt.UTC))
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if "\x00" in html:
        html = html.replace("\x00", "\ufffd")
    root = etree.fromstring(html or "<html></html>", _html_parser())
    if root is None:  # nothing but whitespace or comments
        root = etree.fromstring("<html></html>", _html_parser())
    page = ListingPage(source_url=source_url, total_pages=None, complete=is_complete_page(html))
    found = _walk(root)
    page.total_pages = _total_pages(found.scripts)
    hidden: dict = {}
    cards, evidenced = _cards(found.info_lists, hidden)
    page.card_elements = len(cards)
    blocks = set(found.blocks)
    detached: dict[str, list] = {}  # answer blocks outside every card, by their HTML id
    in_cards: dict = {}
    for block in found.blocks:
        # (lxml hands out the same proxy for a node while one is alive: the cards' are)
        in_a_card = _held(block, in_cards, cards.__contains__)
        # a hidden card's answers are as hidden as it is: neither claimed nor a reject
        if not in_a_card and (block.get("id") or "").strip() and _is_visible(block, hidden):
            detached.setdefault(block.get("id").strip(), []).append(block)
    claimed: set[str] = set()
    for card, lists in cards.items():
        variants: dict[str, str] = {}
        try:
            record = card in evidenced and _evidenced_card(
                evidenced[card], detached, claimed, variants
            )
            if not record:  # not evidenced, or something to say about it: the full way
                lists = [(info, items or _items(info)) for info, items in lists]
                record = _card(card, lists, blocks, detached, claimed, variants)
            _check_bounds(record, latest_on)
        except CardError as exc:
            page.rejects.append(Reject(str(exc), _html(card)))
            continue
        except Exception as exc:  # a parser bug must not cost the rest of the page
            reason = f"parser error: {type(exc).__name__}: {exc}"
            page.rejects.append(Reject(reason, _html(card)))
            continue
        page.cards.append(record)
        if describe:
            page.variants.append(variants)
    for block_id, blocks in detached.items():
        if block_id not in claimed and any(_answer_infos(b) for b in blocks):
            reason = f"answer block #{block_id} belongs to no card on the page"
            page.rejects.extend(Reject(reason, _html(b)) for b in blocks)
    return page


def _total_pages(scripts: list[str]) -> int | None:
    for script in scripts:
        match = sel.TOTAL_PAGES_PATTERN.search(script)
        if match:
            return int(match.group(1))
    return None


def _cards(info_lists: list, hidden: dict) -> tuple[dict, dict]:
    """Each visible card → its info lists, each as its items with the icons they hold (more
    than one list is a conflict, judged per card); and each evidenced card → its match, whose
    one list's items are read when they are needed (``_items``)."""
    cards: dict = {}
    evidenced: dict = {}
    for info in info_lists:
        card = info.getparent()
        if card is None or not _is_visible(info, hidden):
            continue
        if card not in cards and (match := _evidenced_match(card)):
            cards[card] = [(info, None)]  # its four items hold the four icons
            evidenced[card] = match
        elif items := _items(info):
            cards.setdefault(card, []).append((info, items))
        # else some other list styled alike: not a card
    return cards, evidenced


def _items(info) -> list:
    return [(li, icons) for li in info.iterchildren("li") if (icons := _icons(li))]


def _html(element) -> str:
    return etree.tostring(element, encoding="unicode", method="html", with_tail=False)


# -- one card -----------------------------------------------------------------------------------


def _card(card, lists, on_page: set, detached, claimed: set[str], variants: dict[str, str]):
    if len(lists) > 1:
        raise CardError(f"conflicting markup: {len(lists)} info lists in one card")
    info_list, items = lists[0]
    info = _info_items(items)
    number, variants["number"] = _number(info.get(sel.NUMBER_ICON))
    parts = _scan(card, on_page)
    question_id = _question_id(parts)
    blocks = parts.blocks
    variants["answers"] = "inside the card" if blocks else "none"
    if question_id is not None and str(question_id) in detached:
        if blocks:
            raise CardError("conflicting markup: answer blocks inside and after the card")
        blocks = detached[str(question_id)]
        claimed.add(str(question_id))
        variants["answers"] = "after the card"
    own_text, status_sentences, variants["text"] = _own_text(card, info_list, blocks, parts)
    record = {
        "number": number,
        "question_id": question_id,
        "applicant": _applicant(parts),
        "text": own_text,
        "category": _required(info.get(sel.CATEGORY_ICON), "category"),
        "submitted_on": _date(info.get(sel.SUBMITTED_ICON), "submitted_on"),
        "views": _views(info.get(sel.VIEWS_ICON)),
        **_status(blocks, status_sentences, variants),
    }
    return {key: record[key] for key in RECORD_KEYS}


_day_out_of_bounds = functools.lru_cache(maxsize=8192)(day_out_of_bounds)


def _check_bounds(record: dict, latest_on: dt.date) -> None:
    """A card whose values no real appeal has (raw.dialog_appeals' and staging's columns)."""
    days = [
        ("submitted_on", record["submitted_on"]),
        ("rejected_on", record["rejected_on"]),
        *(("answered_on", answer["answered_on"]) for answer in record["answers"]),
    ]
    reasons = [
        *(_day_out_of_bounds(day, name, latest_on) for name, day in days),
        integer_out_of_bounds(record["views"], "views", "integer", minimum=0),
        integer_out_of_bounds(record["question_id"], "question_id", "bigint", minimum=1),
    ]
    if reasons := [reason for reason in reasons if reason]:
        raise CardError("; ".join(reasons))


def _info_items(lis: list) -> dict[str, str]:
    """The items of the info list, keyed by the icon they hold; an icon twice is a conflict."""
    items: dict[str, str] = {}
    for li, icons in lis:
        for icon in icons:
            if icon in items:
                raise CardError(f"conflicting markup: two info items with i.{icon}")
            items[icon] = _content(li).strip()
    return items


def _required(value: str | None, name: str) -> str:
    if not value:
        raise CardError(f"missing required field: {name}")
    return value


def _number(value: str | None) -> tuple[str, str]:
    value = _required(value, "number")
    match = sel.NUMBER_PATTERN.match(value)
    if not match:
        raise CardError(f"bad number {value!r}")
    return match.group(1), "with №" if value.startswith("№") else "plain"


def _question_id(parts: _CardParts) -> int | None:
    """From the readmore link's href, the showAnswers call, or an inner answer block's id; all
    that are present must agree. None on pending and rejected cards, which show none."""
    found = set()
    for href in parts.hrefs:
        match = sel.QUESTION_ID_IN_HREF.search(href.strip())
        if not match:
            raise CardError(f"missing question_id: no id at the end of href {href.strip()!r}")
        found.add(int(match.group(1)))
    for onclick in parts.onclicks:
        found.update(int(m) for m in sel.SHOW_ANSWERS_CALL.findall(onclick))
    for block in parts.blocks:
        if (block.get("id") or "").strip().isdigit():
            found.add(int(block.get("id")))
    if len(found) > 1:
        raise CardError(f"conflicting markup: question ids {sorted(found)} in one card")
    return found.pop() if found else None


def _applicant(parts: _CardParts) -> str | None:
    name = _content(parts.heading).strip() if parts.heading is not None else ""
    return name or None


def _own_text(card, info, blocks, parts: _CardParts) -> tuple[str | None, list[str], str]:
    """The card's own text and its status sentences: whatever it holds besides the applicant,
    the info list, links, buttons and answers, bare or in paragraphs, before or after the info
    list. A chunk holding a status sentence is the status, not the appeal's text."""
    skip = {id(info), *map(id, blocks)}
    if parts.heading is not None and parts.heading.getparent() is card:
        skip.add(id(parts.heading))
    # elements that hold an answer block inside the card: not text either
    # (a set of the elements themselves: it keeps their proxies alive, so identity holds)
    holders = {a for block in parts.blocks for a in block.iterancestors() if a is not card}
    chunks: list[tuple[str, str]] = []  # (form, text)
    after_info = False

    def bare(text: str | None) -> None:
        if text and text.strip():
            chunks.append(("bare", text.strip()))

    bare(card.text)
    for child in card:
        if child is info:
            after_info = True
        elif (
            id(child) not in skip
            and isinstance(child.tag, str)
            and child.tag not in sel.NOT_TEXT_TAGS
            and child not in holders
        ):
            if child.tag == sel.PARAGRAPH_TAG:
                chunks.append(("p" if not after_info else "p after", _text(child)))
            elif _content(child).strip():
                chunks.append(("element", _text(child).strip()))
        if child.tail and child.tail.strip():
            chunks.append(("bare" if not after_info else "bare after", child.tail.strip()))
    return _text_of(chunks)


def _text_of(chunks: list[tuple[str, str]]) -> tuple[str | None, list[str], str]:
    """The card's text, its status sentences and the forms its text took, from its chunks."""
    sentences = [
        text
        for _, text in chunks
        if sel.PENDING_SENTENCE.search(text) or sel.REJECTED_SENTENCE.search(text)
    ]
    own = [(form, text) for form, text in chunks if text not in sentences]
    forms = sorted({form for form, _ in own})
    text = PARAGRAPH_SEPARATOR.join(text for _, text in own) or None
    return text, sentences, ", ".join(forms) or "none"


_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]+")


def _views(value: str | None) -> int:
    value = _required(value, "views")
    digits = _SPACES.sub("", value)  # "1 153", no-break and thin spaces alike
    if not _DIGITS.fullmatch(digits):
        raise CardError(f"bad views {value!r}")
    return int(digits)


def _date(value: str | None, name: str) -> str:
    """dd.mm.yyyy → ISO yyyy-mm-dd."""
    match = sel.DATE_PATTERN.fullmatch(_required(value, name).strip())
    if not match:
        raise CardError(f"bad date in {name}: {value!r}")
    return _iso(match, name, value)


def _iso(match: re.Match, name: str, value: str | None) -> str:
    iso = _iso_day(*match.groups())
    if iso is None:
        raise CardError(f"bad date in {name}: {value!r}")
    return iso


@functools.lru_cache(maxsize=8192)  # a listing's dates repeat: each is checked once
def _iso_day(day: str, month: str, year: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


# -- status -------------------------------------------------------------------------------------

_NO_OUTCOME = {
    "answers": [],
    "responder": None,
    "answered_on": None,
    "last_answered_on": None,
    "rating": None,
    "rejected_on": None,
}


def _status(blocks, sentences: list[str], variants: dict[str, str]) -> dict:
    """Exactly one of: answers, a pending sentence, a rejected one (with its date)."""
    answers = [answer for block in blocks for answer in _answers(block)]
    if blocks and not answers:
        raise CardError(f"missing required field: an answer block without span.{_INFO}")
    pending = [s for s in sentences if sel.PENDING_SENTENCE.search(s)]
    rejected = {m for s in sentences for m in sel.REJECTED_SENTENCE.findall(s)}
    if answers and sentences:
        raise CardError("conflicting status forms: an answer block and a status sentence")
    if pending and rejected:
        raise CardError("conflicting status forms: pending and rejected sentences")
    if len(rejected) > 1:
        raise CardError(f"conflicting status forms: rejected on {sorted(rejected)}")
    variants["status"] = "answer block" if answers else "sentence" if sentences else "none"
    if answers:
        variants["answer count"] = "one" if len(answers) == 1 else "several"
        ratings = [a["rating"] for a in answers if a["rating"] is not None]
        return {
            **_NO_OUTCOME,
            "status": "answered",
            "answers": answers,
            "responder": answers[0]["responder"],
            "answered_on": answers[0]["answered_on"],
            "last_answered_on": answers[-1]["answered_on"],
            "rating": ratings[-1] if ratings else None,
        }
    if rejected:
        (day,) = rejected
        match = sel.DATE_PATTERN.fullmatch(day)
        return {**_NO_OUTCOME, "status": "rejected", "rejected_on": _iso(match, "rejected_on", day)}
    if pending:
        return {**_NO_OUTCOME, "status": "pending"}
    raise CardError("missing required field: status (no answer block, no status sentence)")


_INFO = sel.ANSWER_INFO_CLASS


_PART_KINDS = (sel.ANSWER_INFO_CLASS, sel.ANSWER_RATING_CLASS)


def _answer_parts(block) -> tuple[list[tuple[object, str]], list]:
    """One walk of the block: its paragraphs, answer-infos and ratings in document order, each
    with its kind (an answer-info, a rating, else a paragraph), and its h4 headings."""
    parts: list[tuple[object, str]] = []
    headings = []
    for element in block.iter(etree.Element):
        if element is block:
            continue
        tag = element.tag
        value = element.get("class")
        if tag == "h4":
            headings.append(element)
        if tag == sel.PARAGRAPH_TAG or (
            value and any(_has_class(value, kind) for kind in _PART_KINDS)
        ):
            classes = value.split() if value else ()
            kind = next((k for k in _PART_KINDS if k in classes), sel.PARAGRAPH_TAG)
            parts.append((element, kind))
    return parts, headings


def _answer_infos(block) -> list:
    return [e for e, kind in _answer_parts(block)[0] if kind == sel.ANSWER_INFO_CLASS]


#: the element or one of its ancestors has the answer-info class (the token rule of
#: ``_has_class``: normalize-space splits on the same whitespace), judged in C
_IN_ANSWER_INFO = etree.XPath(
    "boolean(ancestor-or-self::*[contains(concat(' ', normalize-space(@class), ' '), "
    f"' {sel.ANSWER_INFO_CLASS} ')])"
)


def _in_answer_info(block) -> bool:
    return _IN_ANSWER_INFO(block)


def _answers(block) -> list[dict]:
    """The answers of one block, in order (the evidenced block read the short way when it is
    one, see ``_evidenced_answers``)."""
    items = _evidenced_answers(block)
    if items is None:
        items = _answer_items(block)
    return _answers_of(*items)


def _answer_items(block) -> tuple[list[tuple[str, str | None]], int | None]:
    """The block's parts in document order as (kind, value): an answer-info's text, a rating's
    attribute, a paragraph's text (None for one that is not an answer's text); and the count
    its headings state."""
    parts, headings = _answer_parts(block)
    if not any(kind == sel.ANSWER_INFO_CLASS for _, kind in parts):
        return [], None
    # a paragraph inside an answer-info is part of that line, not an answer's text
    in_info = _in_answer_info(block)
    infos = [e for e, kind in parts if kind == sel.ANSWER_INFO_CLASS]
    nested = {p for info in infos for p in info.iterdescendants(sel.PARAGRAPH_TAG)}
    items: list[tuple[str, str | None]] = []
    for part, kind in parts:
        if kind == sel.ANSWER_INFO_CLASS:
            items.append((kind, _content(part)))
        elif kind == sel.ANSWER_RATING_CLASS:
            items.append((kind, part.get(sel.RATING_ATTRIBUTE)))
        else:
            items.append((kind, None if in_info or part in nested else _text(part)))
    return items, _stated_count(headings)


def _answers_of(items: list[tuple[str, str | None]], stated: int | None) -> list[dict]:
    """The answers the block's parts make. Each answer's paragraphs stand before its
    answer-info ([seen]) or, in the older layout, after it; a rating follows its answer."""
    if not any(kind == sel.ANSWER_INFO_CLASS for kind, _ in items):
        return []
    info_first = items[0][0] == sel.ANSWER_INFO_CLASS
    answers: list[dict] = []
    paragraphs: list[str] = []
    for kind, value in items:
        if kind == sel.ANSWER_INFO_CLASS:
            if info_first and answers:
                answers[-1]["text"] = PARAGRAPH_SEPARATOR.join(paragraphs) or None
                paragraphs = []
            answers.append(_answer(value, paragraphs if not info_first else []))
            if not info_first:
                paragraphs = []
        elif kind == sel.ANSWER_RATING_CLASS:
            if not answers or answers[-1]["rating"] is not None:
                raise CardError("conflicting markup: a rating without its own answer")
            answers[-1]["rating"] = _rating(value)
        elif value is not None:
            paragraphs.append(value)
    if info_first:
        answers[-1]["text"] = PARAGRAPH_SEPARATOR.join(paragraphs) or None
    elif paragraphs:
        raise CardError("conflicting markup: answer paragraphs after the last answer-info")
    if stated is not None and stated != len(answers):
        raise CardError(f"the answer block says {stated} answers, {len(answers)} found")
    return answers


def _answer(content: str, paragraphs: list[str]) -> dict:
    info_text = _squash(content)
    first = sel.DATE_PATTERN.search(info_text)  # "15.03.2020" or "15.03.2020, 10:42"
    if first is None:
        raise CardError(f"bad date in answered_on: {info_text!r}")
    responder = info_text[: first.start()].strip(" ,")
    return {
        "responder": responder or None,
        "answered_on": _iso(first, "answered_on", info_text),
        "text": PARAGRAPH_SEPARATOR.join(paragraphs) or None,
        "rating": None,
    }


def _stated_count(headings: list) -> int | None:
    """«Ответы (2)»: the count the block's h4 headings state, if they state one."""
    # every text node under an h4 once: an h4 inside another is read with the outer one
    inner = {h for h in headings for n in h.iterancestors("h4") if n in headings}
    heading = "".join(_content(h) for h in headings if h not in inner)
    match = _ANSWER_COUNT.search(heading)
    return int(match.group(1)) if match else None


def _rating(attribute: str | None) -> str:
    value = (attribute or "").strip().lower()
    if value not in sel.RATING_VALUES:
        raise CardError(f"unknown rating {value!r}")
    return value


# -- text helpers -------------------------------------------------------------------------------


def _text(element) -> str:
    """Text of an element exactly as written: entities decoded, tags dropped, <br> → newline,
    comments left out."""
    if not len(element):  # nearly every paragraph: no child
        return (element.text or "") if isinstance(element.tag, str) else ""
    parts = [element.text or ""] if isinstance(element.tag, str) else []
    for child in element:
        if isinstance(child.tag, str):
            parts.append("\n" if child.tag == "br" else _text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _squash(text: str) -> str:
    return " ".join(text.split())
