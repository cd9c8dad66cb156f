"""The complaints sandbox's variants: each writes what its help says (names, bytes, mtimes,
sheets, the declared dimension, the link's target, the cut row), deterministically."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ingestion.complaints import ReportError, parse_report
from ingestion.complaints.land import inbox_files
from sandbox.complaints import variants
from sandbox.complaints.__main__ import build_parser, main
from sandbox.complaints.reports import AKIMATS_2017, ALMATY_MONTHLY_2017, report_files
from sandbox.complaints.variants import VARIANTS, Knobs, check_variants, write_variants

REPO = Path(__file__).resolve().parents[2]
SCENARIO = report_files()


def squeezed(text: str) -> str:
    """Text without whitespace: help wraps lines anywhere."""
    return "".join(text.split())


def figures(rows: list[dict]) -> list[dict]:
    """Parsed rows without where they stood (line, sheet)."""
    return [{k: v for k, v in r.items() if k not in ("line", "sheet")} for r in rows]


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_every_variant_is_written_and_described(tmp_path):
    assert list(VARIANTS)[-1] == "slow-copy"  # it blocks: written last
    help_text = build_parser().format_help()
    for variant in VARIANTS.values():
        assert variant.help and "landing" in variant.help, variant.name
        assert squeezed(variant.name) in squeezed(help_text)
        assert squeezed(variant.help) in squeezed(help_text), variant.name
    for flag in ("--variant", "--no-scenario", "--slow-seconds", "--oversize-mb"):
        assert flag in help_text


def test_slow_copy_writes_half_in_place_then_the_rest(inbox):
    seen = {}

    def pause(seconds: float) -> None:
        path = inbox / variants.SLOW_FILE
        seen.update(seconds=seconds, size=path.stat().st_size, inode=path.stat().st_ino)
        seen["names"] = sorted(p.name for p in inbox.iterdir())

    (path,) = variants.slow_copy(inbox, Knobs(slow_seconds=0.25, sleep=pause))
    whole = SCENARIO[variants.SLOW_FILE]
    assert path == inbox / variants.SLOW_FILE and path.read_bytes() == whole
    assert seen["seconds"] == 0.25 and seen["size"] == len(whole) // 2
    assert seen["inode"] == path.stat().st_ino  # the same file, written in place: no rename
    assert seen["names"] == [variants.SLOW_FILE]  # no temporary name either


def test_slow_copy_really_pauses(inbox):
    import time

    started = time.monotonic()
    variants.slow_copy(inbox, Knobs(slow_seconds=0.2))
    assert time.monotonic() - started >= 0.2


def test_temporary_names_are_every_one_the_landing_leaves_alone(inbox):
    written = variants.temporary_names(inbox)
    assert [p.name for p in written] == list(variants.TEMPORARY_NAMES)
    names = variants.TEMPORARY_NAMES
    assert any(n.endswith(".part") and not n.startswith(".") for n in names)
    assert any(n.startswith(".") and n.endswith(".part") for n in names)
    assert any(n.lower().endswith(".tmp") for n in names)
    assert any(n.endswith(".crdownload") for n in names)
    assert any(n.startswith("~$") and n.endswith(".xlsx") for n in names)
    assert ".DS_Store" in names
    # copies in flight hold part of a real report, the way they would
    assert (inbox / ".complaints_2016_central_bodies.xlsx.part").read_bytes() == SCENARIO[
        variants.SLOW_FILE
    ][: len(SCENARIO[variants.SLOW_FILE]) // 2]
    assert (inbox / "complaints_2017_extra.csv.crdownload").read_bytes() == SCENARIO[
        ALMATY_MONTHLY_2017
    ]
    assert len((inbox / "~$complaints_2017_central_bodies.xlsx").read_bytes()) == 162
    assert inbox_files(inbox) == ([], [])  # the landing's own listing passes every one over


def test_two_sheets_splits_the_same_figures_over_two_sheets_with_the_header(inbox):
    (path,) = variants.two_sheets(inbox)
    assert path.name == AKIMATS_2017
    workbook = load_workbook(path, read_only=True)
    try:
        titles = workbook.sheetnames
        headers = [
            any(row and row[0] == "Период" for row in sheet.iter_rows(values_only=True))
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()
    assert titles == [*variants.TWO_SHEETS, "Пояснения"]
    assert headers == [True, True, False]  # two data sheets, then notes without a header
    split = parse_report(path.read_bytes(), path.name)
    original = parse_report(SCENARIO[AKIMATS_2017], AKIMATS_2017)
    assert split.sheets == list(variants.TWO_SHEETS)
    assert {r["sheet"] for r in split.rows} == set(variants.TWO_SHEETS)
    assert figures(split.rows) == figures(original.rows)  # the same figures, only split
    assert split.totals_rows_skipped == 2
    assert path.read_bytes() != SCENARIO[AKIMATS_2017]


def test_correction_restates_astana_with_an_mtime_in_the_past(inbox):
    (scenario_file,) = variants.re_drop(inbox)  # the original, as the scenario writes it
    (path,) = variants.correction(inbox)
    assert path.name == variants.CORRECTION
    assert path.stat().st_mtime == variants.OLD_MTIME < scenario_file.stat().st_mtime
    assert path.stat().st_ctime_ns >= scenario_file.stat().st_ctime_ns  # arrived later
    corrected = {r["applicant_type"]: r for r in parse_report(path.read_bytes(), path.name).rows}
    original = {
        r["applicant_type"]: r
        for r in parse_report(SCENARIO[AKIMATS_2017], AKIMATS_2017).rows
        if r["gov_body_code"] == variants.CORRECTED_BODY
    }
    assert set(corrected) == set(original) == {"individual", "legal_entity"}
    assert figures([corrected["legal_entity"]]) == figures([original["legal_entity"]])
    before, after = original["individual"], corrected["individual"]
    assert after["received"] - before["received"] == variants.CORRECTION_RECEIVED
    assert after["reviewed"] - before["reviewed"] == variants.CORRECTION_RECEIVED
    assert after["deadline_violations"] - before["deadline_violations"] == 7
    assert after["explained"] == before["explained"]


def test_re_drop_is_the_very_same_bytes(inbox):
    (path,) = variants.re_drop(inbox)
    assert path.name == AKIMATS_2017 and path.read_bytes() == SCENARIO[AKIMATS_2017]
    assert not list(inbox.glob(".*"))


def test_cut_row_loses_the_last_cells_of_the_last_line(inbox):
    (path,) = variants.cut_row(inbox)
    assert path.name == ALMATY_MONTHLY_2017
    whole = SCENARIO[ALMATY_MONTHLY_2017].decode()
    cut = path.read_text(encoding="utf-8")
    assert not cut.endswith("\n")  # the line end never arrived either
    whole_lines, cut_lines = whole.splitlines(), cut.splitlines()
    assert cut_lines[:-1] == whole_lines[:-1]
    assert whole_lines[-1].startswith(cut_lines[-1] + ",")
    assert len(cut_lines[-1].split(",")) == 13 - variants.CUT_CELLS
    with pytest.raises(ReportError, match=r"line 27: 10 of the 13 columns: the row is cut short"):
        parse_report(cut.encode(), path.name)


def test_huge_dimension_declares_every_cell_in_a_small_file(inbox):
    (path,) = variants.huge_dimension(inbox)
    assert path.name == variants.HUGE_DIMENSION_FILE
    assert path.stat().st_size < 20_000
    sheet_xml = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("xl/worksheets/sheet1.xml")
    assert re.findall(rb"<dimension[^>]*>", sheet_xml) == [b'<dimension ref="A1:XFD1048576"/>']
    with pytest.raises(ReportError, match="declares 1048576 rows × 16384 columns"):
        parse_report(path.read_bytes(), path.name)


def test_oversize_is_figures_then_empty_rows_to_the_size_asked(inbox):
    (path,) = variants.oversize(inbox, Knobs(oversize_mb=0.5))
    assert path.name == variants.OVERSIZE_FILE
    assert path.stat().st_size == 512 * 1024
    data = path.read_bytes()
    head = data[:4000].decode("cp1251")
    assert "Период;Код госоргана" in head and "AKM11" in head
    assert data.endswith(b";;;;") and data.count(b"\r\n;;;;;;;;;;;;\r\n") > 1000
    assert variants.OVERSIZE_MB > 50  # the landing's default COMPLAINTS_MAX_FILE_MB


def test_processed_file_is_a_file_and_needs_an_inbox_without_the_folder(inbox):
    (path,) = variants.processed_file(inbox)
    assert path == inbox / "processed" and path.is_file() and not path.is_symlink()
    path.unlink()
    (inbox / "processed").mkdir()
    with pytest.raises(FileExistsError, match="is a folder already"):
        variants.processed_file(inbox)


def test_symlink_points_outside_the_inbox_to_a_report(inbox):
    (link,) = variants.symlink(inbox)
    assert link == inbox / variants.LINK_NAME and link.is_symlink()
    target = Path(os.readlink(link))
    assert target.is_absolute() and target == inbox.parent / "inbox.outside" / variants.LINK_NAME
    assert not target.is_relative_to(inbox.resolve())
    rows = parse_report(target.read_bytes(), target.name).rows
    assert {r["gov_body_code"] for r in rows} == {variants.CORRECTED_BODY} and len(rows) == 2
    assert variants.symlink(inbox) == [link]  # again: the link is replaced, not an error


def test_write_variants_writes_the_scenario_less_what_they_replace(tmp_path):
    paths = write_variants(tmp_path / "in", ["two-sheets", "cut-row", "huge-dimension"])
    names = [p.name for p in paths]
    assert names == [
        *(n for n in SCENARIO if n not in (AKIMATS_2017, ALMATY_MONTHLY_2017)),
        AKIMATS_2017,  # written by two-sheets
        ALMATY_MONTHLY_2017,  # by cut-row
        variants.HUGE_DIMENSION_FILE,
    ]
    alone = write_variants(tmp_path / "alone", ["re-drop"], scenario=False)
    assert [p.name for p in alone] == [AKIMATS_2017]
    assert [p.name for p in (tmp_path / "alone").iterdir()] == [AKIMATS_2017]


def test_variants_are_deterministic(tmp_path):
    chosen = [n for n in VARIANTS if n not in ("re-drop", "oversize", "slow-copy")]
    knobs = Knobs(sleep=lambda seconds: None)
    first = write_variants(tmp_path / "a", [*chosen, "slow-copy"], knobs)
    second = write_variants(tmp_path / "b", [*chosen, "slow-copy"], knobs)
    assert [p.name for p in first] == [p.name for p in second]
    for one, other in zip(first, second, strict=True):
        if one.is_symlink():
            assert os.readlink(one).replace("/a.outside/", "/b.outside/") == os.readlink(other)
        else:
            assert one.read_bytes() == other.read_bytes(), one.name
            assert (one.name == variants.CORRECTION) == (one.stat().st_mtime == variants.OLD_MTIME)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["two-sheets", "re-drop"], "both write complaints_2017_akimats.xlsx"),
        (["correction", "re-drop"], "one drop after another"),
        (["no-such-thing"], "unknown variant"),
    ],
)
def test_variants_that_cannot_go_together_are_refused(names, message):
    with pytest.raises(ValueError, match=message):
        check_variants(names)


def test_the_command_line_writes_the_variants(tmp_path, capsys):
    inbox = tmp_path / "in"
    argv = ["--inbox", str(inbox), "--variant", "symlink", "--variant", "oversize"]
    assert main([*argv, "--oversize-mb", "0.1", "--seed", "2017"]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == [
        *SCENARIO,
        variants.OVERSIZE_FILE,
        variants.LINK_NAME,
    ]
    assert (inbox / variants.OVERSIZE_FILE).stat().st_size == int(0.1 * 1024 * 1024)
    with pytest.raises(SystemExit):
        main(["--inbox", str(inbox), "--variant", "two-sheets", "--variant", "re-drop"])
    assert "both write" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--inbox", str(inbox), "--variant", "nonsense"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_command_line_with_slow_copy_and_no_scenario(tmp_path):
    inbox = tmp_path / "in"
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.complaints", "--inbox", str(inbox), "--no-scenario"]
        + ["--variant", "slow-copy", "--slow-seconds", "0.1", "--variant", "temporary-names"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert [Path(p).name for p in result.stdout.split()] == [
        *variants.TEMPORARY_NAMES,
        variants.SLOW_FILE,
    ]
    assert (inbox / variants.SLOW_FILE).read_bytes() == SCENARIO[variants.SLOW_FILE]


def test_knobs_default_to_the_help():
    args = build_parser().parse_args(["--inbox", "x"])
    defaults = Knobs()
    assert (args.slow_seconds, args.oversize_mb, args.seed) == (
        defaults.slow_seconds,
        defaults.oversize_mb,
        defaults.seed,
    )
    assert args.variants == [] and not args.no_scenario
