"""`tyndau docs` on the demo's warehouse: dbt's site with a catalog of the published marts and
their column comments, GX Data Docs with this run's marts gate, both served over HTTP by one
server that Ctrl-C stops."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from expectations.gate import GX_ROOT, MARTS_GATE

SERVING = re.compile(r"Serving both at (http://127\.0\.0\.1:\d+/)")
VALIDATION_LINK = re.compile(r"validations/(\w+)/__none__/(\d{8}T\d{6})\.\d+Z/[\w-]+\.html")


def _gate_suites() -> set[str]:
    checkpoint = json.loads((GX_ROOT / "gx" / "checkpoints" / f"{MARTS_GATE}.json").read_text())
    return {definition["name"] for definition in checkpoint["validation_definitions"]}


def test_docs_builds_and_serves_dbt_docs_and_data_docs(pipeline):
    settings, url, result = pipeline
    env = os.environ | {"WAREHOUSE_URL": url, "TYNDAU_STATE_DIR": str(settings.state_dir)}
    tyndau = str(Path(sys.executable).parent / "tyndau")
    proc = subprocess.Popen(
        [tyndau, "docs", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = []
        for line in proc.stdout:
            printed.append(line)
            if served := SERVING.search(line):
                break
        else:
            raise AssertionError(f"tyndau docs exited {proc.wait()}:\n{''.join(printed)}")
        base = served.group(1)

        # dbt: the site, and a catalog of the published marts (not the candidate schema)
        dbt_dir = settings.state_dir / "docs" / "dbt"
        assert f"dbt docs:  {dbt_dir / 'index.html'}\n" in printed
        catalog = json.loads((dbt_dir / "catalog.json").read_text())
        ranking = catalog["nodes"]["model.tyndau.akimat_ranking"]
        assert ranking["metadata"]["schema"] == "marts"
        assert ranking["metadata"]["comment"]
        columns = ranking["columns"]
        assert {"answer_rate", "unsatisfied_share", "answer_rank"} <= set(columns)
        assert all(column["comment"] for column in columns.values()), "a column lacks a comment"
        manifest = json.loads((dbt_dir / "manifest.json").read_text())
        assert "model.tyndau.akimat_ranking" in manifest["nodes"]

        # GX: every suite of the marts gate, validated by this session's run
        index = requests.get(base + "data-docs/index.html", timeout=10)
        assert index.status_code == 200
        latest: dict[str, str] = {}
        for suite, run_time in VALIDATION_LINK.findall(index.text):
            latest[suite] = max(run_time, latest.get(suite, ""))
        assert _gate_suites() <= set(latest)
        run_started = dt.datetime.strptime(result.log_file.stem, "run-%Y%m%d-%H%M%S").astimezone()
        gate_run = dt.datetime.strptime(latest["marts_akimat_ranking"], "%Y%m%dT%H%M%S")
        assert gate_run.replace(tzinfo=dt.UTC) >= run_started.replace(microsecond=0)
        page = VALIDATION_LINK.search(index.text).group(0)
        assert requests.get(base + "data-docs/" + page, timeout=10).status_code == 200

        # one server: the index page links both sites, and each site's files are there
        home = requests.get(base, timeout=10)
        assert home.status_code == 200
        assert 'href="/dbt/"' in home.text and 'href="/data-docs/"' in home.text
        dbt_home = requests.get(base + "dbt/", timeout=10)
        assert dbt_home.status_code == 200 and "dbt" in dbt_home.text.lower()
        served_catalog = requests.get(base + "dbt/catalog.json", timeout=10).json()
        assert "model.tyndau.akimat_ranking" in served_catalog["nodes"]
        assert requests.get(base + "dbt/manifest.json", timeout=10).status_code == 200
        assert requests.get(base + "nothing-here", timeout=10).status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest
    assert "stopped" in rest
