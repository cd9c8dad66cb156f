"""The README's table of benchmark targets is the results files' (benchmarks/report.py): never
edited by hand, never behind the files it is made from."""

from __future__ import annotations

import json
import shutil

import pytest

from benchmarks import report
from benchmarks.env import ROOT

RESULTS = ROOT / "benchmarks" / "results"


def test_the_readme_shows_the_committed_results():
    readme = (ROOT / "README.md").read_text()
    block = readme.split(report.README_START, 1)[1].split(report.README_END, 1)[0]
    assert block.strip() == report.readme_table(RESULTS).strip(), (
        "README.md's benchmark table is not what benchmarks/results holds: "
        "run `python -m benchmarks --readme`"
    )


def test_the_table_follows_a_new_results_file(tmp_path):
    for profile in report.README_PROFILES:
        shutil.copy(RESULTS / f"{profile}.json", tmp_path)
    quick = json.loads((tmp_path / "quick.json").read_text())
    quick["parsing"]["parser_vs_reference"] = 0.91
    quick["machine"]["commit"] = "abc1234"
    (tmp_path / "quick.json").write_text(json.dumps(quick))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{report.README_START}\nold\n{report.README_END}\n\nafter\n")

    assert report.update_readme(readme, tmp_path)
    text = readme.read_text()
    parser_row = next(line for line in text.splitlines() if "minimal lxml" in line)
    assert "| 0.91 — met |" in parser_row  # judged afresh against its target
    assert "commit abc1234" in text and "old" not in text and text.endswith("\n\nafter\n")
    assert not report.update_readme(readme, tmp_path)  # a second time changes nothing


def test_a_readme_without_the_markers_is_an_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no table here\n")
    with pytest.raises(ValueError, match="no .* block"):
        report.update_readme(readme, RESULTS)
