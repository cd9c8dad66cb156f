"""The marts gate's personal-data expectations, as committed, against Postgres's own regex
engine: every way an IIN or a phone number is written is caught, a masked or ordinary text is
not, and the landing's masking (tests/unit/test_masking.py) masks each of them."""

from __future__ import annotations

import json

import psycopg
import pytest

from expectations.gate import GX_ROOT

WRITTEN_FORMS = [
    "ИИН 900101300123",
    "ИИН 900101 300123",
    "ИИН 900101\u00a0300123",
    "ИИН 9001-0130-0123",
    "тел. 87012345678",
    "тел. +7 701 234 56 78",
    "тел. 8(701)234-56-78",
    "тел. 8.701.234.56.78",
    "почта aliya.ivanova@mail.kz",
]
NOTHING_PERSONAL = [
    "Уважаемая [NAME] [NAME]! Звоните [PHONE]; ИИН [IIN], [EMAIL].",
    "Обращение №766293 от 01.01.2020 рассмотрено.",
    "Выделено 1 500 000 тенге на 2021-2023 годы, дом 12, кв. 34.",
]


@pytest.fixture(scope="module")
def patterns() -> set[str]:
    suite = json.loads((GX_ROOT / "gx" / "expectations" / "marts_fct_appeals.json").read_text())
    found = {
        e["kwargs"]["regex"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_not_match_regex"
        and e["kwargs"]["column"] == "answer_text"
    }
    return found


def _caught(conn: psycopg.Connection, text: str, patterns: set[str]) -> list[str]:
    return [p for p in patterns if conn.execute("select %s ~ %s", (text, p)).fetchone()[0]]


def test_every_written_form_of_an_iin_or_a_phone_is_caught(pg_server, patterns):
    with psycopg.connect(pg_server) as conn:
        missed = [text for text in WRITTEN_FORMS if not _caught(conn, text, patterns)]
    assert missed == []


def test_masked_and_ordinary_texts_pass(pg_server, patterns):
    with psycopg.connect(pg_server) as conn:
        caught = {text: _caught(conn, text, patterns) for text in NOTHING_PERSONAL}
    assert {text: hits for text, hits in caught.items() if hits} == {}


def test_the_landing_masks_what_the_gate_catches(pg_server, patterns):
    """Masking (in Python, at landing) and the gate (Postgres regexes) agree: every written
    form the gate catches is masked, and nothing the masking leaves is caught."""
    from ingestion.dialog.masking import mask

    masked = {text: mask(text, "Иванова Алия") for text in WRITTEN_FORMS}
    assert {t: m for t, m in masked.items() if m == t} == {}
    with psycopg.connect(pg_server) as conn:
        caught = {m: _caught(conn, m, patterns) for m in masked.values()}
    assert {m: hits for m, hits in caught.items() if hits} == {}
