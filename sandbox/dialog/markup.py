"""The shapes in which the sandbox writes a listing card: one knob per variant docs/sources.md
section 1 shows, so that the parser, the crawler and the demo are tested on each.

The default is the shape public scrapers of the live portal show (no card class to rely on,
the answers hidden after the card, pending and rejected cards holding only a status sentence,
teasers cut at 280 characters), plus the [assumed] per-answer rating block, without which
docs/calibration.md's satisfaction figures could not be served. ``LEGACY`` is the card of the
earlier docs/sources.md (``div.question-card``, ``span.status``, a site footer).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

TEASER_LENGTH = 280  # [seen]: 46 of 46 answered cards cut there, mid-word
INFO_FIELDS = ("number", "category", "calendar", "views")


@dataclass(frozen=True)
class Markup:
    """How listing pages are written."""

    wrapper_class: str = "row"  # the card's wrapper: "row", "col-xs-12", or anything
    text_position: Literal["before", "after"] = "after"  # the text, around the info list
    text_form: Literal["p", "bare"] = "p"  # in paragraphs, or bare in the card
    answers: Literal["after", "inside"] = "after"  # the answer block, after or in the card
    number_prefix: str = ""  # "№ " as one description writes it
    extra_answer_every: int = 9  # every N-th answered appeal has a second answer (0: none)
    ratings: bool = True  # the [assumed] rating block; False: no rating markup at all
    teaser: bool = True  # answered cards show the text cut at TEASER_LENGTH
    past_end: Literal["empty", "last"] = "empty"  # past the last page: empty, or it again
    footer: bool = False  # a site footer after the listing (nothing shows one)
    legacy: bool = False  # the card of an earlier docs/sources.md, whole
    info_list_class: str = "blog-info"  # anything else: a redesign no card survives
    drop_field: str | None = None  # one of INFO_FIELDS left out of every card
    # every card also served hidden under another number, in <noscript>, <template>, a
    # [hidden] or a display:none container in turn: nothing a browser shows, nothing to land
    hidden_copies: bool = False

    def __post_init__(self) -> None:
        if self.drop_field is not None and self.drop_field not in INFO_FIELDS:
            raise ValueError(f"drop_field must be one of {INFO_FIELDS}")
        if self.extra_answer_every < 0:
            raise ValueError("extra_answer_every must not be negative")


EVIDENCED = Markup()
LEGACY = Markup(
    wrapper_class="col-xs-12 question-card",
    text_position="before",
    answers="inside",
    extra_answer_every=0,
    teaser=False,
    footer=True,
    legacy=True,
)

#: Every variant a server speaking section 1 may use, by name (`--markup NAME`). The
#: calibration holds on each but "no-ratings" (no satisfaction figures) and the two broken ones.
VARIANTS: dict[str, Markup] = {
    "evidenced": EVIDENCED,
    "legacy": LEGACY,
    "col-xs-12, bare text before the list": replace(
        EVIDENCED, wrapper_class="col-xs-12", text_position="before", text_form="bare"
    ),
    "answers inside the card": replace(EVIDENCED, answers="inside", text_position="before"),
    "numbers with №": replace(EVIDENCED, number_prefix="№ "),
    "unseen wrapper class": replace(EVIDENCED, wrapper_class="appeal-item js-card"),
    "last page again past the end": replace(EVIDENCED, past_end="last"),
    "full texts, one answer each": replace(EVIDENCED, teaser=False, extra_answer_every=0),
    "no ratings": replace(EVIDENCED, ratings=False),
}
#: Broken on purpose: what a crawl must fail loudly on.
BROKEN_VARIANTS: dict[str, Markup] = {
    "redesigned info list": replace(EVIDENCED, info_list_class="question-meta"),
    "no calendar item": replace(EVIDENCED, drop_field="calendar"),
}
#: Pages holding more than their cards (no saved page, no calibration of their own): what a
#: crawl must read past without landing it.
DECOY_VARIANTS: dict[str, Markup] = {
    "hidden copies of the cards": replace(EVIDENCED, hidden_copies=True),
}
CALIBRATED_VARIANTS = {name: m for name, m in VARIANTS.items() if m.ratings}


#: The containers hidden copies stand in, in turn, and the prefix of their numbers.
HIDING_WRAPPERS = (
    ("<noscript>", "</noscript>"),
    ("<template>", "</template>"),
    ("<div hidden>", "</div>"),
    ('<div style="display: none">', "</div>"),
)
HIDDEN_NUMBER_PREFIX = "9"


def markup_named(name: str) -> Markup:
    try:
        return (VARIANTS | BROKEN_VARIANTS | DECOY_VARIANTS)[name]
    except KeyError:
        known = ", ".join(repr(n) for n in VARIANTS | BROKEN_VARIANTS | DECOY_VARIANTS)
        raise ValueError(f"unknown markup {name!r}; known: {known}") from None


def teaser(paragraphs: tuple[str, ...]) -> str:
    """An answered card's text as the listing shows it: one run, cut at TEASER_LENGTH."""
    text = " ".join(" ".join(paragraphs).split())
    return text[:TEASER_LENGTH].rstrip()  # a cut before a space shows no trailing space
