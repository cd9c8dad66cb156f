"""The report's charts on rows the demo never produces: an akimat without rated answers
(null share, null interval, no satisfaction rank or band); the ministries' charts; the rows each
chart hands its CSV."""

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
        "answered_late": 15,
        "answered_very_late": 4,
        "answered_very_late_share": Decimal("0.05"),
        "overdue_pending": 3,
    }


ROWS = [
    _row("63", 1, 0.99, 1, share=0.40, sat_rank=2, sat_band=1, rated=50),
    _row("15", 2, 0.90, 2, share=0.20, sat_rank=1, sat_band=1, rated=12),
    _row("10", 3, 0.80, 2),  # no rated answers
]


def test_unrated_akimats_stay_in_the_answer_ranking_only():
    chart = charts.answer_ranking(ROWS)
    answers = chart.figure
    assert sum(len(trace.x) for trace in answers.data) == 3
    assert [trace.name for trace in answers.data] == ["band 1", "band 2"]
    assert list(answers.layout.yaxis.categoryarray) == ["регион 63", "регион 15", "регион 10"]
    hover = answers.data[0].customdata[0][-1]
    assert "median 7.5 days to answer (90% within 21.0)" in hover
    assert "81.2% within the legal term, 5.0% after twice the term" in hover
    assert "3 pending past the term" in hover
    # the CSV's rows: every akimat, in rank order, with every column of the mart's query
    assert chart.rows == sorted(ROWS, key=lambda row: row["answer_rank"])
    assert chart.columns == tuple(ROWS[0])

    satisfaction_chart = charts.satisfaction_ranking(ROWS)
    satisfaction = satisfaction_chart.figure
    assert [row["region_kato"] for row in satisfaction_chart.rows] == ["15", "63"]
    assert satisfaction_chart.columns == tuple(ROWS[0])
    (trace,) = satisfaction.data
    assert list(trace.y) == ["регион 15", "регион 63"]  # rank order, the unrated one left out
    assert [round(x, 6) for x in trace.x] == [20.0, 40.0]
    assert [round(e, 6) for e in trace.error_x.array] == [10.0, 10.0]
    assert list(trace.marker.pattern.shape) == [charts.SMALL_SAMPLE_PATTERN, ""]

    scatter = charts.answers_against_satisfaction(ROWS)
    assert len(scatter.figure.data[0].x) == len(scatter.rows) == 2


def test_an_unknown_interval_draws_no_whisker_and_no_answer_no_response_time():
    row = _row("10", 1, 0.0, 1) | {
        "answer_rate_ci_low": None,
        "answer_rate_ci_high": None,
        "median_days_to_answer": None,
        "p90_days_to_answer": None,
        "answered_within_term_share": None,
        "answered_very_late_share": None,
    }
    (trace,) = charts.answer_ranking([row]).figure.data
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
    chart = charts.monthly_answer_rate(monthly)
    figure = chart.figure
    assert chart.rows == monthly
    assert sorted(trace.name for trace in figure.data) == ["регион 15", "регион 63"]
    assert all(len(trace.x) == 3 for trace in figure.data)


def _ministry(code, rank, rate, band, share, sat_rank, sat_band, rated):
    row = _row(code, rank, rate, band, share, sat_rank, sat_band, rated)
    del row["region_kato"], row["akimat_name_ru"], row["region_name_ru"]
    return {"gov_body_code": code, "ministry_name_ru": f"Министерство {code}", **row}


def test_ministries_are_labelled_and_named_by_their_own_columns():
    ministries = [
        _ministry("MIN02", 2, 0.95, 1, 0.42, 2, 1, 350),
        _ministry("MIN01", 1, 1.0, 1, 0.35, 1, 1, 8),
    ]
    chart = charts.answer_ranking(ministries, charts.MINISTRIES, title="Ministries")
    (trace,) = chart.figure.data
    assert list(trace.y) == ["Министерство MIN01", "Министерство MIN02"]
    assert trace.customdata[0][0] == "Министерство MIN01"
    assert chart.figure.layout.title.text == "Ministries"
    assert [row["gov_body_code"] for row in chart.rows] == ["MIN01", "MIN02"]

    satisfaction = charts.satisfaction_ranking(ministries, charts.MINISTRIES)
    (trace,) = satisfaction.figure.data
    assert list(trace.marker.pattern.shape) == [charts.SMALL_SAMPLE_PATTERN, ""]  # 8 ratings
