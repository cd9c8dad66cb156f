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
