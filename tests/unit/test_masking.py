"""Masking personal data in an appeal's texts (ingestion/dialog/masking.py): every written
form of an IIN, a phone, an e-mail, and the applicant's name in any grammatical case, spelling
and Kazakh form — while words that merely start like a name stay."""

from __future__ import annotations

import re
import sys

import pytest

from ingestion.dialog.masking import (
    _FOLDS_UNEVENLY,
    LETTERS,
    PATTERNS,
    applicant_forms,
    fold,
    mask,
    mask_names_word_by_word,
    masked_texts,
)

CASES = [
    # (applicant, text, masked)
    (
        "Иванова Алия Сериковна",
        "Я ИВАНОВА алия, ИИН 900101300123, тел. +7 701 234 56 78, 8(701)2345678, "
        "aliya.ivanova@mail.kz. Алиясов и Ивановка не я.",
        "Я [NAME] [NAME], ИИН [IIN], тел. [PHONE], [PHONE], [EMAIL]. Алиясов и Ивановка не я.",
    ),
    (
        "Иванова Алия Сериковна",
        "Уважаемая Алия Сериковна! Звоните 87012345678 или 8.701.234.56.78; "
        "ИИН 900101 300123 = 9001-0130-0123, 900101\u00a0300123, карта 4400123456789012.",
        "Уважаемая [NAME] [NAME]! Звоните [PHONE] или [PHONE]; ИИН [IIN] = [IIN], [IIN], "
        "карта [NUMBER].",
    ),
    # the case: the name in another grammatical case
    (
        "Иванова Мария",
        "Ответ Ивановой Марии: Марию Иванову вызвали, с Марией Ивановой говорили.",
        "Ответ [NAME] [NAME]: [NAME] [NAME] вызвали, с [NAME] [NAME] говорили.",
    ),
    # a fleeting vowel and irregular stems, which endings alone do not decline
    (
        "Павел Лев Пётр",
        "Павла, Льву и Петру; Петром и Павлом.",
        "[NAME], [NAME] и [NAME]; [NAME] и [NAME].",
    ),
    # Kazakh letters, typed as Russian look-alikes or with a Latin i; a 2-letter part; Kazakh
    # case suffixes (a surname made of the name, Ұлықбекова, is another person's)
    (
        "Әлібек Ұлықбек Ли",
        "әлібек ҰЛЫҚБЕК ли: лимон, Ұлықбекова, Улыкбек, Әлiбек, Ұлықбекке, Әлібектің",
        "[NAME] [NAME] [NAME]: лимон, Ұлықбекова, [NAME], [NAME], [NAME], [NAME]",
    ),
    # Kazakh patronymics (-ұлы, -қызы) stay as they are; surnames in -ов/-ова decline
    (
        "Жумабекова Асель Серікқызы",
        "Жумабековой Асели Серикқызы, Асель Жумабекову, Жумабековым, Серiкқызы",
        "[NAME] [NAME] [NAME], [NAME] [NAME], [NAME], [NAME]",
    ),
    (
        "Нұрлан Серікұлы Ахметов",
        "Нурлану Серикулы, Ахметову и Ахметовым, Ахметова; Нұрланға, Нұрланмен",
        "[NAME] [NAME], [NAME] и [NAME], [NAME]; [NAME], [NAME]",
    ),
    # adjectival surnames; patronymics in -ович/-овна
    (
        "Чайковский Пётр Ильич",
        "Чайковскому, Чайковской, Петру Ильичу",
        "[NAME], [NAME], [NAME] [NAME]",
    ),
    (
        "Абенова Гульнара Маратовна",
        "Гульнаре Маратовне, Абеновой",
        "[NAME] [NAME], [NAME]",
    ),
]


@pytest.mark.parametrize(("applicant", "text", "masked"), CASES, ids=lambda v: str(v)[:24])
def test_personal_data_is_masked(applicant, text, masked):
    assert mask(text, applicant) == masked


def test_texts_without_personal_data_stay_as_they_are():
    text = "Обращение №766293 от 01.01.2020: выделено 1 500 000 тенге на 2021-2023 годы, дом 12."
    assert mask(text, "Иванова Мария") == text
    assert mask(None, "Иванова Мария") is None
    assert mask("Иванова пришла", None) == "Иванова пришла"  # no name to look for


def test_masking_is_stable():
    """Masking a masked text changes nothing: the rules find no personal data left."""
    for applicant, text, _ in CASES:
        once = mask(text, applicant)
        assert mask(once, applicant) == once


def test_masked_texts_read_both_payload_shapes():
    listed = {
        "applicant": "Ким Ли",
        "text": "Прошу, Ким",
        "answers": [
            {"text": "Уважаемый Ким! Первый ответ.", "rating": None},
            {"text": None},
            {"text": "Второй ответ, звоните 87012345678.", "rating": "positive"},
        ],
    }
    assert masked_texts(listed) == (
        "Прошу, [NAME]",
        "Уважаемый [NAME]! Первый ответ.\n\nВторой ответ, звоните [PHONE].",
    )
    pending = {"applicant": "Ким Ли", "text": None, "answers": []}
    assert masked_texts(pending) == (None, None)
    flat = {"applicant": "Ким Ли", "text": "Старое", "answer_text": "Ответ Киму."}
    assert masked_texts(flat) == ("Старое", "Ответ [NAME].")


def test_folding_the_whole_text_finds_the_words_folding_them_one_by_one_finds():
    """mask() folds a whole text at once and takes the words of the folded text; that is only
    the same as folding word by word when every character folds into one character that is a
    name's letter exactly when the original is. Over all of Unicode, the characters that do
    not are the ones mask() sends word by word."""
    letter = re.compile(f"[{LETTERS}]")
    uneven = [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if len(fold(c)) != 1 or bool(letter.fullmatch(c)) != bool(letter.fullmatch(fold(c)))
    ]
    assert sorted(uneven) == sorted(_FOLDS_UNEVENLY)


@pytest.mark.parametrize(
    "text",
    [
        *(text for _, text, _ in CASES),
        "Иванова\u212aмария и Мария",  # the Kelvin sign: a letter once folded, not before
        "İванова Мария, Ивановой",  # İ folds into two characters
        "МАРИЯ-Иванова,мария.ИВАНОВОЙ",
        "",
    ],
)
def test_masking_a_folded_text_equals_masking_word_by_word(text):
    applicant = "Иванова Мария"
    forms = applicant_forms(applicant)
    digits_masked = text
    for placeholder, pattern in PATTERNS:
        digits_masked = pattern.sub(placeholder, digits_masked)
    assert mask(text, applicant) == mask_names_word_by_word(digits_masked, forms)
