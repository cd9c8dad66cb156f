"""`python -m sandbox.dialog`: every knob on the command line; the sandbox stands alone."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from sandbox.dialog.__main__ import build_parser, knobs_from_args, main
from sandbox.dialog.markup import BROKEN_VARIANTS, EVIDENCED, VARIANTS
from sandbox.dialog.server import Knobs

REPO = Path(__file__).resolve().parents[2]
KNOB_FLAGS = (
    "--crawl-delay",
    "--error-rate",
    "--rate-limit-rate",
    "--retry-after",
    "--slow-rate",
    "--slow-seconds",
    "--truncate-rate",
    "--drift-every",
    "--drift-blog",
    "--fault-seed",
    "--markup",
)


def squeezed(text: str) -> str:
    """Text without whitespace: help wraps lines anywhere, even inside a variant's name."""
    return "".join(text.split())


def test_help_describes_every_knob():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.dialog", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for flag in (*KNOB_FLAGS, "--port", "--host", "--seed", "--scale", "--appeals"):
        assert flag in result.stdout
    for name in VARIANTS | BROKEN_VARIANTS:
        assert squeezed(f"'{name}'") in squeezed(result.stdout)


def test_flags_become_knobs():
    args = build_parser().parse_args(
        [
            "--crawl-delay",
            "1",
            "--error-rate",
            "0.1",
            "--rate-limit-rate",
            "0.05",
            "--retry-after",
            "3",
            "--slow-rate",
            "0.02",
            "--slow-seconds",
            "12",
            "--truncate-rate",
            "0.01",
            "--drift-every",
            "50",
            "--drift-blog",
            "294912",
            "--drift-blog",
            "32777",
            "--fault-seed",
            "9",
            "--markup",
            "numbers with №",
        ]
    )
    assert knobs_from_args(args) == Knobs(
        crawl_delay=1,
        error_rate=0.1,
        rate_limit_rate=0.05,
        retry_after=3,
        slow_rate=0.02,
        slow_seconds=12.0,
        truncate_rate=0.01,
        drift_every=50,
        drift_blog_ids=(294912, 32777),
        fault_seed=9,
        markup=VARIANTS["numbers with №"],
    )
    assert knobs_from_args(build_parser().parse_args([])) == Knobs()
    assert Knobs().markup == EVIDENCED


@pytest.mark.parametrize("name", list(VARIANTS | BROKEN_VARIANTS))
def test_every_markup_variant_is_a_choice(name):
    args = build_parser().parse_args(["--markup", name])
    assert knobs_from_args(args).markup == (VARIANTS | BROKEN_VARIANTS)[name]


def test_an_unknown_markup_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--markup", "question-card"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'question-card'" in capsys.readouterr().err


def test_tyndau_sandbox_takes_the_same_flags(monkeypatch):
    """`tyndau sandbox` hands its arguments to this command line: --markup comes with it."""
    import tyndau.cli

    seen = {}

    def serve(sandbox, title, stop=None):
        seen["markup"] = sandbox.knobs.markup
        return 0

    monkeypatch.setattr("sandbox.dialog.__main__.serve_until_interrupted", serve)
    runner = CliRunner()
    result = runner.invoke(tyndau.cli.main, ["sandbox", "--scale", "0.01", "--markup", "legacy"])
    assert result.exit_code == 0, result.output
    assert seen == {"markup": VARIANTS["legacy"]}
    help_text = runner.invoke(tyndau.cli.main, ["sandbox", "--help"]).output
    assert "--markup NAME" in help_text and "usage: tyndau sandbox" in help_text


def test_impossible_knobs_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--error-rate", "0.7", "--truncate-rate", "0.7"])
    assert exit_info.value.code == 2
    assert "fault rates" in capsys.readouterr().err


def test_main_serves_until_told_to_stop(capsys):
    stop = threading.Event()
    stop.set()
    assert main(["--port", "0", "--scale", "0.01"], stop=stop) == 0
    assert "Open Dialogue sandbox at http://127.0.0.1:" in capsys.readouterr().out


def test_main_serves_the_markup_asked_for(capsys):
    """A card of the legacy shape, served over HTTP by the command line's sandbox."""
    served, stop = {}, threading.Event()

    def fetch() -> None:
        for _ in range(600):  # the address is printed once the sandbox listens
            out = capsys.readouterr().out
            if "http://" in out:
                base_url = out.split("at ", 1)[1].split(" ", 1)[0]
                served["page"] = requests.get(f"{base_url}/blogs/32792/questions", timeout=5).text
                break
            stop.wait(0.05)
        stop.set()

    fetcher = threading.Thread(target=fetch)
    fetcher.start()
    assert main(["--port", "0", "--scale", "0.01", "--markup", "legacy"], stop=stop) == 0
    fetcher.join()
    assert 'class="col-xs-12 question-card"' in served["page"]


def test_millions_of_appeals_are_served_at_once_and_none_is_a_usage_error(capsys):
    stop = threading.Event()
    stop.set()
    assert main(["--port", "0", "--appeals", "5000000"], stop=stop) == 0
    assert "Open Dialogue sandbox at http://127.0.0.1:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["--appeals", "0"])
    assert exit_info.value.code == 2
    assert "--appeals must be at least 1" in capsys.readouterr().err


def test_the_dialog_sandbox_imports_nothing_of_the_pipeline():
    pipeline = ("ingestion", "tyndau", "dags")
    for source in (REPO / "sandbox" / "dialog").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] in pipeline for n in names), (source, names)
