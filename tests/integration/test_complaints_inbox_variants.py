"""The real landing against inboxes the complaints sandbox writes with each `--variant`: what
docs/reliability.md ("Report files in the inbox") promises for every one of them."""

from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest

from ingestion.complaints import land_complaints, parse_report
from sandbox.complaints import variants
from sandbox.complaints.reports import AKIMATS_2017, ALMATY_MONTHLY_2017, report_files
from sandbox.complaints.variants import Knobs, write_variants

SCENARIO = report_files()
#: Settle time for the variants that are written whole (the landing waits this long for them).
QUICK_SETTLE = 0.2


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def landed_files(url: str) -> dict[str, int]:
    """Rows in raw per source file (figures and topics)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select source_file, count(*) from (select source_file from raw.complaints_rows "
            "union all select source_file from raw.complaints_topics) t group by 1"
        ).fetchall()
    return dict(rows)


def in_force(url: str, period: str, body: str) -> str:
    """The file whose figures count for a period and body: of the files holding it, the one
    that arrived last (docs/reliability.md)."""
    with psycopg.connect(url) as conn:
        ((source_file,),) = conn.execute(
            "select r.source_file from raw.complaints_rows r join raw.complaints_arrivals a "
            "using (file_hash) where r.period = %s and r.gov_body_code = %s "
            "order by a.arrived_at desc limit 1",
            (period, body),
        ).fetchall()
    return source_file


def scenario_rows(*names: str) -> int:
    return sum(len(parse_report(SCENARIO[n], n).rows) for n in names)


def test_a_slow_copy_waits_while_it_is_written_then_lands_whole(fresh_database, inbox):
    """The pause (3 s) is shorter than the settle time (6 s): the run that starts at the pause
    sees the rest arrive and leaves the file waiting; the next run lands it. (The margins are
    wide so that a loaded machine's slow first look still falls within the pause.)"""
    halfway = threading.Event()

    def pause(seconds: float) -> None:
        halfway.set()
        time.sleep(seconds)

    knobs = Knobs(slow_seconds=3.0, sleep=pause)
    writer = threading.Thread(target=write_variants, args=(inbox, ["slow-copy"], knobs))
    writer.start()
    try:
        assert halfway.wait(60)
        first = land_complaints(fresh_database, inbox, settle_seconds=6.0)
    finally:
        writer.join()
    others = [n for n in SCENARIO if n != variants.SLOW_FILE]
    assert sorted(f.source_file for f in first.landed) == sorted(others)
    assert [w.source_file for w in first.waiting] == [variants.SLOW_FILE]
    assert "still being written" in first.waiting[0].reason and not first.rejected
    assert (inbox / variants.SLOW_FILE).exists()
    assert not (inbox / "processed" / variants.SLOW_FILE).exists()
    assert variants.SLOW_FILE not in landed_files(fresh_database)

    second = land_complaints(fresh_database, inbox, settle_seconds=2.0)
    assert [f.source_file for f in second.landed] == [variants.SLOW_FILE]
    assert not second.waiting and not second.rejected
    assert second.rows_inserted == scenario_rows(variants.SLOW_FILE)
    assert (inbox / "processed" / variants.SLOW_FILE).read_bytes() == SCENARIO[variants.SLOW_FILE]


def test_temporary_names_are_left_alone_and_not_counted(fresh_database, inbox):
    write_variants(inbox, ["temporary-names"])
    before = {name: (inbox / name).read_bytes() for name in variants.TEMPORARY_NAMES}
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    assert result.files_seen == len(SCENARIO)
    assert sorted(f.source_file for f in result.landed) == sorted(SCENARIO)
    assert not result.rejected and not result.waiting and not result.duplicates
    assert {name: (inbox / name).read_bytes() for name in variants.TEMPORARY_NAMES} == before
    assert set(landed_files(fresh_database)) == set(SCENARIO)


def test_both_data_sheets_of_a_workbook_land(fresh_database, inbox):
    write_variants(inbox, ["two-sheets"])
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    assert sorted(f.source_file for f in result.landed) == sorted(SCENARIO)
    assert not result.rejected
    with psycopg.connect(fresh_database) as conn:
        ((payload,),) = conn.execute(
            "select payload from raw.complaints_report_files where source_file = %s",
            (AKIMATS_2017,),
        ).fetchall()
        sheets = conn.execute(
            "select payload->>'sheet', count(*) from raw.complaints_rows where source_file = %s "
            "group by 1 order by 1",
            (AKIMATS_2017,),
        ).fetchall()
    assert payload["sheets"] == list(variants.TWO_SHEETS)
    assert payload["rows"] == scenario_rows(AKIMATS_2017)  # every row of the scenario's file
    assert dict(sheets) == {variants.TWO_SHEETS[0]: 14 * 2, variants.TWO_SHEETS[1]: 2}
    assert landed_files(fresh_database)[AKIMATS_2017] == scenario_rows(AKIMATS_2017)


def test_a_correction_with_an_old_mtime_wins_by_arrival_and_a_re_drop_reverts(
    fresh_database, inbox
):
    write_variants(inbox, ["correction"])
    correction = inbox / variants.CORRECTION
    original = inbox / AKIMATS_2017
    assert correction.stat().st_mtime < original.stat().st_mtime  # saved "earlier"…
    first = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    assert first.landed[-1].source_file == variants.CORRECTION  # …but arrived later
    assert sorted(f.source_file for f in first.landed) == sorted([*SCENARIO, variants.CORRECTION])
    assert first.replaced == [
        {
            "file": variants.CORRECTION,
            "kind": "figures",
            "period": "2017",
            "gov_body_code": variants.CORRECTED_BODY,
            "replaced_files": [AKIMATS_2017],
            "changed": [
                "received/individual",
                "reviewed/individual",
                "deadline_violations/individual",
            ],
            "dropped": [],
        }
    ]
    assert in_force(fresh_database, "2017", variants.CORRECTED_BODY) == variants.CORRECTION
    assert in_force(fresh_database, "2017", "AKM11") == AKIMATS_2017  # not restated: stays

    # the original dropped again, the very same bytes: back in force
    assert [p.name for p in write_variants(inbox, ["re-drop"], scenario=False)] == [AKIMATS_2017]
    again = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    assert again.landed == [] and again.duplicates == [AKIMATS_2017]
    assert [f.source_file for f in again.reinstated] == [AKIMATS_2017]
    assert [(e["gov_body_code"], e["replaced_files"]) for e in again.replaced] == [
        (variants.CORRECTED_BODY, [variants.CORRECTION])
    ]
    assert in_force(fresh_database, "2017", variants.CORRECTED_BODY) == AKIMATS_2017
    assert landed_files(fresh_database)[variants.CORRECTION] == 2  # raw keeps the correction


def test_a_row_cut_short_rejects_the_file_with_its_line(fresh_database, inbox):
    write_variants(inbox, ["cut-row"])
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    (rejected,) = result.rejected
    assert rejected.source_file == ALMATY_MONTHLY_2017
    assert "line 27: 10 of the 13 columns: the row is cut short" in rejected.reason
    assert sorted(f.source_file for f in result.landed) == sorted(
        n for n in SCENARIO if n != ALMATY_MONTHLY_2017
    )
    assert ALMATY_MONTHLY_2017 not in landed_files(fresh_database)
    reason = (inbox / "rejected" / f"{ALMATY_MONTHLY_2017}.reason.txt").read_text()
    assert "line 27" in reason and "nothing of it was landed" in reason


def test_a_huge_declared_dimension_is_rejected_before_its_cells_are_read(fresh_database, inbox):
    write_variants(inbox, ["huge-dimension"])
    started = time.monotonic()
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    assert time.monotonic() - started < 30  # reading 17 billion cells would take much longer
    (rejected,) = result.rejected
    assert rejected.source_file == variants.HUGE_DIMENSION_FILE
    assert "declares 1048576 rows × 16384 columns" in rejected.reason
    assert "COMPLAINTS_MAX_SHEET_ROWS" in rejected.reason
    assert sorted(f.source_file for f in result.landed) == sorted(SCENARIO)
    assert (inbox / "rejected" / variants.HUGE_DIMENSION_FILE).is_file()


def test_a_file_beyond_the_default_size_cap_is_rejected_unread(fresh_database, inbox):
    """The variant's default size (51 MB) against the landing's default cap (50 MB)."""
    write_variants(inbox, ["oversize"])
    assert (inbox / variants.OVERSIZE_FILE).stat().st_size == 51 * 1024 * 1024
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    (rejected,) = result.rejected
    assert rejected.source_file == variants.OVERSIZE_FILE
    assert "51.0 MB, more than the 50 MB allowed (COMPLAINTS_MAX_FILE_MB)" in rejected.reason
    assert sorted(f.source_file for f in result.landed) == sorted(SCENARIO)
    assert (inbox / "rejected" / variants.OVERSIZE_FILE).stat().st_size == 51 * 1024 * 1024


def test_a_file_named_processed_is_set_aside_and_the_rest_lands(fresh_database, inbox):
    write_variants(inbox, ["processed-file"])
    text = (inbox / "processed").read_text(encoding="utf-8")
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    (rejected,) = result.rejected
    assert rejected.source_file == "processed"
    assert "stands where the inbox keeps its processed/ folder" in rejected.reason
    assert sorted(f.source_file for f in result.landed) == sorted(SCENARIO)
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == sorted(SCENARIO)
    assert (inbox / "rejected" / "processed").read_text(encoding="utf-8") == text
    assert (inbox / "rejected" / "processed.reason.txt").is_file()


def test_a_symlink_out_of_the_inbox_is_refused_and_its_target_never_read(fresh_database, inbox):
    write_variants(inbox, ["symlink"])
    target = variants.outside_folder(inbox) / variants.LINK_NAME
    before = target.read_bytes(), target.stat().st_mtime_ns
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    (rejected,) = result.rejected
    assert rejected.source_file == variants.LINK_NAME
    assert "symbolic link" in rejected.reason
    assert sorted(f.source_file for f in result.landed) == sorted(SCENARIO)
    assert (inbox / "rejected" / variants.LINK_NAME).is_symlink()  # the link moved…
    assert os.readlink(inbox / "rejected" / variants.LINK_NAME) == str(target)
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before  # …its target did not
    assert variants.LINK_NAME not in landed_files(fresh_database)
    # Astana's figures are the scenario's, not the linked file's corrected ones
    assert in_force(fresh_database, "2017", variants.CORRECTED_BODY) == AKIMATS_2017


def test_every_variant_at_once(fresh_database, inbox):
    """One inbox holding every variant but the later drop: each file gets its own outcome."""
    chosen = [n for n in variants.VARIANTS if n != "re-drop"]
    write_variants(inbox, chosen, Knobs(sleep=lambda seconds: None))
    result = land_complaints(fresh_database, inbox, settle_seconds=QUICK_SETTLE)
    assert sorted(f.source_file for f in result.landed) == sorted(
        [*(n for n in SCENARIO if n != ALMATY_MONTHLY_2017), variants.CORRECTION]
    )
    assert sorted(r.source_file for r in result.rejected) == sorted(
        [
            ALMATY_MONTHLY_2017,
            variants.HUGE_DIMENSION_FILE,
            variants.OVERSIZE_FILE,
            variants.LINK_NAME,
            "processed",
        ]
    )
    assert not result.waiting
    assert all((inbox / name).exists() for name in variants.TEMPORARY_NAMES)
    assert in_force(fresh_database, "2017", variants.CORRECTED_BODY) == variants.CORRECTION
