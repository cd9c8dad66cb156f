"""The command line's akimat ranking: figures as the mart gives them, nulls as dashes."""

from __future__ import annotations

from decimal import Decimal

from tyndau.headlines.dialog import format_ranking


def test_a_ranking_without_ratings_on_the_portal_prints_dashes():
    # satisfaction_basis 'no ratings on the portal': rated, unsatisfied, share and rank null
    rows = [("11", "Акимат 11", 10, 9, Decimal("0.9"), 1, None, None, None, None)]
    line = format_ranking(rows).splitlines()[2]
    assert line.split()[-4:] == ["—", "—", "—", "—"]
    assert "90.00%" in line


def test_rated_figures_are_printed():
    rows = [("11", "Акимат 11", 10, 9, Decimal("0.9"), 1, 4, 1, Decimal("0.25"), 1)]
    line = format_ranking(rows).splitlines()[2]
    assert line.split()[-4:] == ["4", "1", "25.00%", "1"]


def test_a_ministry_ranking_is_keyed_by_body_code_and_totalled():
    rows = [
        ("MTSZN", "Министерство труда", 3285, 3117, Decimal("0.948858"), 1, 350, 150, None, 1),
        ("ME", "Министерство энергетики", 405, 405, Decimal("1"), 2, 40, 14, None, 2),
    ]
    table = format_ranking(rows, "code", "ministry", "ministries")
    header, _, first, second, _, total = table.splitlines()
    assert header.startswith("code  ministry")
    assert first.startswith("MTSZN Министерство труда") and second.startswith("ME    ")
    assert total.split()[:4] == ["all", "ministries", "3690", "3522"]
