"""Everything the parser assumes about the portal's HTML, in one place.

When the live portal differs, this is the file to edit (`tyndau probe dialog` shows how each
of these matched on live pages). Marks follow docs/sources.md section 1: [seen] = shown by public
scrapers written against the live portal; [assumed] = our design, to be checked. Nothing here
names a card's wrapper: the two scrapers disagree on it, so a card is found by structure.
"""

import re

# -- the listing page -------------------------------------------------------------------------

#: The list of number, category, date and views: it is what makes an element a card. [seen]
INFO_LIST_CLASS = "blog-info"
#: Each item of the info list is recognised by the icon class inside it. [seen]
NUMBER_ICON = "fa-pencil"
CATEGORY_ICON = "fa-tags"
SUBMITTED_ICON = "fa-calendar"
VIEWS_ICON = "fa-eye"
INFO_ICONS = (NUMBER_ICON, CATEGORY_ICON, SUBMITTED_ICON, VIEWS_ICON)
#: The applicant's name, a heading of the card: personal data. [seen on search cards]
APPLICANT_TAG = "h3"
#: Paragraphs of text; an appeal's teaser may also stand as bare text in the card. [seen]
PARAGRAPH_TAG = "p"
#: Parts of a card that are not the appeal's text. [seen]
NOT_TEXT_TAGS = frozenset({"a", "button", "script", "style", "h4", "ul"})
#: The link to the appeal's own page; its href ends in the question id. [seen]
READMORE_CLASS = "readmore"
QUESTION_ID_IN_HREF = re.compile(r"/(\d+)/?(?:[?#].*)?$")
#: The button that shows the answers: showAnswers(1, 754733). [seen]
SHOW_ANSWERS_CALL = re.compile(r"showAnswers\s*\(\s*\d+\s*,\s*(\d+)\s*\)")
#: "754733", or "754733/1" for the first follow-up of 754733; one description writes
#: "№ 765824". [seen]
NUMBER_PATTERN = re.compile(r"^(?:№\s*)?(\d+(?:/\d+)?)$")
#: Elements whose content is not shown: a card inside one is not on the listing.
HIDING_TAGS = frozenset({"noscript", "template", "script", "style"})
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# -- answers ------------------------------------------------------------------------------------

#: The answers of an answered card: inside the card, or right after it, hidden, with the
#: question id as its HTML id. [seen]
ANSWER_BLOCK_CLASS = "answers"
#: Per answer: the responder's name, then the date (dd.mm.yyyy, on an appeal's own page
#: "dd.mm.yyyy, HH:MM"); the answer's paragraphs stand before it. [seen]
ANSWER_INFO_CLASS = "answer-info"
#: The citizen's rating of an answer; absent when not rated. [assumed: nothing public shows a
#: rating on listing cards; the sandbox's per-answer block is our design]
ANSWER_RATING_CLASS = "answer-rating"
RATING_ATTRIBUTE = "data-rating"  # [assumed]
RATING_VALUES = frozenset({"positive", "negative"})  # [assumed]

# -- the status of an unanswered card: a sentence anywhere in the card's text [seen] ----------

#: «Обращение с регистрационным номером 766293, направленное в Блог …, находится на
#: рассмотрении у ГО»
PENDING_SENTENCE = re.compile(r"находится\s+на\s+рассмотрении\s+у\s+ГО", re.IGNORECASE)
#: «… отклонено ГО 09.07.2024»: the date is the rejection's
REJECTED_SENTENCE = re.compile(r"отклонено\s+ГО\s+(\d{2}\.\d{2}\.\d{4})", re.IGNORECASE)

# -- values -----------------------------------------------------------------------------------

#: Dates on cards, e.g. "12.03.2020". [seen]
DATE_PATTERN = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
#: The pager's total in a script: "$('#pagination').twbsPagination({totalPages: 42, …". [seen]
TOTAL_PAGES_PATTERN = re.compile(r"totalPages\s*:\s*(\d+)")
#: Cards per listing page. [seen]
CARDS_PER_PAGE = 10

# -- completeness: a truncated page must never pass for a short one -------------------------

#: A complete page ends with the closing html tag. [seen: any page] Nothing else about the end
#: of a page is known: no footer or other element may be required.
PAGE_END_PATTERN = re.compile(rb"</html\s*>\s*$", re.IGNORECASE)

# -- the blog's owner, as its page names it (for `tyndau probe dialog`) ------------------------

#: The page's heading, then its title: who the blog belongs to. [assumed]
BLOG_OWNER_XPATHS = ("//h1", "//title")
