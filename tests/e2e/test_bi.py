"""`tyndau bi` for real: Superset in its own environment (built from bi/requirements.lock on
first use; a build that fails fails the test), on the demo's published marts read as
tyndau_reader, driven in headless Chromium: log in, open each committed dashboard, and check
that its charts got the marts' figures, with no failed chart request. Then a second import
updates the dashboards in place."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import expect

from tyndau.bi import ASSETS_DIR, provision, reader_uri, superset_python
from tyndau.report.browser import chromium
from tyndau.settings import load_settings
from tyndau.warehouse.roles import READER_ROLE

PASSWORD = "bi-test-password"
DASHBOARDS = {
    "akimat-ranking": "Akimat ranking",
    "monthly-trend": "Monthly trend",
    "state-body-scorecard": "State body scorecard",
    "open-data-freshness": "Open data freshness",
    "complaints": "Complaints",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def superset(pipeline, tmp_path_factory):
    """`tyndau bi` on a free port and a state dir of its own; yields (base URL, env, output)."""
    settings, url, _ = pipeline
    state = tmp_path_factory.mktemp("bi-state")
    port = _free_port()
    env = os.environ | {
        "TYNDAU_STATE_DIR": str(state),
        "WAREHOUSE_URL": url,
        "TYNDAU_READER_PASSWORD": settings.reader_password,
        "TYNDAU_BI_PASSWORD": PASSWORD,
    }
    output = state / "tyndau-bi.out"
    with output.open("w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "tyndau"), "bi", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # the first run on a machine builds Superset's environment (a uv sync) as well
        deadline = time.monotonic() + 600
        while "Ctrl-C stops Superset" not in output.read_text():
            assert proc.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(1)
        yield f"http://localhost:{port}", env, output
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        proc.wait(timeout=60)
    assert "Superset stopped." in output.read_text()
    assert proc.returncode == 0


def _marts(url: str) -> dict:
    with psycopg.connect(url) as conn:
        one = lambda query: conn.execute(query).fetchone()  # noqa: E731
        return {
            "akimats": one("select count(*) from marts.akimat_ranking")[0],
            "top_akimat": one(
                "select akimat_name_ru, answer_rate from marts.akimat_ranking"
                " order by answer_rank, akimat_name_ru limit 1"
            ),
            "top_ministry": one(
                "select ministry_name_ru from marts.ministry_ranking order by answer_rank limit 1"
            )[0],
            "monthly_akimats": one(
                "select count(distinct akimat_name_ru) from marts.akimat_ranking_monthly"
            )[0],
            "months": one("select count(distinct month) from marts.akimat_ranking_monthly")[0],
            "scorecard_rows": one("select count(*) from marts.gov_body_scorecard")[0],
            "opendata_bodies": one(
                "select count(distinct gov_body_name_ru) from marts.opendata_freshness"
            )[0],
            "complaint_years": one("select count(distinct year) from marts.complaints_national")[0],
        }


def _open(page, base: str, slug: str, charts: int) -> dict[str, dict]:
    """The dashboard, until each chart's data request answered: {chart name: its result}."""
    answers = []

    def on_response(response):
        if "/api/v1/chart/data" in response.url:
            answers.append(response)

    page.on("response", on_response)
    page.goto(f"{base}/superset/dashboard/{slug}/")
    expect(page.get_by_text(DASHBOARDS[slug]).first).to_be_visible()
    deadline = time.monotonic() + 120
    while len(answers) < charts and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    page.remove_listener("response", on_response)
    failed = [(a.url, a.status) for a in answers if a.status != 200]
    assert not failed, failed
    assert len(answers) == charts, f"{slug}: {len(answers)} of {charts} charts asked for data"
    listed = page.request.get(f"{base}/api/v1/chart/?q=(columns:!(id,slice_name),page_size:100)")
    names = {chart["id"]: chart["slice_name"] for chart in listed.json()["result"]}
    results = {}
    for answer in answers:
        chart = names[answer.request.post_data_json["form_data"]["slice_id"]]
        results[chart] = answer.json()["result"][0]
    # every chart drew: no error box, nothing still loading
    expect(page.locator(".chart-container .ant-alert-error")).to_have_count(0)
    expect(page.locator(".loading")).to_have_count(0)
    return results


def test_dashboards_render_the_marts_figures(superset, pipeline):
    base, env, output = superset
    settings, url, _ = pipeline
    printed = output.read_text()
    assert f"Superset:    {base}" in printed
    assert f"Log in as:   admin / {PASSWORD}" in printed
    for slug, title in DASHBOARDS.items():
        assert f"{base}/superset/dashboard/{slug}/  {title}" in printed
    figures = _marts(url)

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(90_000)
        expect.set_options(timeout=90_000)
        page.goto(base + "/login/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/superset/welcome/"))

        ranking = _open(page, base, "akimat-ranking", charts=3)
        assert ranking["Answer rate by akimat"]["rowcount"] == figures["akimats"]  # one bar each
        name, rate = figures["top_akimat"]
        top_row = page.get_by_role("row").filter(has_text=name).first
        expect(top_row).to_contain_text(f"{rate:.1%}")
        expect(page.get_by_role("row").filter(has_text=figures["top_ministry"])).not_to_have_count(
            0
        )

        trend = _open(page, base, "monthly-trend", charts=2)
        line = trend["Answer rate by month"]
        assert line["rowcount"] == figures["months"]  # one point a month …
        assert len(line["colnames"]) - 1 == figures["monthly_akimats"]  # … on a line per akimat

        scorecard = _open(page, base, "state-body-scorecard", charts=1)
        assert scorecard["State bodies per year"]["rowcount"] == figures["scorecard_rows"]

        opendata = _open(page, base, "open-data-freshness", charts=2)
        assert opendata["Share of datasets up to date"]["rowcount"] == figures["opendata_bodies"]

        complaints = _open(page, base, "complaints", charts=2)
        received = complaints["Complaints received per year"]["rowcount"]
        assert received == figures["complaint_years"]

        # the warehouse is registered as the analysts' role, its password in no file or log
        (database,) = page.request.get(base + "/api/v1/database/").json()["result"]
        connection = page.request.get(f"{base}/api/v1/database/{database['id']}/connection")
        uri = connection.json()["result"]["sqlalchemy_uri"]
        assert uri.startswith(f"postgresql://{READER_ROLE}:XXXXXXXXXX@"), uri
    logs = [output, *(Path(env["TYNDAU_STATE_DIR"]) / "superset" / "logs").iterdir()]
    for log in logs:
        assert settings.reader_password not in log.read_text(errors="replace"), log


def test_a_second_import_updates_in_place(superset, pipeline):
    _, env, _ = superset
    settings, url, _ = pipeline
    bi_settings = load_settings(env)
    python = superset_python()
    held = provision(bi_settings, python, reader_uri(bi_settings, url))
    committed = {
        kind: len(list((ASSETS_DIR / kind).rglob("*.yaml"))) for kind in ("datasets", "charts")
    }
    assert held == {
        "databases": 1,
        **committed,
        "dashboards": {title: slug for slug, title in DASHBOARDS.items()},
    }
    assert len(list((ASSETS_DIR / "dashboards").glob("*.yaml"))) == len(DASHBOARDS)
