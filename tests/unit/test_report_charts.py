"""The report's charts on rows the demo never produces: an akimat without rated answers
(null share, null interval, no satisfaction rank or band)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tyndau.report import charts


def _row(kato, rank, rate, band, share=None, sat_rank=None, sat_band=None, rated=0):
    return {
        "region_kato": kato,
        "akimat_name_ru": f"Акимат {kato}",
        "region_name_ru": f"регион {kato}",
        "appeals": 100,
        "answered": int(rate * 100),
        "answer_rate": Decimal(str(rate)),
        "answer_rate_ci_low": Decimal(str(rate - 0.05)),
        "answer_rate_ci_high": Decimal(str(min(rate + 0.05, 1))),
        "answer_rank": rank,
        "answer_band": band,
        "rated_answers": rated,
        "unsatisfied_share": None if share is None else Decimal(str(share)),
        "unsatisfied_share_ci_low": None if share is None else Decimal(str(share - 0.1)),
        "unsatisfied_share_ci_high": None if share is None else Decimal(str(share + 0.1)),
        "satisfaction_rank": sat_rank,
        "satisfaction_band": sat_band,
        "small_sample": rated < 30,
        "median_days_to_answer": Decimal("7.5"),
        "p90_days_to_answer": Decimal("21"),
        "answered_within_term_share": Decimal("0.8125"),
        "overdue_pending": 3,
    }


ROWS = [
    _row("63", 1, 0.99, 1, share=0.40, sat_rank=2, sat_band=1, rated=50),
    _row("15", 2, 0.90, 2, share=0.20, sat_rank=1, sat_band=1, rated=12),
    _row("10", 3, 0.80, 2),  # no rated answers
]


def test_unrated_akimats_stay_in_the_answer_ranking_only():
    answers = charts.answer_ranking(ROWS)
    assert sum(len(trace.x) for trace in answers.data) == 3
    assert [trace.name for trace in answers.data] == ["band 1", "band 2"]
    assert list(answers.layout.yaxis.categoryarray) == ["регион 63", "регион 15", "регион 10"]
    hover = answers.data[0].customdata[0][-1]
    assert "median 7.5 days to answer (90% within 21.0)" in hover
    assert "81.2% within the legal term" in hover and "3 pending past the term" in hover

    satisfaction = charts.satisfaction_ranking(ROWS)
    (trace,) = satisfaction.data
    assert list(trace.y) == ["регион 15", "регион 63"]  # rank order, the unrated one left out
    assert [round(x, 6) for x in trace.x] == [20.0, 40.0]
    assert [round(e, 6) for e in trace.error_x.array] == [10.0, 10.0]
    assert list(trace.marker.pattern.shape) == [charts.SMALL_SAMPLE_PATTERN, ""]

    scatter = charts.answers_against_satisfaction(ROWS)
    assert len(scatter.data[0].x) == 2


def test_an_unknown_interval_draws_no_whisker_and_no_answer_no_response_time():
    row = _row("10", 1, 0.0, 1) | {
        "answer_rate_ci_low": None,
        "answer_rate_ci_high": None,
        "median_days_to_answer": None,
        "p90_days_to_answer": None,
        "answered_within_term_share": None,
    }
    (trace,) = charts.answer_ranking([row]).data
    assert list(trace.error_x.array) == [None] and list(trace.error_x.arrayminus) == [None]
    assert trace.customdata[0][-1] == "<br>no answers yet"


def test_monthly_trend_has_one_line_per_akimat():
    monthly = [
        {
            "month": dt.date(2020, m, 1),
            "region_kato": kato,
            "region_name_ru": f"регион {kato}",
            "akimat_name_ru": f"Акимат {kato}",
            "appeals": 10,
            "answered": 9,
            "answer_rate": Decimal("0.9"),
        }
        for kato in ("63", "15")
        for m in (1, 2, 3)
    ]
    figure = charts.monthly_answer_rate(monthly)
    assert sorted(trace.name for trace in figure.data) == ["регион 15", "регион 63"]
    assert all(len(trace.x) == 3 for trace in figure.data)
