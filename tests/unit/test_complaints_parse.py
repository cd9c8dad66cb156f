"""The report parser on every quirk of docs/sources.md section 3 (pure: bytes in, records out)."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from ingestion.complaints import columns as col
from ingestion.complaints.parse import ReportError, ReportLimits, parse_count, parse_report

HEADER = list(col.FIGURE_COLUMNS)  # the Russian titles, in the documented order
NBSP, NNBSP = "\u00a0", "\u202f"


def figure_row(
    code="AKM51",
    name="Акимат Южно-Казахстанской области",
    level="местный",
    kato="51",
    applicant="физическое лицо",
    counts=(100, 90, 1, 45, 0, 0, 3),
    period="2017",
):
    return [period, code, name, level, kato, applicant, *counts]


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding="utf-8", delimiter=",") -> bytes:
    lines = [delimiter.join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


TITLES = [
    ["Сведения о рассмотрении жалоб и заявлений физических и юридических лиц"],
    ["за 2017 год"],
    [],
]


def test_header_found_under_title_rows_and_columns_mapped_to_canonical_names():
    report = parse_report(xlsx([*TITLES, HEADER, figure_row()]), "report.xlsx")
    assert (report.kind, report.file_format, report.header_line) == ("figures", "xlsx", 4)
    assert report.rows == [
        {
            "period": "2017",
            "gov_body_code": "AKM51",
            "gov_body_name_ru": "Акимат Южно-Казахстанской области",
            "body_level": "local",
            "region_kato": "51",
            "applicant_type": "individual",
            "received": 100,
            "reviewed": 90,
            "deadline_violations": 1,
            "explained": 45,
            "overturned_by_higher_body": 0,
            "overturned_by_court": 0,
            "justified_complaints": 3,
            "line": 5,
            "sheet": "Sheet",
        }
    ]


def test_header_spelling_is_forgiving_and_column_order_free():
    header = [h.upper().replace(" ", "  ") for h in HEADER]
    header[0], header[1] = header[1], header[0]
    header.append("Примечание")  # an extra column is kept aside, not an error
    row = figure_row()
    row[0], row[1] = row[1], row[0]
    report = parse_report(xlsx([header, [*row, "—"]]), "r.xlsx")
    assert report.rows[0]["period"] == "2017" and report.rows[0]["gov_body_code"] == "AKM51"
    assert report.extra_columns == ["Примечание"]


def test_totals_rows_are_skipped_never_summed():
    rows = [
        *TITLES,
        HEADER,
        figure_row(applicant="физическое лицо"),
        figure_row(applicant="юридическое лицо"),
        ["2017", "", "Итого", "", "", "", 200, 180, 2, 90, 0, 0, 6],
        ["", "ВСЕГО", "", "", "", "", 200, 180, 2, 90, 0, 0, 6],
        ["Итого по республике", "", "", "", "", "", 200, 180, 2, 90, 0, 0, 6],
        ["2017", "", " всего по акиматам", "", "", "", 200, 180, 2, 90, 0, 0, 6],
    ]
    report = parse_report(xlsx(rows), "r.xlsx")
    assert len(report.rows) == 2
    assert report.totals_rows_skipped == 4
    assert sum(r["received"] for r in report.rows) == 200


def test_notes_and_blank_rows_below_the_table_are_skipped():
    rows = [HEADER, figure_row(), [], [None] * 13, ["Исполнитель: отдел статистики"]]
    report = parse_report(xlsx(rows), "r.xlsx")
    assert len(report.rows) == 1 and report.note_rows_skipped == 1


@pytest.mark.parametrize(
    ("written", "count"),
    [
        ("1 400 000", 1_400_000),
        (f"1{NBSP}400{NBSP}000", 1_400_000),
        (f"1{NNBSP}400{NNBSP}000", 1_400_000),
        ("  26 600 ", 26_600),
        ("—", 0),
        ("–", 0),
        ("-", 0),
        ("", 0),
        (None, 0),
        (0, 0),
        (1700000, 1_700_000),
        (1700000.0, 1_700_000),
    ],
)
def test_counts_as_written(written, count):
    assert parse_count(written) == count


@pytest.mark.parametrize("written", ["12,5", "1.5", 1.5, "-3", -3, "сто", "1 4OO"])
def test_what_is_not_a_count(written):
    with pytest.raises(ValueError):
        parse_count(written)


def test_counts_with_spaces_dashes_and_empty_cells_in_a_file():
    row = figure_row(counts=(f"1{NBSP}400{NBSP}000", "1 399 000", "—", "", None, "–", "26 600"))
    report = parse_report(xlsx([HEADER, row]), "r.xlsx")
    record = report.rows[0]
    assert (record["received"], record["reviewed"], record["justified_complaints"]) == (
        1_400_000,
        1_399_000,
        26_600,
    )
    assert record["deadline_violations"] == record["explained"] == 0
    assert record["overturned_by_higher_body"] == record["overturned_by_court"] == 0


def test_windows_1251_csv_with_semicolons_and_title_rows():
    rows = [
        ["Сведения о жалобах, акиматы, 2016 год"],
        [],
        HEADER,
        figure_row(period="2016", counts=("48 242", "47 639", "127", "20 125", "5", "—", "739")),
        ["2016", "", "Всего по акиматам", "", "", "", "48 242", "", "", "", "", "", ""],
    ]
    data = csv_bytes(rows, encoding="cp1251", delimiter=";")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = parse_report(data, "akimats_2016.CSV")
    assert (report.encoding, report.delimiter, report.header_line) == ("cp1251", ";", 3)
    assert report.totals_rows_skipped == 1
    assert report.rows[0]["gov_body_name_ru"] == "Акимат Южно-Казахстанской области"
    assert report.rows[0]["received"] == 48_242 and report.rows[0]["overturned_by_court"] == 0


def test_utf8_csv_with_bom_and_quoted_cells():
    rows = [
        HEADER,
        [
            '"2017-03"',
            "MJ",
            '"Министерство юстиции, РК"',
            "центральный",
            "",
            "юридическое лицо",
            '"1 200"',
            "1200",
            "0",
            "600",
            "",
            "",
            "7",
        ],
    ]
    data = "\ufeff".encode() + csv_bytes(rows)
    report = parse_report(data, "mj.csv")
    assert report.encoding == "utf-8" and report.delimiter == ","
    record = report.rows[0]
    assert (
        record["period"] == "2017-03" and record["gov_body_name_ru"] == "Министерство юстиции, РК"
    )
    assert record["region_kato"] is None and record["body_level"] == "central"
    assert record["received"] == 1200


def test_a_month_that_a_spreadsheet_turned_into_a_date():
    row = figure_row(period=dt.datetime(2017, 3, 1))
    assert parse_report(xlsx([HEADER, row]), "r.xlsx").rows[0]["period"] == "2017-03"


def test_numeric_codes_and_katos_read_as_text():
    row = figure_row(code=510000, kato=51, period=2017)
    record = parse_report(xlsx([HEADER, row]), "r.xlsx").rows[0]
    assert (record["period"], record["gov_body_code"], record["region_kato"]) == (
        "2017",
        "510000",
        "51",
    )


def test_a_formula_without_a_computed_value_is_not_a_zero():
    # openpyxl, like many scripts, writes formulas without their values
    rows = [HEADER, figure_row(counts=(100, 90, "=1+1", 45, 0, 0, 3))]
    with pytest.raises(ReportError, match="line 2: formula '=1\\+1' has no computed value"):
        parse_report(xlsx(rows), "r.xlsx")


def test_a_totals_row_of_formulas_is_skipped():
    totals = ["2017", "", "Итого", "", "", "", *(f"=SUM({c}2:{c}3)" for c in "GHIJKLM")]
    rows = [HEADER, figure_row(), figure_row(applicant="юридическое лицо"), totals]
    report = parse_report(xlsx(rows), "r.xlsx")
    assert len(report.rows) == 2 and report.totals_rows_skipped == 1


def test_float_noise_from_a_spreadsheet_is_tolerated():
    assert parse_count(1399999.9999999998) == 1_400_000


def test_missing_required_column_names_it():
    header = [h for h in HEADER if h != "Нарушения сроков"]
    row = figure_row()
    del row[HEADER.index("Нарушения сроков")]
    with pytest.raises(ReportError, match="missing required column.*Нарушения сроков"):
        parse_report(xlsx([*TITLES, header, row]), "r.xlsx")


def test_no_header_at_all():
    with pytest.raises(ReportError, match="no header row"):
        parse_report(xlsx([["Отчёт"], ["a", "b", "c"]]), "r.xlsx")


def test_one_bad_row_rejects_the_whole_file_with_every_problem_listed():
    rows = [
        HEADER,
        figure_row(),
        figure_row(level="районный", applicant="юридическое лицо"),
        figure_row(kato="", applicant="юридическое лицо"),
        figure_row(period="2017-13", applicant="юридическое лицо"),
        figure_row(counts=(100, 90, "много", 45, 0, 0, 3), applicant="юридическое лицо"),
        figure_row(),  # the same period, body and applicant type again
    ]
    with pytest.raises(ReportError) as raised:
        parse_report(xlsx(rows), "r.xlsx")
    message = str(raised.value)
    assert "line 3: Уровень must be one of центральный, местный, got 'районный'" in message
    assert "line 4: КАТО is empty for a local body" in message
    assert "line 5: Период" in message
    assert "line 6: 'много' is not a count" in message
    assert "line 7: 2017, AKM51, individual already on line 2" in message


def test_header_only_is_not_a_report():
    with pytest.raises(ReportError, match="no data rows"):
        parse_report(xlsx([*TITLES, HEADER, ["Итого", "", "", "", "", "", 1]]), "r.xlsx")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "cannot read the XLSX file"),
        ("plain.xlsx", "Период,Код госоргана\n".encode(), "cannot read the XLSX file"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "unsupported file type '.xls'"),
        ("report.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
        ("binary.csv", b"\x00\x01\x02\x98\x98", "cannot decode|NUL"),
    ],
)
def test_unreadable_files(name, data, reason):
    with pytest.raises(ReportError, match=reason):
        parse_report(data, name)


def test_the_topic_report():
    rows = [
        ["Обоснованные жалобы по тематике"],
        [],
        ["Период", "Код госоргана", "Тематика", "Количество"],
        ["2017", "MVD", "Правоохранительная деятельность", "1 204"],
        ["2017", "MVD", "Прочее", "—"],
        ["2017", "", "Всего", "1 204"],
    ]
    report = parse_report(xlsx(rows), "topics.xlsx")
    assert report.kind == "topics" and report.totals_rows_skipped == 1
    assert report.rows == [
        {
            "period": "2017",
            "gov_body_code": "MVD",
            "topic": "Правоохранительная деятельность",
            "justified_complaints": 1204,
            "line": 4,
            "sheet": "Sheet",
        },
        {
            "period": "2017",
            "gov_body_code": "MVD",
            "topic": "Прочее",
            "justified_complaints": 0,
            "line": 5,
            "sheet": "Sheet",
        },
    ]


def test_a_topic_report_without_its_count_column():
    rows = [["Период", "Код госоргана", "Тематика"], ["2017", "MVD", "Прочее"]]
    with pytest.raises(ReportError, match="missing required column.*Количество"):
        parse_report(xlsx(rows), "topics.xlsx")


def test_describe_summarises_the_file():
    report = parse_report(
        xlsx([*TITLES, HEADER, figure_row(), figure_row(code="MF", level="центральный", kato="")]),
        "r.xlsx",
    )
    facts = report.describe()
    assert facts["kind"] == "figures" and facts["rows"] == 2 and facts["header_line"] == 4
    assert facts["periods"] == ["2017"] and facts["gov_body_codes"] == ["AKM51", "MF"]
    assert facts["sheets"] == ["Sheet"]


# -- sizes, sheets and rows the parser refuses (docs/reliability.md) ----------------------------


def workbook(*sheets: tuple[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet_xml(data: bytes, edit) -> bytes:
    """The workbook with its first sheet's XML passed through ``edit`` (as another program
    might have written it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = edit(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def far_cell(xml: bytes) -> bytes:
    return xml.replace(
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )


def test_a_sheet_declaring_a_million_rows_is_rejected_before_its_cells_are_read():
    small = xlsx([HEADER, figure_row()])
    huge = with_sheet_xml(
        small,
        lambda xml: far_cell(
            re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
        ),
    )
    assert len(huge) < 10_000
    started = time.monotonic()
    with pytest.raises(ReportError) as error:
        parse_report(huge, "huge.xlsx")
    assert time.monotonic() - started < 5
    assert "sheet 'Sheet' declares 1048576 rows × 16384 columns" in str(error.value)
    assert "COMPLAINTS_MAX_SHEET_ROWS" in str(error.value)


def test_a_sheet_whose_dimension_lies_is_still_read_within_the_limits():
    lying = with_sheet_xml(xlsx([HEADER, figure_row()]), far_cell)  # declares A1:M2
    with pytest.raises(ReportError, match="holds more than 1000 rows"):
        parse_report(lying, "lying.xlsx", ReportLimits(max_sheet_rows=1000))


def test_a_file_or_workbook_beyond_the_size_cap_is_rejected():
    data = xlsx([HEADER] + [figure_row(code=f"B{n}") for n in range(300)])
    limits = ReportLimits(max_file_bytes=len(data) + 1)  # the file fits, its content not
    with pytest.raises(ReportError, match=r"unpacks to .* MB.*COMPLAINTS_MAX_FILE_MB"):
        parse_report(data, "big.xlsx", limits)
    text = csv_bytes([HEADER, figure_row()])
    with pytest.raises(ReportError, match=r"more than the .* MB allowed"):
        parse_report(text, "big.csv", ReportLimits(max_file_bytes=len(text) - 1))
    wide = csv_bytes([HEADER + [f"x{n}" for n in range(100)], figure_row()])
    with pytest.raises(ReportError, match="113 columns, more than"):
        parse_report(wide, "wide.csv")


def test_every_data_sheet_of_a_workbook_is_read():
    data = workbook(
        ("Центральные", [*TITLES, HEADER, figure_row(code="MF", level="центральный", kato="")]),
        ("Примечания", [["Исполнитель: управление статистики"]]),  # no header: passed over
        ("Акиматы", [HEADER, figure_row(), figure_row(applicant="юридическое лицо")]),
    )
    report = parse_report(data, "two.xlsx")
    assert report.sheets == ["Центральные", "Акиматы"]
    assert [(r["sheet"], r["line"], r["gov_body_code"]) for r in report.rows] == [
        ("Центральные", 5, "MF"),
        ("Акиматы", 2, "AKM51"),
        ("Акиматы", 3, "AKM51"),
    ]
    assert report.describe()["sheets"] == ["Центральные", "Акиматы"]


def test_a_row_given_on_two_sheets_or_sheets_of_both_kinds_reject_the_workbook():
    twice = workbook(("A", [HEADER, figure_row()]), ("B", [HEADER, figure_row()]))
    with pytest.raises(
        ReportError, match="sheet 'B' line 2: 2017, AKM51, individual already on sheet 'A' line 2"
    ):
        parse_report(twice, "twice.xlsx")
    topics = [["Период", "Код госоргана", "Тематика", "Количество"], ["2017", "MVD", "Прочее", 1]]
    mixed = workbook(("Цифры", [HEADER, figure_row()]), ("Тематика", topics))
    with pytest.raises(ReportError, match="mixes figures and topics sheets"):
        parse_report(mixed, "mixed.xlsx")
    broken = workbook(("A", [HEADER, figure_row()]), ("B", [HEADER[:-1], figure_row()[:-1]]))
    with pytest.raises(ReportError, match="sheet 'B': header on line 1: missing"):
        parse_report(broken, "broken.xlsx")


def test_a_csv_row_cut_short_is_an_error_not_zeros():
    cut = figure_row(code="MF", level="центральный", kato="")[:9]
    with pytest.raises(ReportError, match="line 3: 9 of the 13 columns: the row is cut short"):
        parse_report(csv_bytes([HEADER, figure_row(), cut]), "cut.csv")


# -- implausible values (ingestion/common/bounds.py): a reject of the file, never a landed value -


@pytest.mark.parametrize(
    "written",
    [2**31, "99999999999999999999", "2 147 483 648", 1e20, float("inf"), float("nan")],
)
def test_a_count_staging_cannot_hold_is_not_a_count(written):
    with pytest.raises(ValueError, match="implausible Поступило|is not a count"):
        parse_count(written, "Поступило")


def test_the_largest_count_staging_holds_is_one():
    assert parse_count(2**31 - 1) == parse_count("2 147 483 647") == 2_147_483_647


def test_a_count_beyond_integer_rejects_the_file_with_its_reason():
    rows = [HEADER, figure_row(), figure_row(applicant="юридическое лицо", counts=(1,) * 6 + (0,))]
    rows[2][6] = "99999999999999999999"  # Поступило
    with pytest.raises(ReportError) as raised:
        parse_report(csv_bytes(rows), "r.csv")
    assert (
        "line 3: implausible Поступило 99999999999999999999: outside 0..2147483647 (integer)"
        in str(raised.value)
    )
    topics = [list(col.TOPIC_COLUMNS), ["2017", "MVD", "Прочее", 2**40]]
    with pytest.raises(ReportError, match="line 2: implausible Количество 1099511627776"):
        parse_report(xlsx(topics), "topics.xlsx")


@pytest.mark.parametrize(
    ("period", "reason"),
    [
        ("2009", "implausible Период 2009: ends before 2010-01-01"),
        ("2009-12", "implausible Период 2009-12: ends before 2010-01-01"),
        ("1999", "implausible Период 1999: ends before 2010-01-01"),
        ("2025-07", "implausible Период 2025-07: begins after the observation day 2025-06-10"),
        ("2026", "implausible Период 2026: begins after the observation day 2025-06-10"),
        ("2099-01", "implausible Период 2099-01: begins after the observation day 2025-06-10"),
        (dt.datetime(2026, 1, 1), "implausible Период 2026-01: begins after the observation"),
    ],
)
def test_a_period_outside_the_portals_life_rejects_the_file(period, reason):
    rows = [HEADER, figure_row(), figure_row(period=period)]
    with pytest.raises(ReportError, match="invalid rows") as raised:
        parse_report(xlsx(rows), "r.xlsx", latest=dt.date(2025, 6, 10))
    assert f"line 3: {reason}" in str(raised.value)


@pytest.mark.parametrize("period", ["2010", "2010-01", "2025", "2025-06"])
def test_periods_from_2010_to_the_observation_month_are_taken(period):
    report = parse_report(
        xlsx([HEADER, figure_row(period=period)]), "r.xlsx", latest=dt.date(2025, 6, 10)
    )
    assert report.rows[0]["period"] == period


def test_without_an_observation_day_a_period_may_not_begin_after_today():
    later = str(dt.date.today().year + 2)  # (+1 is allowed on 31 December: UTC+14 is in it)
    with pytest.raises(ReportError, match=f"implausible Период {later}: begins after"):
        parse_report(xlsx([HEADER, figure_row(period=later)]), "r.xlsx")
    this_year = str(dt.date.today().year)
    assert parse_report(xlsx([HEADER, figure_row(period=this_year)]), "r.xlsx").rows
