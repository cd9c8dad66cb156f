"""The report's charts, as plotly figures built from the rows of `data.py`, each with the rows
it draws (the chart's CSV)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

SMALL_SAMPLE_PATTERN = "/"  # hatched bars: fewer than 30 rated answers
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13)
GRID = "#e5e5e5"
MARGIN = dict(l=10, r=20, t=60, b=50)
# the rankings' legend sits this far below the plot, clear of the axis title, however few bars
LEGEND_DROP_PX = 45


@dataclass(frozen=True)
class Chart:
    """A figure and the rows it draws, in its order, with the columns of the query they came
    from: what the chart's CSV holds."""

    figure: go.Figure
    rows: list[dict]
    columns: tuple[str, ...]


def _chart(figure: go.Figure, rows: list[dict], source: list[dict]) -> Chart:
    return Chart(figure, rows, tuple(source[0]) if source else ())


def _house_style(fig: go.Figure, **layout) -> None:
    """The report's common look (margins, font, white plot), then the chart's own layout."""
    fig.update_layout(margin=MARGIN, font=FONT, plot_bgcolor="white", **layout)


def _pct(value) -> float | None:
    return None if value is None else float(value) * 100


def _span(low: float | None, high: float | None) -> float | None:
    """An error bar's length; none where the interval is unknown."""
    return None if low is None or high is None else high - low


def _band_colours(bands: list[int]) -> dict[int, str]:
    """Band 1 (the leaders) green, the last band red, those between on the way."""
    ordered = sorted(set(bands))
    steps = [1 - i / max(len(ordered) - 1, 1) for i in range(len(ordered))]
    return dict(zip(ordered, sample_colorscale("RdYlGn", steps), strict=True))


def _share(value) -> str:
    return "—" if value is None else f"{_pct(value):.1f}%"


def _response_times(row: dict) -> str:
    """How fast the body answers, for the answer rankings' hover."""
    if row["median_days_to_answer"] is None:
        return "<br>no answers yet"
    return (
        f"<br>median {float(row['median_days_to_answer']):.1f} days to answer "
        f"(90% within {float(row['p90_days_to_answer']):.1f}); "
        f"{_share(row['answered_within_term_share'])} within the legal term, "
        f"{_share(row['answered_very_late_share'])} after twice the term"
        f"<br>{row['overdue_pending']} pending past the term"
    )


def _ranking(
    rows: list[dict],
    value: str,
    band: str,
    title: str,
    axis: str,
    mark_small: bool,
    detail: Callable[[dict], str] = lambda row: "",
    label: str = "region_name_ru",
    name: str = "akimat_name_ru",
) -> go.Figure:
    """Horizontal bars in rank order (rank 1 on top), 95% Wilson intervals as error bars,
    one trace per band so the legend names the bands; each bar labelled with the row's
    `label` column, its hover headed by `name`."""
    colours = _band_colours([row[band] for row in rows])
    fig = go.Figure()
    for number, colour in colours.items():
        members = [row for row in rows if row[band] == number]
        rates = [_pct(row[value]) for row in members]
        low = [_pct(row[f"{value}_ci_low"]) for row in members]
        high = [_pct(row[f"{value}_ci_high"]) for row in members]
        small = [mark_small and bool(row["small_sample"]) for row in members]
        fig.add_bar(
            name=f"band {number}",
            orientation="h",
            y=[row[label] for row in members],
            x=rates,
            error_x=dict(
                type="data",
                symmetric=False,
                array=[h - r if h is not None else None for r, h in zip(rates, high, strict=True)],
                arrayminus=[
                    r - lo if lo is not None else None for r, lo in zip(rates, low, strict=True)
                ],
                color="#222",
                thickness=1.4,
                width=4,
            ),
            marker=dict(
                color=colour,
                opacity=0.85,  # the whiskers stay visible over the bar
                line=dict(color="#555", width=0.5),
                pattern=dict(shape=[SMALL_SAMPLE_PATTERN if s else "" for s in small]),
            ),
            customdata=[
                [
                    row[name],
                    lo,
                    h,
                    row["appeals"],
                    row["rated_answers"],
                    " (small sample)" if s else "",
                    detail(row),
                ]
                for row, lo, h, s in zip(members, low, high, small, strict=True)
            ],
            hovertemplate=(
                "<b>%{customdata[0]}</b>%{customdata[5]}<br>%{x:.1f}% "
                "(95% interval %{customdata[1]:.1f}–%{customdata[2]:.1f}%)<br>"
                "%{customdata[3]} appeals, %{customdata[4]} rated answers%{customdata[6]}"
                "<extra>%{fullData.name}</extra>"
            ),
        )
    order = [row[label] for row in rows]
    height = 130 + 26 * len(rows)
    plot_height = height - MARGIN["t"] - MARGIN["b"]  # the legend's y is a fraction of it
    _house_style(
        fig,
        title=title,
        barmode="overlay",
        height=height,
        legend=dict(
            title="bands (1 = best)", orientation="h", y=-LEGEND_DROP_PX / plot_height, x=0
        ),
        xaxis=dict(title=axis, ticksuffix="%", zeroline=False, gridcolor=GRID),
        yaxis=dict(categoryorder="array", categoryarray=order, autorange="reversed"),
    )
    return fig


class Bodies(NamedTuple):
    """Which columns of a ranking mart's rows label its bars and head their hover."""

    label: str
    name: str


AKIMATS = Bodies(label="region_name_ru", name="akimat_name_ru")
MINISTRIES = Bodies(label="ministry_name_ru", name="ministry_name_ru")


def answer_ranking(ranking: list[dict], bodies: Bodies = AKIMATS, title: str = "") -> Chart:
    rows = sorted(ranking, key=lambda row: row["answer_rank"])
    figure = _ranking(
        rows,
        value="answer_rate",
        band="answer_band",
        title=title or "Answer rate: answered / appeals",
        axis="answer rate",
        mark_small=False,
        detail=_response_times,
        **bodies._asdict(),
    )
    return _chart(figure, rows, ranking)


def satisfaction_ranking(ranking: list[dict], bodies: Bodies = AKIMATS, title: str = "") -> Chart:
    """Bodies without rated answers have no share to show and are left out."""
    rows = sorted(
        (row for row in ranking if row["satisfaction_rank"] is not None),
        key=lambda row: row["satisfaction_rank"],
    )
    figure = _ranking(
        rows,
        value="unsatisfied_share",
        band="satisfaction_band",
        title=title or "Unsatisfied share: negative / rated answers (lower is better)",
        axis="unsatisfied share",
        mark_small=True,
        **bodies._asdict(),
    )
    return _chart(figure, rows, ranking)


def answers_against_satisfaction(ranking: list[dict]) -> Chart:
    rated = [row for row in ranking if row["unsatisfied_share"] is not None]
    fig = go.Figure(
        go.Scatter(
            mode="markers+text",
            x=[_pct(row["answer_rate"]) for row in rated],
            y=[_pct(row["unsatisfied_share"]) for row in rated],
            text=[row["region_kato"] for row in rated],
            textposition="middle center",
            textfont=dict(size=10, color="white"),
            marker=dict(
                size=[row["appeals"] for row in rated],
                sizemode="area",
                sizeref=2.0 * max(row["appeals"] for row in rated) / 60**2,
                sizemin=14,
                color="#2a6f97",
                opacity=0.75,
                line=dict(color="white", width=1),
            ),
            customdata=[
                [row["akimat_name_ru"], row["appeals"], row["rated_answers"]] for row in rated
            ],
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>answer rate %{x:.1f}%<br>unsatisfied %{y:.1f}%"
                "<br>%{customdata[1]} appeals, %{customdata[2]} rated answers<extra></extra>"
            ),
        )
    )
    _house_style(
        fig,
        title="Answer rate against unsatisfied share (size: appeals; label: KATO)",
        height=520,
        xaxis=dict(title="answer rate", ticksuffix="%", gridcolor=GRID),
        yaxis=dict(title="unsatisfied share", ticksuffix="%", gridcolor=GRID),
    )
    return _chart(fig, rated, ranking)


def monthly_answer_rate(monthly: list[dict]) -> Chart:
    """One line per akimat; a click on the legend hides a line, a double click isolates it."""
    by_akimat: dict[tuple, list[dict]] = defaultdict(list)
    for row in monthly:
        by_akimat[(row["region_kato"], row["region_name_ru"], row["akimat_name_ru"])].append(row)
    fig = go.Figure()
    for (_, region, akimat), rows in sorted(by_akimat.items()):
        fig.add_scatter(
            name=region,
            mode="lines+markers",
            x=[row["month"] for row in rows],
            y=[_pct(row["answer_rate"]) for row in rows],
            marker=dict(size=5),
            customdata=[[akimat, row["appeals"], row["answered"]] for row in rows],
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>%{x|%B %Y}: %{y:.1f}% "
                "(%{customdata[2]} of %{customdata[1]})<extra></extra>"
            ),
        )
    _house_style(
        fig,
        title="Answer rate by month of submission",
        height=560,
        xaxis=dict(title="month the appeals were submitted", gridcolor=GRID),
        yaxis=dict(title="answer rate", ticksuffix="%", gridcolor=GRID),
        legend=dict(title="click: hide · double-click: only this"),
    )
    return _chart(fig, monthly, monthly)
