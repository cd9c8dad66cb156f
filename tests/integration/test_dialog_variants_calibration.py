"""docs/calibration.md's akimat ranking holds on every markup variant the sandbox serves: every page
of every akimat's blog rendered in the variant, read by the parser, and ranked here by the
rules of docs/calibration.md (an independent computation; the demo ranks the evidenced shape through
the DAGs in tests/e2e/test_pipeline.py)."""

from __future__ import annotations

import csv
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from ingestion.dialog.parse import parse_listing
from sandbox.dialog import build_scenario
from sandbox.dialog.markup import CALIBRATED_VARIANTS, VARIANTS
from sandbox.dialog.render import render_listing, total_pages

CALIBRATION = Path(__file__).resolve().parents[1] / "fixtures" / "calibration_akimat_ranking.csv"


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


def read_figures(scenario, markup) -> dict[str, Counter]:
    """Per KATO: appeals, answered, rated and unsatisfied, as the parser reads the pages."""
    figures: dict[str, Counter] = {}
    for blog in scenario.blogs:
        if blog.body_type != "akimat":
            continue
        appeals = scenario.appeals_by_blog[blog.blog_id]
        counts = figures.setdefault(blog.region_kato, Counter())
        for number in range(1, total_pages(len(appeals)) + 1):
            html = render_listing(blog, appeals, number, markup, scenario.today)
            page = parse_listing(html, f"sandbox:{blog.blog_id}:{number}")
            assert not page.rejects, page.rejects[0]
            for card in page.cards:
                counts["appeals"] += 1
                counts["answered"] += card["status"] == "answered"
                counts["rated"] += card["rating"] is not None
                counts["unsatisfied"] += card["rating"] == "negative"
    return figures


def ranks(figures: dict[str, Counter]) -> tuple[dict[str, int], dict[str, int]]:
    """docs/calibration.md's rules: answer rank by rate, then more answered, then the lower KATO;
    satisfaction rank by unsatisfied share, then more rated, then the lower KATO."""
    by_answers = sorted(
        figures,
        key=lambda k: (
            -Fraction(figures[k]["answered"], figures[k]["appeals"]),
            -figures[k]["answered"],
            k,
        ),
    )
    rated = [k for k in figures if figures[k]["rated"]]
    by_satisfaction = sorted(
        rated,
        key=lambda k: (
            Fraction(figures[k]["unsatisfied"], figures[k]["rated"]),
            -figures[k]["rated"],
            k,
        ),
    )
    return (
        {k: n for n, k in enumerate(by_answers, start=1)},
        {k: n for n, k in enumerate(by_satisfaction, start=1)},
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_akimat_ranking_reproduces_on_every_variant(scenario, variant):
    markup = VARIANTS[variant]
    figures = read_figures(scenario, markup)
    answer_rank, satisfaction_rank = ranks(figures)
    expected = list(csv.DictReader(CALIBRATION.open(encoding="utf-8")))
    assert set(figures) == {row["region_kato"] for row in expected}
    for row in expected:
        kato, got = row["region_kato"], figures[row["region_kato"]]
        assert (got["appeals"], got["answered"]) == (int(row["appeals"]), int(row["answered"]))
        assert answer_rank[kato] == int(row["answer_rank"]), kato
        if variant in CALIBRATED_VARIANTS:
            assert (got["rated"], got["unsatisfied"]) == (
                int(row["rated_answers"]),
                int(row["unsatisfied"]),
            ), kato
            assert satisfaction_rank[kato] == int(row["satisfaction_rank"]), kato
        else:  # no rating markup at all: nothing to rank satisfaction by
            assert got["rated"] == 0 and not satisfaction_rank
