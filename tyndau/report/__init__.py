"""`tyndau report`: one self-contained HTML page of the published marts.

The two akimat rankings with their intervals, answer rate against satisfaction, the monthly
trend, the two ministry rankings, and the open-data and complaint headlines. plotly.js is
inlined once, so the file opens offline and makes no network request. Beside the page, a folder
`<page>_data/` holds one CSV per chart, the rows it draws, which the page links under each chart.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from tyndau.export import write_csv
from tyndau.report import charts
from tyndau.report.data import ReportData, ReportError, load_report_data

__all__ = ["CHART_IDS", "ReportError", "data_dir", "render_report", "write_report"]

# the chart divs, in page order; the browser test looks them up by these ids, and each chart's
# CSV is named after its id
CHART_IDS = (
    "answer-ranking",
    "satisfaction-ranking",
    "rate-vs-satisfaction",
    "monthly-trend",
    "ministry-answer-ranking",
    "ministry-satisfaction-ranking",
)
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _chart_html(figure, div_id: str) -> str:
    return figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG
    )


def data_dir(output: Path) -> Path:
    """The folder of the page's chart CSVs: `report_data/` beside `report.html`."""
    return output.with_name(f"{output.stem}_data")


def build_charts(data: ReportData) -> dict[str, charts.Chart]:
    built = (
        charts.answer_ranking(data.ranking),
        charts.satisfaction_ranking(data.ranking),
        charts.answers_against_satisfaction(data.ranking),
        charts.monthly_answer_rate(data.monthly),
        charts.answer_ranking(
            data.ministries, charts.MINISTRIES, title="Ministries: answered / appeals"
        ),
        charts.satisfaction_ranking(
            data.ministries,
            charts.MINISTRIES,
            title="Ministries: negative / rated answers (lower is better)",
        ),
    )
    return dict(zip(CHART_IDS, built, strict=True))


def render_report(
    warehouse_url: str, data: ReportData, built: dict[str, charts.Chart], data_href: str
) -> str:
    """The page; each chart links its CSV at `data_href/<chart id>.csv` (relative to the page)."""
    from tyndau.headlines import complaints, opendata

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
        charts={i: _chart_html(chart.figure, i) for i, chart in built.items()},
        csv={i: f"{data_href}/{i}.csv" for i in built},
        data_date=data.data_date,
        generated_at=dt.datetime.now(dt.UTC).astimezone(),
        akimats=len(data.ranking),
        appeals=appeals,
        answered=answered,
        unrated=[row["akimat_name_ru"] for row in data.ranking if row["unsatisfied_share"] is None],
        small_samples=[row["akimat_name_ru"] for row in data.ranking if row["small_sample"]],
        ministries=len(data.ministries),
        ministry_small_samples=[
            row["ministry_name_ru"] for row in data.ministries if row["small_sample"]
        ],
        opendata_headline=opendata.headline(warehouse_url),
        complaints_headline=complaints.headline(warehouse_url),
    )


def write_report(warehouse_url: str, output: Path) -> Path:
    """Write the page to `output` and its charts' CSVs into `data_dir(output)`."""
    data = load_report_data(warehouse_url)
    built = build_charts(data)
    folder = data_dir(output)
    html = render_report(warehouse_url, data, built, data_href=folder.name)
    folder.mkdir(parents=True, exist_ok=True)
    for chart_id, chart in built.items():
        write_csv(
            folder / f"{chart_id}.csv",
            chart.columns,
            ([row[column] for column in chart.columns] for row in chart.rows),
        )
    output.write_text(html, encoding="utf-8")
    return output
