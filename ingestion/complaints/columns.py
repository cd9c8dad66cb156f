"""Everything the parser assumes about the report files, in one place (docs/sources.md section 3).

When real reports differ (another column title, another spelling of a level), this is the file
to edit. All of it is [assumed]: no public machine-readable report exists, so the column names
are those of the published tables, as docs/sources.md lists them.

Header cells are compared after :func:`normalise_label` (case, ё/е, spaces and line breaks
folded), so "Код  госоргана", "КОД ГОСОРГАНА" and "Код\\nгосоргана" all match.
"""

from __future__ import annotations

import re

# -- the figures report: one row per period, state body and applicant type ---------------------

#: Russian column title → canonical name. Every column is required.
FIGURE_COLUMNS: dict[str, str] = {
    "Период": "period",
    "Код госоргана": "gov_body_code",
    "Государственный орган": "gov_body_name_ru",
    "Уровень": "body_level",
    "КАТО": "region_kato",
    "Тип заявителя": "applicant_type",
    "Поступило": "received",
    "Рассмотрено": "reviewed",
    "Нарушения сроков": "deadline_violations",
    "Разъяснено": "explained",
    "Удовлетворено вышестоящим органом": "overturned_by_higher_body",
    "Удовлетворено судом": "overturned_by_court",
    "Обоснованные жалобы": "justified_complaints",
}
#: The canonical names holding counts.
FIGURE_COUNTS = (
    "received",
    "reviewed",
    "deadline_violations",
    "explained",
    "overturned_by_higher_body",
    "overturned_by_court",
    "justified_complaints",
)

# -- the topic report: justified complaints broken down by topic --------------------------------

TOPIC_COLUMNS: dict[str, str] = {
    "Период": "period",
    "Код госоргана": "gov_body_code",
    "Тематика": "topic",
    "Количество": "justified_complaints",
}

# -- values -------------------------------------------------------------------------------------

#: `Уровень` → canonical body level. Local bodies are the akimats (regional executives).
BODY_LEVELS: dict[str, str] = {"центральный": "central", "местный": "local"}
#: `Тип заявителя` → canonical applicant type.
APPLICANT_TYPES: dict[str, str] = {
    "физическое лицо": "individual",
    "юридическое лицо": "legal_entity",
}
#: A row whose first text cells start with one of these is a totals row: skipped, never summed.
TOTALS_MARKERS = ("итого", "всего")
#: Written for zero.
ZERO_MARKS = frozenset({"", "—", "–", "-"})
#: Spaces that may group digits: space, no-break space, narrow no-break space, thin space.
DIGIT_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
#: `2017` (a year) or `2017-03` (a month).
PERIOD_PATTERN = re.compile(r"(?P<year>(?:19|20)[0-9]{2})(?:-(?P<month>0[1-9]|1[0-2]))?")
#: Two-digit KATO code of a first-level region.
KATO_PATTERN = re.compile(r"[0-9]{2}")

#: Report kinds, as landed in raw.complaints_report_files.
FIGURES = "figures"
TOPICS = "topics"
#: The header row must appear within the first rows of the sheet (title rows above it).
HEADER_SEARCH_ROWS = 30
#: CSV text encodings tried in this order (a UTF-8 BOM is dropped).
CSV_ENCODINGS = ("utf-8-sig", "cp1251")
#: CSV delimiters accepted (spreadsheets with a Russian locale export `;`).
CSV_DELIMITERS = ",;\t"


def normalise_label(value: object) -> str:
    """A header cell or a value label folded for comparison: case, ё, spaces."""
    if value is None:
        return ""
    text = str(value).replace("ё", "е").replace("Ё", "Е")
    return " ".join(DIGIT_GROUP_SPACES.sub(" ", text).split()).casefold()


def columns_of(kind: str) -> dict[str, str]:
    """Normalised Russian title → canonical name, for a report kind."""
    columns = FIGURE_COLUMNS if kind == FIGURES else TOPIC_COLUMNS
    return {normalise_label(title): name for title, name in columns.items()}
