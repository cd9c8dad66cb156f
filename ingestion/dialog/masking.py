"""Personal data out of an appeal's texts, before anything past raw reads them.

The applicant's name, IINs, phone numbers, e-mail addresses and long digit runs in an appeal's
text and its answers become ``[NAME]``, ``[IIN]``, ``[PHONE]``, ``[EMAIL]`` and ``[NUMBER]``.
Masking runs here, in Python, once per landed observation (``load.land_pages`` writes the masked
texts beside raw; ``load.mask_landed`` fills in whatever lacks them and re-masks after a change
of these rules); staging reads the masked texts and never the raw ones.

A name is found in any grammatical case ("Ивановой Марии" for "Иванова Мария"): pymorphy3's
dictionary declines Russian names, surnames and patronymics, fleeting vowels included ("Павел",
"Павла"); rules of our own decline what it does not know: Kazakh and Russian surnames in
-ов/-ев/-ин (-ова, -ева, -ина), adjectival ones (-ский, -ская), patronymics (-ович, -овна) and
other first names by their last letter, and every name with the Kazakh case suffixes (Нұрланға,
Асельдің); Kazakh patronymics (-ұлы, -қызы) take no Russian endings. Letters
people type for one another (ё for е, Kazakh letters as their Russian look-alikes, a Latin i) are
folded first, so "Улыкбек" is "Ұлықбек". Masking more than the name (a homonym, a relative with
the same surname) is the price of missing nothing.

MASKING_VERSION names these rules: raise it with any change to them, and the next build's mask
step re-masks every landed observation (``tyndau remask`` does it on demand).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

#: Raise with every change of the rules below: what was masked under another version is
#: masked again (1 was the SQL masking inside the dbt build).
MASKING_VERSION = 2

#: Every letter a name can be written in: Latin, Russian Cyrillic (with Ёё), Kazakh additions.
LETTERS = "A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі"

#: The patterns, in the order they apply (a long digit run before the IIN it would contain).
#: The gate's regexes (dbt's pii_pattern, the GX suite) catch what these mask; a test holds
#: them to the same written forms.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "[EMAIL]",
        re.compile(r"[A-Za-zА-Яа-яЁё0-9._%+-]+@[A-Za-zА-Яа-яЁё0-9-]+(?:\.[A-Za-zА-Яа-яЁё0-9-]+)+"),
    ),
    # card or account numbers: 13 digits or more
    ("[NUMBER]", re.compile(r"[0-9]{13,}")),
    # 12 digits, together, 6 + 6 or 4 + 4 + 4 with a space, no-break space or hyphen between
    (
        "[IIN]",
        re.compile(
            r"(?<![0-9])(?:[0-9]{12}|[0-9]{6}[ \u00a0-][0-9]{6}"
            r"|[0-9]{4}[ \u00a0-][0-9]{4}[ \u00a0-][0-9]{4})(?![0-9])"
        ),
    ),
    # Kazakh numbers: +7 / 7 / 8, then 10 digits with spaces, hyphens, dots or parentheses
    (
        "[PHONE]",
        re.compile(r"(?<![0-9+])(?:\+?7|8)[ \u00a0().-]*(?:[0-9][ \u00a0().-]*){9}[0-9](?![0-9])"),
    ),
)

_WORD = re.compile(f"[{LETTERS}]+")
_NAME_PART = re.compile(f"[{LETTERS}]{{2,}}")
# Kazakh letters typed as their Russian look-alikes, ё as е, a Latin i as и
_FOLD = tuple(zip("әғқңөұүһіёi", "агкноуухиеи", strict=True))


def fold(word: str) -> str:
    """One spelling of a word for comparison: lower case, with the look-alikes folded."""
    word = word.lower()
    # str.replace per letter present: many times faster than str.translate on Cyrillic text
    for letter, look_alike in _FOLD:
        if letter in word:
            word = word.replace(letter, look_alike)
    return word


# Endings, by the shape of the word (folded). Possessive surnames: Иванов(а), Ахметов(а),
# Пушкин(а): masculine, feminine and plural forms share the stem in -ов/-ин.
_POSSESSIVE_ENDINGS = ("", "а", "у", "ым", "е", "ой", "ою", "ы", "ых", "ыми")
_ADJECTIVE_ENDINGS = (
    *("ий", "ый", "ого", "ому", "им", "ым", "ом"),
    *("ая", "ой", "ую", "ие", "ые", "их", "ых", "ими", "ыми"),
)
_CONSONANT_ENDINGS = ("", "а", "у", "ом", "ем", "е", "ы", "и", "ов", "ам", "ами", "ах")
_A_ENDINGS = ("а", "ы", "и", "е", "у", "ой", "ей", "ою", "ею")
_YA_ENDINGS = ("я", "и", "е", "ю", "ей", "ею")
_IYA_ENDINGS = ("ия", "ии", "ию", "ией", "иею")
_SOFT_ENDINGS = ("ь", "и", "ю", "ью", "я", "ем", "е", "ей")
_VOWELS = "аеиоуыэюя"
_INDECLINABLE = ("улы", "кызы")  # Kazakh patronymics: Серікұлы, Айгүлқызы
# Kazakh case suffixes, folded, on the name as it is: dative (Нұрланға, Ұлықбекке), genitive
# (Асельдің), accusative, locative, ablative, instrumental (Айгерiммен)
_KAZAKH_CASE_SUFFIXES = (
    *("га", "ге", "ка", "ке", "а", "е", "на", "не"),
    *("нын", "нин", "дын", "дин", "тын", "тин"),
    *("ны", "ни", "ды", "ди", "ты", "ти", "н"),
    *("да", "де", "та", "те", "нда", "нде"),
    *("дан", "ден", "тан", "тен", "нан", "нен", "ндан", "нден"),
    *("мен", "бен", "пен"),
)


def _rule_forms(part: str) -> set[str]:
    """The folded forms our own rules give a folded name part."""
    if len(part) < 3:
        return {part}
    forms = {part} | {part + suffix for suffix in _KAZAKH_CASE_SUFFIXES}
    if part.endswith(_INDECLINABLE):
        return forms
    if part.endswith(("ов", "ев", "ин", "ын")):
        stems = [part]
    elif part.endswith(("ова", "ева", "ина", "ына")):
        stems = [part[:-1]]
    else:
        stems = []
    if stems:
        return forms | {stem + ending for stem in stems for ending in _POSSESSIVE_ENDINGS}
    if part.endswith(("ский", "цкий", "ская", "цкая", "ской", "цкой")):
        return forms | {part[:-2] + ending for ending in _ADJECTIVE_ENDINGS}
    if part.endswith("ия"):
        return forms | {part[:-2] + ending for ending in _IYA_ENDINGS}
    if part.endswith("а"):
        return forms | {part[:-1] + ending for ending in _A_ENDINGS}
    if part.endswith("я"):
        return forms | {part[:-1] + ending for ending in _YA_ENDINGS}
    if part.endswith("ь"):
        return forms | {part[:-1] + ending for ending in _SOFT_ENDINGS}
    if part[-1] not in _VOWELS and part[-1] != "й":
        return forms | {part + ending for ending in _CONSONANT_ENDINGS}
    return forms


@lru_cache(maxsize=1)
def _morphology():
    import pymorphy3  # loads its dictionary (~0.1 s, ~15 MB): once, and only when masking

    return pymorphy3.MorphAnalyzer()


_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})


def _dictionary_forms(word: str) -> set[str]:
    """Every form pymorphy3 declines ``word`` into, read as a name: the paradigms of its parses
    as a first name, surname or patronymic, or failing those as a noun."""
    parses = _morphology().parse(word)
    chosen = [p for p in parses if _NAME_GRAMMEMES & p.tag.grammemes]
    chosen = chosen or [p for p in parses if p.tag.POS == "NOUN"]
    return {fold(form.word) for parse in chosen for form in parse.lexeme}


@lru_cache(maxsize=100_000)
def name_forms(part: str) -> frozenset[str]:
    """Every folded form of one part of a name (2+ letters), in every case."""
    folded = fold(part)
    forms = _rule_forms(folded)
    if len(folded) >= 3:
        # as written (the dictionary knows ё and Kazakh letters as such) and as folded
        forms |= _dictionary_forms(part.lower()) | _dictionary_forms(folded)
    return frozenset(forms)


def applicant_forms(applicant: str | None) -> frozenset[str]:
    """Every folded form of every part of the applicant's name."""
    return frozenset().union(*_forms_by_part(applicant))


def _forms_by_part(applicant: str | None) -> tuple[frozenset[str], ...]:
    """The folded forms of each part of the applicant's name, part by part (each cached)."""
    if not applicant:
        return ()
    return tuple(name_forms(m.group()) for m in _NAME_PART.finditer(applicant))


_DIGIT = re.compile("[0-9]")
#: The only characters whose lower case is not one character (İ) or is a letter of a name
#: though they are not (the Kelvin sign): a text without them folds character by character
#: into a text whose words are where the original's are (tests/unit/test_masking.py checks).
_FOLDS_UNEVENLY = ("\u0130", "\u212a")


def mask(text: str | None, applicant: str | None) -> str | None:
    """``text`` with personal data masked (see the module's doc); None stays None."""
    return _mask(text, _forms_by_part(applicant))


def _mask(text: str | None, parts: tuple[frozenset[str], ...]) -> str | None:
    """``mask`` with the forms of the applicant's name found already, part by part (an appeal's
    texts share them; not joined into one set, nor cached per applicant: such a cache would
    grow with the applicants, tens of KB each)."""
    if text is None:
        return None
    # each pattern needs a digit, the e-mail an @ (most texts have neither: skip the scans)
    if "@" in text or _DIGIT.search(text):
        for placeholder, pattern in PATTERNS:
            text = pattern.sub(placeholder, text)
    if not parts:
        return text
    if any(c in text for c in _FOLDS_UNEVENLY):
        return mask_names_word_by_word(text, frozenset().union(*parts))
    # Fold the whole text at once (C speed) and look at its words only when one is a form of
    # the name: the same words, at the same places, as folding word by word.
    folded = fold(text)
    words = set(_WORD.findall(folded))
    found = set().union(*(forms & words for forms in parts))
    if not found:
        return text
    pieces, last = [], 0
    for m in _WORD.finditer(folded):
        if m.group() in found:
            pieces += (text[last : m.start()], "[NAME]")
            last = m.end()
    pieces.append(text[last:])
    return "".join(pieces)


def mask_names_word_by_word(text: str, forms: frozenset[str]) -> str:
    """``text`` with every word whose folded form is in ``forms`` masked, word by word."""
    return _WORD.sub(lambda m: "[NAME]" if fold(m.group()) in forms else m.group(), text)


def masked_texts(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """An appeal's text and its answers' texts (in page order, a blank line between; from the
    single ``answer_text`` of payloads landed before answers were listed), masked."""
    answers = payload.get("answers")
    if isinstance(answers, list):
        texts = [a.get("text") for a in answers if isinstance(a, Mapping)]
        texts = [t for t in texts if t is not None]
        answer_text = "\n\n".join(texts) if texts else None
    else:
        answer_text = payload.get("answer_text")
    parts = _forms_by_part(payload.get("applicant"))
    return _mask(payload.get("text"), parts), _mask(answer_text, parts)
