"""`tyndau report`: one self-contained HTML page of the published marts.

The two akimat rankings with their intervals, answer rate against satisfaction, the monthly
trend, and the open-data and complaint headlines. plotly.js is inlined once, so the file opens
offline and makes no network request.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from tyndau.report import charts
from tyndau.report.data import ReportError, load_report_data

__all__ = ["CHART_IDS", "ReportError", "render_report", "write_report"]

# the chart divs, in page order; the browser test looks them up by these ids
CHART_IDS = ("answer-ranking", "satisfaction-ranking", "rate-vs-satisfaction", "monthly-trend")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _chart_html(figure, div_id: str) -> str:
    return figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG
    )


def render_report(warehouse_url: str) -> str:
    from tyndau.headlines import complaints, opendata

    data = load_report_data(warehouse_url)
    figures = (
        charts.answer_ranking(data.ranking),
        charts.satisfaction_ranking(data.ranking),
        charts.answers_against_satisfaction(data.ranking),
        charts.monthly_answer_rate(data.monthly),
    )
    env = Environment(
        loader=PackageLoader("tyndau.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    appeals = sum(row["appeals"] for row in data.ranking)
    answered = sum(row["answered"] for row in data.ranking)
    return env.get_template("report.html.j2").render(
        plotly_js=get_plotlyjs(),
        charts={i: _chart_html(f, i) for f, i in zip(figures, CHART_IDS, strict=True)},
        data_date=data.data_date,
        generated_at=dt.datetime.now(dt.UTC).astimezone(),
        akimats=len(data.ranking),
        appeals=appeals,
        answered=answered,
        unrated=[row["akimat_name_ru"] for row in data.ranking if row["unsatisfied_share"] is None],
        small_samples=[row["akimat_name_ru"] for row in data.ranking if row["small_sample"]],
        opendata_headline=opendata.headline(warehouse_url),
        complaints_headline=complaints.headline(warehouse_url),
    )


def write_report(warehouse_url: str, output: Path) -> Path:
    html = render_report(warehouse_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    return output
