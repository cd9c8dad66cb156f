"""Everything the parser assumes about the portal's HTML, in one place.

When the live portal differs, this is the file to edit. Marks follow SOURCES.md section 1:
[seen] = shown by public scrapers or the portal itself; [assumed] = our design, to be checked.
"""

import re

# -- the listing page -------------------------------------------------------------------------

#: One appeal. [seen]
CARD = "div.question-card"
#: The applicant's name: personal data. [seen]
APPLICANT = "h3"
#: The card's own paragraphs (tag name) between APPLICANT and INFO_LIST: the text. [seen]
TEXT_PARAGRAPH_TAG = "p"
#: The list of number, category, date and views. [seen]
INFO_LIST = "ul.blog-info"
#: Each item of INFO_LIST is recognised by the icon inside it. [seen]
NUMBER_ICON = "i.fa-pencil"
CATEGORY_ICON = "i.fa-tags"
SUBMITTED_ICON = "i.fa-calendar"
VIEWS_ICON = "i.fa-eye"
#: The link to the appeal's own page; its href ends in the question id. [seen]
READMORE_LINK = "a.readmore[href]"
QUESTION_ID_IN_HREF = re.compile(r"/(\d+)/?(?:[?#].*)?$")
#: "754733", or "754733/1" for the first follow-up of 754733. [seen]
NUMBER_PATTERN = re.compile(r"^\d+(?:/\d+)?$")

# -- the three status forms -------------------------------------------------------------------

#: Present when answered. [seen] Inside the card per SOURCES.md; public scrapers show it as the
#: card's next sibling carrying the question id as its HTML id, so the parser accepts both.
ANSWER_BLOCK = "div.answers"
#: Responder's name, then the answer date. [seen]
ANSWER_INFO = "span.answer-info"
ANSWER_TEXT = "div.answer-text"  # [assumed] the wrapper; its paragraphs are [seen]
#: The citizen's rating of the answer; absent when not rated. [assumed]
ANSWER_RATING = "div.answer-rating"
RATING_ATTRIBUTE = "data-rating"  # [assumed]
RATING_VALUES = frozenset({"positive", "negative"})  # [assumed]
#: The status line of an unanswered appeal. [seen]
STATUS_LINE = "span.status"
#: Status texts, compared lower-cased with whitespace collapsed, by prefix. [seen]
PENDING_PREFIX = "находится на рассмотрении"
REJECTED_PREFIX = "отклонено"

# -- values -----------------------------------------------------------------------------------

#: Dates on cards, e.g. "12.03.2020". [seen]
DATE_PATTERN = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
#: The pager's total in a script: "totalPages: 42". [seen]
TOTAL_PAGES_PATTERN = re.compile(r"totalPages\s*:\s*(\d+)")

# -- completeness: a truncated page must never pass for a short one -------------------------

#: A complete page ends with the closing html tag... [seen: any well-formed page]
PAGE_END_PATTERN = re.compile(r"</html\s*>\s*$", re.IGNORECASE)
#: ...and holds the site footer, which comes after the listing. [assumed]
FOOTER_PATTERN = re.compile(r"<footer[\s>]", re.IGNORECASE)
