"""`tyndau report` on the demo's marts, opened in headless Chromium: every chart drawn with the
marts' numbers of bars, points and lines (the ministries' too), the headlines there, no console
error, no request leaving the file (self-contained), and under each chart a link to its data, a
CSV beside the page holding the mart's rows the chart draws."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
from click.testing import CliRunner
from psycopg.rows import dict_row

from tyndau.cli import main
from tyndau.report import CHART_IDS
from tyndau.report.browser import chromium

# what each chart drew, read from the SVG plotly rendered (not from plotly's data)
RENDERED = """() => Object.fromEntries(%s.map(id => {
  const chart = document.getElementById(id);
  const bars = [...chart.querySelectorAll('.barlayer .point path')];
  return [id, {
    svg: chart.querySelectorAll('svg.main-svg').length,
    bars: bars.filter(path => /^M[^Z]+Z$/.test(path.getAttribute('d') || '')).length,
    errorBars: chart.querySelectorAll('.errorbar path').length,
    colours: new Set(bars.map(path => path.style.fill).filter(f => !f.startsWith('url('))).size,
    hatched: bars.filter(path => path.style.fill.startsWith('url(')).length,
    legend: chart.querySelectorAll('.legend .traces').length,
    lines: chart.querySelectorAll('.scatterlayer .trace .js-line').length,
    points: chart.querySelectorAll('.scatterlayer .points .point').length,
    // the category labels from top to bottom, as drawn
    labels: [...chart.querySelectorAll('.ytick text')]
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
      .map(text => text.textContent),
    // the link under the chart, to its CSV
    data: chart.closest('.chart').nextElementSibling.querySelector('a[download]')
      .getAttribute('href'),
  }];
}))"""

# the chart's CSV holds these rows of the marts, in the chart's order
CSV_ROWS = {
    "answer-ranking": "select * from marts.akimat_ranking order by answer_rank",
    "satisfaction-ranking": (
        "select * from marts.akimat_ranking where satisfaction_rank is not null "
        "order by satisfaction_rank"
    ),
    "rate-vs-satisfaction": (
        "select * from marts.akimat_ranking where unsatisfied_share is not null "
        "order by answer_rank"
    ),
    "monthly-trend": "select * from marts.akimat_ranking_monthly order by region_kato, month",
    "ministry-answer-ranking": "select * from marts.ministry_ranking order by answer_rank",
    "ministry-satisfaction-ranking": (
        "select * from marts.ministry_ranking where satisfaction_rank is not null "
        "order by satisfaction_rank"
    ),
}


def _csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no byte-order mark for Excel"
    header, *rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    return header, rows


def _as_text(value) -> str:
    """A value as the csv module writes it."""
    return "" if value is None else str(value)


def _expected(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return dict(
            zip(
                ("akimats", "rated", "answer_bands", "satisfaction_bands", "small", "months"),
                conn.execute(
                    """
                    select count(*), count(unsatisfied_share), count(distinct answer_band),
                           count(distinct satisfaction_band), count(*) filter (where small_sample),
                           (select count(*) from marts.akimat_ranking_monthly)
                    from marts.akimat_ranking
                    """
                ).fetchone(),
                strict=True,
            )
        ) | dict(
            zip(
                ("ministries", "ministries_rated", "ministry_answer_bands", "ministry_small"),
                conn.execute(
                    """
                    select count(*), count(satisfaction_rank), count(distinct answer_band),
                           count(*) filter (where small_sample)
                    from marts.ministry_ranking
                    """
                ).fetchone(),
                strict=True,
            )
        )


def _hover(page, chart: str, mark: str) -> str:
    """Move the mouse onto a chart's first bar or point (plotly's drag layer lies on top of
    them, as for a user) and return the hover label's text."""
    target = page.locator(f"{chart} {mark}").first
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(f"{chart} .hoverlayer .hovertext")
    return page.text_content(f"{chart} .hoverlayer")


def test_report_renders_every_chart_in_chromium(pipeline, tmp_path):
    settings, url, _ = pipeline
    output = tmp_path / "report.html"
    env = {"WAREHOUSE_URL": url, "TYNDAU_STATE_DIR": str(settings.state_dir)}
    png = tmp_path / "report.png"
    done = CliRunner().invoke(
        main, ["report", "--output", str(output), "--screenshot", str(png)], env=env
    )
    assert done.exit_code == 0, done.output
    assert str(output) in done.output and str(png) in done.output
    assert str(tmp_path / "report_data") in done.output
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1400  # the width of the README's image
    expected = _expected(url)
    with psycopg.connect(url) as conn:
        (top_akimat,) = conn.execute(
            "select akimat_name_ru from marts.akimat_ranking where answer_rank = 1"
        ).fetchone()
        ministries = [
            name
            for (name,) in conn.execute(
                "select ministry_name_ru from marts.ministry_ranking order by answer_rank"
            )
        ]
    with psycopg.connect(url, row_factory=dict_row) as conn:
        mart_rows = {chart: conn.execute(query).fetchall() for chart, query in CSV_ROWS.items()}
    assert expected["akimats"] == expected["rated"] == 20  # the demo: every akimat is rated
    assert expected["small"] >= 1  # область Абай: 20 rated answers
    assert expected["ministries"] == expected["ministries_rated"] == 6  # CALIBRATION section 2
    assert expected["ministry_small"] == 1  # Emergencies: 8 rated answers

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(output.as_uri(), wait_until="load")
        page.wait_for_function(
            f"{list(CHART_IDS)}.every(id => document.querySelector(`#${{id}} .main-svg`))"
        )
        drawn = page.evaluate(RENDERED % list(CHART_IDS))
        text = page.inner_text("body")
        bar_hover = _hover(page, "#answer-ranking", ".barlayer .point path")
        point_hover = _hover(page, "#rate-vs-satisfaction", ".scatterlayer .point")

    assert all(chart["svg"] >= 1 for chart in drawn.values()), drawn
    answers, satisfaction = drawn["answer-ranking"], drawn["satisfaction-ranking"]
    assert answers["bars"] == answers["errorBars"] == expected["akimats"]
    assert answers["colours"] == answers["legend"] == expected["answer_bands"]
    assert satisfaction["bars"] == satisfaction["errorBars"] == expected["rated"]
    assert satisfaction["legend"] == expected["satisfaction_bands"]
    assert satisfaction["hatched"] == expected["small"]
    assert drawn["rate-vs-satisfaction"]["points"] == expected["rated"]
    trend = drawn["monthly-trend"]
    assert trend["lines"] == trend["legend"] == expected["akimats"]
    assert trend["points"] == expected["months"]
    # the ministries' charts: every ministry of the mart, labelled in rank order
    ministry_answers = drawn["ministry-answer-ranking"]
    assert ministry_answers["bars"] == ministry_answers["errorBars"] == expected["ministries"]
    assert ministry_answers["legend"] == expected["ministry_answer_bands"]
    assert ministry_answers["labels"] == ministries
    ministry_satisfaction = drawn["ministry-satisfaction-ranking"]
    assert ministry_satisfaction["bars"] == expected["ministries_rated"]
    assert ministry_satisfaction["hatched"] == expected["ministry_small"]
    assert sorted(ministry_satisfaction["labels"]) == sorted(ministries)

    # under each chart, a link to a file beside the page: the chart's rows of the mart
    for chart, rows in mart_rows.items():
        href = drawn[chart]["data"]
        assert href == f"report_data/{chart}.csv", href
        header, csv_rows = _csv(output.parent / href)
        assert set(header) <= set(rows[0]), chart
        assert csv_rows == [[_as_text(row[column]) for column in header] for row in rows], chart
    # the rankings' CSVs carry the ranking's whole data, the late answers included
    assert {"answer_rate_ci_low", "answer_band", "answered_very_late_share"} <= set(
        _csv(output.parent / drawn["ministry-answer-ranking"]["data"])[0]
    )

    # the first bar is the top akimat; a bubble names its akimat
    assert top_akimat in bar_hover and "days to answer" in bar_hover, bar_hover
    assert "after twice the term" in bar_hover, bar_hover
    assert "Акимат" in point_hover and "answer rate" in point_hover, point_hover

    # the report's headlines are the latest published: the sandboxes' scenario year 2021
    assert "Open data: 2,800 datasets at 2021-12-31" in text
    assert "2021: 2.05 million complaints and applications" in text
    assert "20 akimats, 28,000 appeals, 25,032 answered (89.4%)" in text
    assert errors == []
    assert requests == [output.as_uri()], "the report must not fetch anything"


def test_report_before_the_marts_are_built_says_so(fresh_database, tmp_path):
    done = CliRunner().invoke(
        main,
        ["report", "--output", str(tmp_path / "report.html")],
        env={"WAREHOUSE_URL": fresh_database, "TYNDAU_STATE_DIR": str(tmp_path)},
    )
    assert done.exit_code == 1
    assert "the marts are not built yet" in done.output
    assert "tyndau demo" in done.output
    assert not (tmp_path / "report.html").exists()
