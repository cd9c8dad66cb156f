"""Landing report files from an inbox into a real Postgres: once per file, corrections replace
figures (and the ledger says so), bad files are set aside whole, nothing ever half-loads."""

from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest

from ingestion.complaints import ReportLimits, land_complaints
from ingestion.complaints import load as complaints_load
from ingestion.complaints.columns import FIGURE_COLUMNS
from ingestion.complaints.load import ensure_raw_schema

HEADER = ",".join(FIGURE_COLUMNS)


def report(*rows: str, title: str = "Сведения о жалобах за 2017 год") -> str:
    return f"{title}\n\n{HEADER}\n" + "\n".join(rows) + "\nИтого,,,,,,999,999,9,999,9,9,99\n"


def row(code="AKM75", applicant="физическое лицо", received=100, violations=1, period="2017"):
    """One data row: received written with spaces, zero as "—" and as an empty cell."""
    level, kato = ("местный", code[3:]) if code.startswith("AKM") else ("центральный", "")
    spaced = f"{received:,}".replace(",", " ")
    return (
        f'{period},{code},"Акимат {code}",{level},{kato},{applicant},"{spaced}",{received},'
        f"{violations},{received // 2},—,,3"
    )


def drop(inbox, name: str, text: str, encoding="utf-8", mtime: int | None = None):
    path = inbox / name
    path.write_bytes(text.encode(encoding))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select count(*) from raw.{table}").fetchone()[0]


def in_force(url: str) -> dict[tuple, tuple]:
    """What staging takes, read through its own model (built by ``dbt_build``)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select period, gov_body_code, complainant_type, received, deadline_violations, "
            "source_file from staging.stg_complaints__report_rows"
        ).fetchall()
    return {r[:3]: r[3:] for r in rows}


def build_staging(dbt_build, url: str) -> None:
    selected = ["regions", "+stg_complaints__report_rows", "+stg_complaints__topics"]
    dbt_build(url, "--select", *selected, "--indirect-selection", "cautious")


def ledger(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select status, stats, error from raw.load_ledger where source = 'complaints' "
            "order by started_at"
        ).fetchall()


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_row_helper_writes_what_the_format_says():
    assert row(received=1400000) == (
        '2017,AKM75,"Акимат AKM75",местный,75,физическое лицо,"1 400 000",1400000,1,700000,—,,3'
    )


def test_schema_is_idempotent_and_exactly_as_agreed(fresh_database):
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_raw_schema(conn)
        ensure_raw_schema(conn)
        columns = conn.execute(
            "select table_name, string_agg(column_name, ',' order by ordinal_position) "
            "from information_schema.columns where table_schema = 'raw' "
            "and table_name like 'complaints%%' group by table_name order by table_name"
        ).fetchall()
    assert dict(columns) == {
        "complaints_arrivals": "load_id,arrived_at,source_file,file_hash",
        "complaints_report_files": "load_id,observed_at,source_file,content_hash,report_kind,"
        "payload",
        "complaints_rows": "load_id,observed_at,source_file,content_hash,file_hash,period,"
        "gov_body_code,applicant_type,payload",
        "complaints_topics": "load_id,observed_at,source_file,content_hash,file_hash,period,"
        "gov_body_code,topic,payload",
    }


def test_a_file_lands_once_and_moves_to_processed(fresh_database, inbox):
    text = report(row(), row(applicant="юридическое лицо", received=20))
    drop(inbox, "almaty_2017.csv", text)
    seen = []
    first = land_complaints(fresh_database, inbox, progress=seen.append)
    assert [f.source_file for f in first.landed] == ["almaty_2017.csv"]
    assert first.rows_inserted == 2 and not first.rejected and not first.duplicates
    assert [(p.source_file, p.outcome) for p in seen] == [("almaty_2017.csv", "landed")]
    assert not (inbox / "almaty_2017.csv").exists()
    assert (inbox / "processed" / "almaty_2017.csv").read_text() == text

    # the same bytes dropped again, under another name: nothing new, and it says so
    drop(inbox, "almaty_2017 (copy).csv", text)
    second = land_complaints(fresh_database, inbox)
    assert second.landed == [] and second.duplicates == ["almaty_2017 (copy).csv"]
    assert count(fresh_database, "complaints_report_files") == 1
    assert count(fresh_database, "complaints_rows") == 2
    assert (inbox / "processed" / "almaty_2017 (copy).csv").exists()

    # and under the same name: the inbox copy goes, processed/ keeps one
    drop(inbox, "almaty_2017.csv", text)
    assert land_complaints(fresh_database, inbox).duplicates == ["almaty_2017.csv"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "almaty_2017 (copy).csv",
        "almaty_2017.csv",
    ]
    assert not list(inbox.glob("*.csv"))

    # an empty inbox is a run too
    third = land_complaints(fresh_database, inbox)
    assert third.files_seen == 0
    statuses = [
        (status, stats["files_landed"], stats["duplicates"])
        for status, stats, _ in ledger(fresh_database)
    ]
    assert statuses == [
        ("succeeded", 1, []),
        ("succeeded", 0, ["almaty_2017 (copy).csv"]),
        ("succeeded", 0, ["almaty_2017.csv"]),
        ("succeeded", 0, []),
    ]
    with psycopg.connect(fresh_database) as conn:
        ((kind, payload),) = conn.execute(
            "select report_kind, payload from raw.complaints_report_files"
        ).fetchall()
    assert kind == "figures"
    assert payload["rows"] == 2 and payload["totals_rows_skipped"] == 1
    assert payload["header_line"] == 3 and payload["encoding"] == "utf-8"


def test_a_corrected_file_replaces_the_figures_and_the_ledger_says_so(
    fresh_database, inbox, dbt_build
):
    drop(
        inbox,
        "akimats_2017.csv",
        report(row("AKM75"), row("AKM75", "юридическое лицо", 20), row("AKM71", received=50)),
        mtime=1_500_000_000,
    )
    land_complaints(fresh_database, inbox)
    # the correction: Almaty's individuals 100 → 120 and violations 1 → 4; Astana untouched
    drop(
        inbox,
        "akimats_2017.csv",  # the same name: the earlier one waits in processed/
        report(row("AKM75", received=120, violations=4), row("AKM75", "юридическое лицо", 20)),
        mtime=1_500_000_100,
    )
    corrected = land_complaints(fresh_database, inbox)
    assert corrected.replaced == [
        {
            "file": "akimats_2017.csv",
            "kind": "figures",
            "period": "2017",
            "gov_body_code": "AKM75",
            "replaced_files": ["akimats_2017.csv"],
            "changed": [
                "received/individual",
                "reviewed/individual",
                "deadline_violations/individual",
                "explained/individual",
            ],
            "dropped": [],
        }
    ]
    build_staging(dbt_build, fresh_database)
    figures = in_force(fresh_database)
    assert figures[("2017", "AKM75", "individual")][:2] == (120, 4)
    assert figures[("2017", "AKM75", "legal_entity")][:2] == (20, 1)
    assert figures[("2017", "AKM71", "individual")][:2] == (50, 1)  # not restated: stays
    assert count(fresh_database, "complaints_rows") == 5  # raw keeps both files' rows
    (_, stats, _) = ledger(fresh_database)[-1]
    assert stats["replaced"] == corrected.replaced
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "akimats_2017.csv",
        f"akimats_2017.{corrected.landed[0].content_hash[:12]}.csv",
    ]


def test_a_file_without_a_required_column_is_set_aside_and_nothing_of_it_lands(
    fresh_database, inbox
):
    header = HEADER.replace(",Нарушения сроков", "")
    bad = f"{header}\n2017,MF,Минфин,центральный,,физическое лицо,10,10,5,0,0,1\n"
    drop(inbox, "a_bad.csv", bad, mtime=1_500_000_000)
    drop(inbox, "b_good.csv", report(row()), mtime=1_500_000_100)
    result = land_complaints(fresh_database, inbox)
    assert [f.source_file for f in result.landed] == ["b_good.csv"]
    ((rejected),) = result.rejected
    assert rejected.source_file == "a_bad.csv"
    assert "missing required column(s): Нарушения сроков" in rejected.reason
    assert (inbox / "rejected" / "a_bad.csv").read_text() == bad
    reason = (inbox / "rejected" / "a_bad.csv.reason.txt").read_text()
    assert "Нарушения сроков" in reason and "nothing of it was landed" in reason
    with psycopg.connect(fresh_database) as conn:
        files = conn.execute("select source_file from raw.complaints_report_files").fetchall()
        bodies = conn.execute("select distinct gov_body_code from raw.complaints_rows").fetchall()
    assert files == [("b_good.csv",)] and bodies == [("AKM75",)]
    ((status, stats, _),) = ledger(fresh_database)
    assert status == "succeeded"
    assert stats["rejected"] == [
        {"source_file": "a_bad.csv", "reason": rejected.reason, "moved_to": rejected.moved_to}
    ]


def test_unreadable_and_unsupported_files_are_set_aside(fresh_database, inbox):
    drop(inbox, "broken.xlsx", "not a workbook")
    (inbox / "scan.pdf").write_bytes(b"%PDF-1.4")
    (inbox / ".hidden.csv").write_text("ignored")
    (inbox / "~$lock.xlsx").write_text("ignored")
    (inbox / "copying.csv.part").write_text("ignored")
    result = land_complaints(fresh_database, inbox)
    assert sorted(r.source_file for r in result.rejected) == ["broken.xlsx", "scan.pdf"]
    assert result.files_seen == 2
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "broken.xlsx",
        "broken.xlsx.reason.txt",
        "scan.pdf",
        "scan.pdf.reason.txt",
    ]
    assert {p.name for p in inbox.iterdir() if p.is_file()} == {
        ".hidden.csv",
        "~$lock.xlsx",
        "copying.csv.part",
    }
    assert count(fresh_database, "complaints_report_files") == 0


def test_a_failure_while_landing_a_file_leaves_nothing_of_it(fresh_database, inbox, monkeypatch):
    drop(inbox, "good.csv", report(row(), row(applicant="юридическое лицо")))
    original = complaints_load.insert_new_rows

    def fail_on_rows(conn, table, columns, rows):
        if table == "raw.complaints_rows":
            raise RuntimeError("the warehouse went away mid-file")
        return original(conn, table, columns, rows)

    monkeypatch.setattr(complaints_load, "insert_new_rows", fail_on_rows)
    with pytest.raises(RuntimeError, match="mid-file"):
        land_complaints(fresh_database, inbox)
    assert count(fresh_database, "complaints_report_files") == 0  # the file row rolled back
    assert (inbox / "good.csv").exists()  # still in the inbox: the next run retries it
    ((status, _, error),) = ledger(fresh_database)
    assert status == "failed" and "mid-file" in error

    monkeypatch.setattr(complaints_load, "insert_new_rows", original)
    retry = land_complaints(fresh_database, inbox)
    assert retry.rows_inserted == 2 and count(fresh_database, "complaints_rows") == 2


def test_a_corrected_topic_report_replaces_the_whole_breakdown(fresh_database, inbox):
    head = "Период,Код госоргана,Тематика,Количество\n"
    drop(inbox, "t1.csv", head + "2017,MVD,Прочее,5\n2017,MVD,Налоги,3\n", mtime=1_500_000_000)
    land_complaints(fresh_database, inbox)
    drop(inbox, "t2.csv", head + "2017,MVD,Прочее,6\n2017,MVD,Жильё,2\n", mtime=1_500_000_100)
    result = land_complaints(fresh_database, inbox)
    assert result.topic_rows_inserted == 2
    assert result.replaced == [
        {
            "file": "t2.csv",
            "kind": "topics",
            "period": "2017",
            "gov_body_code": "MVD",
            "replaced_files": ["t1.csv"],
            "changed": ["Жильё", "Налоги", "Прочее"],
            "dropped": ["Налоги"],
        }
    ]


def test_a_missing_inbox_is_an_error(fresh_database, tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        land_complaints(fresh_database, tmp_path / "nowhere")


# -- what the inbox refuses (docs/reliability.md, "Report files in the inbox") -----------------


def test_a_file_named_processed_or_rejected_and_a_symlink_are_refused_the_rest_lands(
    fresh_database, inbox, tmp_path
):
    (inbox / "processed").write_text("a stray file where the landed files go")
    (inbox / "rejected").write_text("and one where the set-aside files go")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(report(row("AKM71")))
    (inbox / "linked.csv").symlink_to(outside)
    drop(inbox, "good.csv", report(row()))
    result = land_complaints(fresh_database, inbox)
    assert [f.source_file for f in result.landed] == ["good.csv"]
    reasons = {r.source_file: r.reason for r in result.rejected}
    assert sorted(reasons) == ["linked.csv", "processed", "rejected"]
    assert "symbolic link" in reasons["linked.csv"]
    assert "processed/" in reasons["processed"] and "rejected/" in reasons["rejected"]
    assert (inbox / "processed").is_dir() and (inbox / "rejected").is_dir()
    assert (inbox / "processed" / "good.csv").is_file()
    assert (inbox / "rejected" / "processed").read_text().startswith("a stray file")
    assert (inbox / "rejected" / "rejected").read_text().startswith("and one")
    assert (inbox / "rejected" / "linked.csv").is_symlink()  # the link moved, not its target
    assert outside.read_text() == report(row("AKM71"))  # never read, never moved
    with psycopg.connect(fresh_database) as conn:
        bodies = conn.execute("select distinct gov_body_code from raw.complaints_rows").fetchall()
    assert bodies == [("AKM75",)]
    ((status, stats, _),) = ledger(fresh_database)
    assert status == "succeeded"
    assert sorted(r["source_file"] for r in stats["rejected"]) == sorted(reasons)
    # and the next run is an ordinary one
    drop(inbox, "next.csv", report(row("AKM71")))
    assert [f.source_file for f in land_complaints(fresh_database, inbox).landed] == ["next.csv"]


def test_a_file_still_being_copied_waits_for_the_next_run(fresh_database, inbox):
    """A 40-row CSV written in pieces (as a plain `cp` over a slow share does) while the
    landing runs: nothing of it lands until it stops changing, then all of it does."""
    text = report(
        *(
            row(f"B{n:02d}", applicant=a)
            for n in range(20)
            for a in ("физическое лицо", "юридическое лицо")
        )
    )
    data = text.encode()
    started = threading.Event()

    def copy_slowly():
        with open(inbox / "slow.csv", "wb") as f:
            for start in range(0, len(data), len(data) // 10 + 1):
                f.write(data[start : start + len(data) // 10 + 1])
                f.flush()
                started.set()
                time.sleep(0.3)

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    try:
        started.wait(5)
        first = land_complaints(fresh_database, inbox, settle_seconds=1)
    finally:
        writer.join()
    assert first.landed == [] and first.rejected == []
    assert [w.source_file for w in first.waiting] == ["slow.csv"]
    assert "still being written" in first.waiting[0].reason
    assert (inbox / "slow.csv").exists() and not (inbox / "processed").exists()
    assert count(fresh_database, "complaints_rows") == 0
    (_, stats, _) = ledger(fresh_database)[-1]
    assert stats["waiting"] == [{"source_file": "slow.csv", "reason": first.waiting[0].reason}]

    second = land_complaints(fresh_database, inbox, settle_seconds=1)
    assert second.rows_inserted == 40 and not second.waiting
    assert (inbox / "processed" / "slow.csv").read_bytes() == data


def test_a_row_cut_short_is_a_reject_not_zeros(fresh_database, inbox):
    whole = row("AKM71")
    cut = whole.rsplit(",", 3)[0]  # the last three counts never arrived
    drop(inbox, "cut.csv", f"{HEADER}\n{row()}\n{cut}")
    result = land_complaints(fresh_database, inbox)
    assert result.landed == []
    ((rejected,),) = [result.rejected]
    assert "line 3: 10 of the 13 columns" in rejected.reason
    assert count(fresh_database, "complaints_rows") == 0


def test_a_file_beyond_the_size_cap_is_rejected_unread_and_the_others_land(fresh_database, inbox):
    big = drop(inbox, "big.csv", report(*(row(f"B{n:02d}") for n in range(40))))
    drop(inbox, "small.csv", report(row()))
    limits = ReportLimits(max_file_bytes=big.stat().st_size - 1)
    result = land_complaints(fresh_database, inbox, limits=limits)
    assert [f.source_file for f in result.landed] == ["small.csv"]
    ((rejected,),) = [result.rejected]
    assert rejected.source_file == "big.csv"
    assert "MB, more than the" in rejected.reason and "COMPLAINTS_MAX_FILE_MB" in rejected.reason
    assert (inbox / "rejected" / "big.csv").is_file()


def test_corrections_go_by_arrival_replace_the_whole_slice_and_a_re_drop_reverts(
    fresh_database, inbox, dbt_build
):
    """Staging, built by dbt: the file that arrived last is in force for its period and body,
    whatever its mtime says, with its rows only; dropping the original again reverts."""
    original = report(row("AKM75"), row("AKM75", "юридическое лицо", 20), row("AKM71", received=50))
    drop(inbox, "akimats_2017.csv", original, mtime=1_500_000_100)
    time.sleep(0.05)  # the correction arrives later, but was saved earlier (cp -p keeps that)
    corrected = report(row("AKM75", received=120, violations=4))  # legal entities: withdrawn
    drop(inbox, "akimats_2017_fixed.csv", corrected, mtime=1_500_000_000)
    first = land_complaints(fresh_database, inbox)
    assert [f.source_file for f in first.landed] == ["akimats_2017.csv", "akimats_2017_fixed.csv"]
    assert [(e["gov_body_code"], e["dropped"]) for e in first.replaced] == [
        ("AKM75", ["legal_entity"])
    ]
    build_staging(dbt_build, fresh_database)
    assert in_force(fresh_database) == {
        ("2017", "AKM75", "individual"): (120, 4, "akimats_2017_fixed.csv"),
        ("2017", "AKM71", "individual"): (50, 1, "akimats_2017.csv"),  # not in the correction
    }

    # the original dropped again (the very same bytes): a new arrival, in force again
    drop(inbox, "akimats_2017.csv", original, mtime=1_500_000_100)
    again = land_complaints(fresh_database, inbox)
    assert again.landed == [] and again.duplicates == ["akimats_2017.csv"]
    assert [f.source_file for f in again.reinstated] == ["akimats_2017.csv"]
    assert [(e["gov_body_code"], e["replaced_files"]) for e in again.replaced] == [
        ("AKM75", ["akimats_2017_fixed.csv"])
    ]
    (_, stats, _) = ledger(fresh_database)[-1]
    assert stats["reinstated"] == ["akimats_2017.csv"] and stats["replaced"] == again.replaced
    build_staging(dbt_build, fresh_database)
    assert in_force(fresh_database) == {
        ("2017", "AKM75", "individual"): (100, 1, "akimats_2017.csv"),
        ("2017", "AKM75", "legal_entity"): (20, 1, "akimats_2017.csv"),
        ("2017", "AKM71", "individual"): (50, 1, "akimats_2017.csv"),
    }
    assert count(fresh_database, "complaints_rows") == 4  # raw keeps both files, once each


def test_an_implausible_count_or_period_rejects_the_file_and_the_others_land(fresh_database, inbox):
    huge = row("AKM71").replace('"100",100,', '"100",99999999999999999999,')
    drop(inbox, "a_huge.csv", report(row(), huge), mtime=1_500_000_000)
    drop(inbox, "b_future.csv", report(row(period="2099")), mtime=1_500_000_050)
    drop(inbox, "c_early.csv", report(row(period="2009-12")), mtime=1_500_000_080)
    drop(inbox, "d_good.csv", report(row()), mtime=1_500_000_100)
    result = land_complaints(fresh_database, inbox)
    assert [f.source_file for f in result.landed] == ["d_good.csv"]
    reasons = {r.source_file: r.reason for r in result.rejected}
    huge_reason = "line 5: implausible Рассмотрено 99999999999999999999: outside 0..2147483647"
    assert huge_reason in reasons["a_huge.csv"]
    future_reason = "line 4: implausible Период 2099: begins after the observation day"
    assert future_reason in reasons["b_future.csv"]
    assert "line 4: implausible Период 2009-12: ends before 2010-01-01" in reasons["c_early.csv"]
    for name in reasons:
        assert (inbox / "rejected" / name).is_file()
        assert "implausible" in (inbox / "rejected" / f"{name}.reason.txt").read_text()
    with psycopg.connect(fresh_database) as conn:
        files = conn.execute("select source_file from raw.complaints_report_files").fetchall()
        periods = conn.execute("select distinct period from raw.complaints_rows").fetchall()
    assert files == [("d_good.csv",)] and periods == [("2017",)]
    ((status, stats, _),) = ledger(fresh_database)
    assert status == "succeeded"
    assert sorted(r["source_file"] for r in stats["rejected"]) == sorted(reasons)
