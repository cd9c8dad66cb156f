"""Turn one complaint-statistics report file into records. Pure: bytes in, records out.

A report is a CSV (UTF-8 or Windows-1251, `,` `;` or tab separated) or an XLSX workbook, whose
every sheet with a header row is read (sheets without one, such as notes, are passed over;
sheets of both kinds, or a row given on two sheets, reject the file). Title rows may stand
above the header row; totals rows (`Итого`, `Всего`) are skipped, never summed;
rows with neither a body code nor any count (notes, signatures) are skipped too. Counts may
be written `1 400 000` (spaces, no-break spaces), and `—` or an empty cell means zero.

A data row with fewer cells than the header (a file cut short) is an error, not zeros. So is
an implausible value (:mod:`ingestion.common.bounds`): a count beyond staging's ``integer``, a
period that ends before 2010 or begins after the observation day (the file's landing). A file
or sheet beyond :class:`ReportLimits` is rejected before its cells are read.

Anything else that is wrong raises :class:`ReportError`, whose message lists every problem with
its line number: a file is taken whole or not at all. Column names and value spellings live in
:mod:`ingestion.complaints.columns`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ingestion.common.bounds import integer_out_of_bounds, latest_day, period_out_of_bounds
from ingestion.complaints import columns as col

#: Problems listed in a ReportError before "… and N more".
_MAX_PROBLEMS = 10
_MB = 1024 * 1024


@dataclass(frozen=True)
class ReportLimits:
    """The most a report file may hold (settings COMPLAINTS_MAX_FILE_MB, COMPLAINTS_MAX_SHEET_ROWS,
    COMPLAINTS_MAX_SHEET_COLS); a real report is far below each. Beyond them a file is
    rejected before its cells are read: a few kilobytes of XLSX can declare a sheet of 17
    billion cells."""

    max_file_bytes: int = 50 * _MB  # the file, and an XLSX's unpacked content
    max_sheet_rows: int = 100_000
    max_sheet_cols: int = 100

    def file_too_large(self, size: int, what: str = "the file is") -> str:
        return (
            f"{what} {size / _MB:.1f} MB, more than the {self.max_file_bytes / _MB:g} MB "
            "allowed (COMPLAINTS_MAX_FILE_MB)"
        )

    def sheet_too_large(self, rows: int | None, cols: int | None, where: str) -> str | None:
        """Why a sheet or CSV of this size is refused, or None if it is within the limits."""
        if (rows or 0) <= self.max_sheet_rows and (cols or 0) <= self.max_sheet_cols:
            return None
        return (
            f"{where} {rows if rows is not None else 'more'} rows × {cols} columns, more than "
            f"the {self.max_sheet_rows} rows (COMPLAINTS_MAX_SHEET_ROWS) × {self.max_sheet_cols} "
            "columns (COMPLAINTS_MAX_SHEET_COLS) allowed"
        )


class ReportError(ValueError):
    """The file cannot be used; the message says why (it becomes the `.reason.txt`)."""


@dataclass
class Report:
    """One parsed report file."""

    kind: str  # columns.FIGURES | columns.TOPICS
    file_format: str  # xlsx | csv
    header_line: int  # 1-based row of the header in the sheet or CSV
    #: canonical keys, plus "line" (and, from an XLSX, "sheet": lines count per sheet)
    rows: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # XLSX: the sheets read
    encoding: str | None = None  # CSV: the encoding it decoded with
    delimiter: str | None = None  # CSV
    totals_rows_skipped: int = 0
    note_rows_skipped: int = 0
    extra_columns: list[str] = field(default_factory=list)  # titles not in columns.py

    def describe(self) -> dict[str, Any]:
        """The file's facts for raw.complaints_report_files' payload (JSON-ready)."""
        return {
            "kind": self.kind,
            "file_format": self.file_format,
            "sheets": self.sheets,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_line": self.header_line,
            "rows": len(self.rows),
            "totals_rows_skipped": self.totals_rows_skipped,
            "note_rows_skipped": self.note_rows_skipped,
            "extra_columns": self.extra_columns,
            "periods": sorted({row["period"] for row in self.rows}),
            "gov_body_codes": sorted({row["gov_body_code"] for row in self.rows}),
        }


def parse_report(
    data: bytes,
    file_name: str,
    limits: ReportLimits | None = None,
    *,
    latest: dt.date | None = None,
) -> Report:
    """Parse a report file by its extension (.xlsx or .csv); raises ReportError.

    ``latest`` is the last day a period may begin on: the observation day (default: today,
    see ``bounds.latest_day``)."""
    limits = limits or ReportLimits()
    latest = latest or latest_day(dt.datetime.now(dt.UTC))
    if len(data) > limits.max_file_bytes:
        raise ReportError(limits.file_too_large(len(data)))
    suffix = PurePath(file_name).suffix.lower()
    if suffix == ".xlsx":
        return _parse_xlsx(data, limits, latest)
    if suffix == ".csv":
        return _parse_csv(data, limits, latest)
    raise ReportError(f"unsupported file type {suffix or '(none)'!r}: expected .xlsx or .csv")


# -- reading the two formats -----------------------------------------------------------------


def _parse_xlsx(data: bytes, limits: ReportLimits, latest: dt.date) -> Report:
    from openpyxl import load_workbook  # late: only XLSX files need it

    try:
        unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(data)).infolist())
        if unpacked > limits.max_file_bytes:
            raise ReportError(limits.file_too_large(unpacked, "the workbook unpacks to"))
        # the values a spreadsheet program computed, and the formulas behind them: a formula
        # whose value was never computed (a file written by a script) must not read as zero
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except ReportError:
        raise
    except Exception as exc:  # a broken zip, not a workbook, an encrypted file, …
        raise ReportError(f"cannot read the XLSX file: {type(exc).__name__}: {exc}") from exc
    try:
        # every sheet's declared size first: nothing is read of a workbook too large
        for sheet in values.worksheets:
            declared = sheet.max_row, sheet.max_column
            if too_large := limits.sheet_too_large(*declared, f"sheet {sheet.title!r} declares"):
                raise ReportError(too_large)
        reports: list[Report] = []
        no_header: _NoHeader | None = None
        for sheet, formula_sheet in zip(values.worksheets, formulas.worksheets, strict=True):
            rows = _sheet_rows(sheet, formula_sheet, limits)
            try:
                report = _parse_table(rows, "xlsx", limits, latest)
            except _NoHeader as exc:  # a sheet of notes, a chart: not a data sheet
                no_header = no_header or exc
                continue
            except ReportError as exc:
                raise ReportError(f"sheet {sheet.title!r}: {exc}") from exc
            report.sheets = [sheet.title]
            for record in report.rows:
                record["sheet"] = sheet.title
            reports.append(report)
        if not reports:
            raise ReportError(str(no_header) if no_header else "the workbook has no sheet")
        return _one_report(reports)
    finally:
        values.close()
        formulas.close()


def _sheet_rows(sheet: Any, formula_sheet: Any, limits: ReportLimits) -> list[list[Any]]:
    """A sheet's cell values, read within the limits whatever its dimension claims."""
    # one row more than allowed, and without a declared width one column more: to tell
    max_col = sheet.max_column or limits.max_sheet_cols + 1
    bounds = {"max_row": limits.max_sheet_rows + 1, "max_col": max_col, "values_only": True}
    try:
        rows = [
            [
                _Uncomputed(formula) if value is None and _is_formula(formula) else value
                for value, formula in zip(row, formula_row, strict=False)
            ]
            for row, formula_row in zip(
                sheet.iter_rows(**bounds), formula_sheet.iter_rows(**bounds), strict=False
            )
        ]
    except Exception as exc:
        raise ReportError(f"cannot read sheet {sheet.title!r}: {exc}") from exc
    if len(rows) > limits.max_sheet_rows:
        raise ReportError(
            f"sheet {sheet.title!r} holds more than {limits.max_sheet_rows} rows "
            "(COMPLAINTS_MAX_SHEET_ROWS)"
        )
    if sheet.max_column is None:  # no declared width: each row as wide as its last value
        rows = [row[: _width(row)] for row in rows]
    return rows


def _width(row: Sequence[Any]) -> int:
    return next((i + 1 for i in range(len(row) - 1, -1, -1) if not _is_empty(row[i])), 0)


def _one_report(reports: list[Report]) -> Report:
    """The data sheets of one workbook as one report: of one kind, no row given twice."""
    kinds = {report.kind for report in reports}
    if len(kinds) > 1:
        listed = ", ".join(f"{r.sheets[0]!r} ({r.kind})" for r in reports)
        raise ReportError(
            f"the workbook mixes figures and topics sheets: {listed}; put each kind in a file "
            "of its own"
        )
    merged, *others = reports
    key_names = _key_names(merged.kind)
    first_seen = {tuple(r[name] for name in key_names): r for r in merged.rows}
    problems = []
    for report in others:
        for record in report.rows:
            key = tuple(record[name] for name in key_names)
            if key in first_seen:
                earlier = first_seen[key]
                problems.append(
                    f"sheet {record['sheet']!r} line {record['line']}: {', '.join(key)} already "
                    f"on sheet {earlier['sheet']!r} line {earlier['line']}"
                )
                continue
            first_seen[key] = record
            merged.rows.append(record)
        merged.sheets += report.sheets
        merged.totals_rows_skipped += report.totals_rows_skipped
        merged.note_rows_skipped += report.note_rows_skipped
        merged.extra_columns += [c for c in report.extra_columns if c not in merged.extra_columns]
    if problems:
        raise ReportError(_listed("rows given on two sheets", problems))
    return merged


class _Uncomputed(str):
    """A formula cell without a computed value; any use of it as a count is an error."""

    def __new__(cls, formula: str):
        return super().__new__(cls, formula)


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _parse_csv(data: bytes, limits: ReportLimits, latest: dt.date) -> Report:
    decoded = []
    for encoding in col.CSV_ENCODINGS:
        try:
            decoded.append((encoding, data.decode(encoding)))
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise ReportError(f"cannot decode the CSV file as any of {', '.join(col.CSV_ENCODINGS)}")
    if "\x00" in decoded[0][1]:
        raise ReportError("the CSV file holds NUL bytes: not a text file")
    no_header: _NoHeader | None = None
    # the first encoding and delimiter under which the header row is found wins
    for encoding, text in decoded:
        for delimiter in col.CSV_DELIMITERS:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
            try:
                report = _parse_table(rows, "csv", limits, latest)
            except _NoHeader as exc:
                no_header = no_header or exc
                continue
            report.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
            report.delimiter = delimiter
            return report
    raise ReportError(str(no_header))


# -- the table: header, rows ---------------------------------------------------------------------


class _NoHeader(ReportError):
    """No header row found (the CSV reader then tries another encoding or delimiter)."""


def _key_names(kind: str) -> tuple[str, str, str]:
    """What identifies a row: no two rows of a file may share it."""
    if kind == col.FIGURES:
        return ("period", "gov_body_code", "applicant_type")
    return ("period", "gov_body_code", "topic")


def _listed(what: str, problems: list[str]) -> str:
    more = len(problems) - _MAX_PROBLEMS
    listed = problems[:_MAX_PROBLEMS] + ([f"… and {more} more"] if more > 0 else [])
    return f"{what}:\n  " + "\n  ".join(listed)


def _parse_table(
    rows: Sequence[Sequence[Any]], file_format: str, limits: ReportLimits, latest: dt.date
) -> Report:
    header_index, kind, positions, extra = _find_header(rows)
    width = max((len(row) for row in rows), default=0)
    if too_large := limits.sheet_too_large(len(rows), width, "the table has"):
        raise ReportError(too_large)
    needed = max(positions.values()) + 1  # a row must reach the header's last column
    report = Report(
        kind=kind, file_format=file_format, header_line=header_index + 1, extra_columns=extra
    )
    parse_row = _figure_row if kind == col.FIGURES else _topic_row
    key_names = _key_names(kind)
    problems: list[str] = []
    first_line: dict[tuple, int] = {}
    for index in range(header_index + 1, len(rows)):
        line = index + 1
        cells = {name: _cell(rows[index], pos) for name, pos in positions.items()}
        if all(_is_empty(value) for value in cells.values()):
            continue
        if _is_totals(cells, kind):
            report.totals_rows_skipped += 1
            continue
        if _is_note(cells, kind):
            report.note_rows_skipped += 1
            continue
        if len(rows[index]) < needed:
            problems.append(
                f"line {line}: {len(rows[index])} of the {needed} columns: the row is cut short "
                "(a file still being written, or a broken export)"
            )
            continue
        try:
            record = parse_row(cells, latest)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        key = tuple(record[name] for name in key_names)
        if key in first_line:
            problems.append(f"line {line}: {', '.join(key)} already on line {first_line[key]}")
            continue
        first_line[key] = line
        record["line"] = line
        report.rows.append(record)
    if problems:
        raise ReportError(_listed("invalid rows", problems))
    if not report.rows:
        raise ReportError(f"no data rows below the header (line {report.header_line})")
    return report


def _find_header(rows: Sequence[Sequence[Any]]) -> tuple[int, str, dict[str, int], list[str]]:
    """The header row: the first of the top rows naming at least three known columns."""
    kinds = {kind: col.columns_of(kind) for kind in (col.FIGURES, col.TOPICS)}
    for index, row in enumerate(rows[: col.HEADER_SEARCH_ROWS]):
        labels = [col.normalise_label(cell) for cell in row]
        # the two kinds share "Период" and "Код госоргана": their own columns decide
        own = {
            kind: sum(label in names and label not in kinds[other] for label in labels)
            for (kind, names), other in zip(kinds.items(), (col.TOPICS, col.FIGURES), strict=True)
        }
        kind = col.FIGURES if own[col.FIGURES] > own[col.TOPICS] else col.TOPICS
        names = kinds[kind]
        if sum(label in names for label in labels) < 3:
            continue
        positions: dict[str, int] = {}
        duplicates, extra = [], []
        for pos, (label, cell) in enumerate(zip(labels, row, strict=True)):
            if label in names:
                if names[label] in positions:
                    duplicates.append(str(cell).strip())
                else:
                    positions[names[label]] = pos
            elif label:
                extra.append(str(cell).strip())
        titles = col.FIGURE_COLUMNS if kind == col.FIGURES else col.TOPIC_COLUMNS
        missing = [title for title, name in titles.items() if name not in positions]
        if missing or duplicates:
            raise ReportError(
                f"header on line {index + 1}: "
                + (f"missing required column(s): {', '.join(missing)}" if missing else "")
                + ("; " if missing and duplicates else "")
                + (f"column(s) given twice: {', '.join(duplicates)}" if duplicates else "")
            )
        return index, kind, positions, extra
    raise _NoHeader(
        f"no header row in the first {col.HEADER_SEARCH_ROWS} rows: expected the columns "
        f"{', '.join(col.FIGURE_COLUMNS)} (or, for a topic report, "
        f"{', '.join(col.TOPIC_COLUMNS)})"
    )


def _cell(row: Sequence[Any], position: int) -> Any:
    return row[position] if position < len(row) else None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _label_cells(cells: dict[str, Any], kind: str) -> Iterable[Any]:
    counts = col.FIGURE_COUNTS if kind == col.FIGURES else ("justified_complaints",)
    return (value for name, value in cells.items() if name not in counts)


def _is_totals(cells: dict[str, Any], kind: str) -> bool:
    return any(
        col.normalise_label(value).startswith(col.TOTALS_MARKERS)
        for value in _label_cells(cells, kind)
        if isinstance(value, str)
    )


def _is_note(cells: dict[str, Any], kind: str) -> bool:
    """A line below the table such as "Исполнитель: …": no body code and no count."""
    counts = col.FIGURE_COUNTS if kind == col.FIGURES else ("justified_complaints",)
    return _is_empty(cells["gov_body_code"]) and all(_is_empty(cells[name]) for name in counts)


# -- one row -------------------------------------------------------------------------------------

#: canonical name → the Russian title a row's problem is told by
_FIGURE_TITLES = {name: title for title, name in col.FIGURE_COLUMNS.items()}
_TOPIC_TITLES = {name: title for title, name in col.TOPIC_COLUMNS.items()}


def _figure_row(cells: dict[str, Any], latest: dt.date) -> dict[str, Any]:
    level = _choice(cells["body_level"], col.BODY_LEVELS, "Уровень")
    kato = _text(cells["region_kato"])
    if kato and not col.KATO_PATTERN.fullmatch(kato):
        raise ValueError(f"КАТО must be two digits or empty, got {kato!r}")
    if level == "local" and not kato:
        raise ValueError("КАТО is empty for a local body")
    record: dict[str, Any] = {
        "period": _period(cells["period"], latest),
        "gov_body_code": _required_text(cells["gov_body_code"], "Код госоргана"),
        "gov_body_name_ru": _required_text(cells["gov_body_name_ru"], "Государственный орган"),
        "body_level": level,
        "region_kato": kato or None,
        "applicant_type": _choice(cells["applicant_type"], col.APPLICANT_TYPES, "Тип заявителя"),
    }
    for name in col.FIGURE_COUNTS:
        record[name] = parse_count(cells[name], _FIGURE_TITLES[name])
    return record


def _topic_row(cells: dict[str, Any], latest: dt.date) -> dict[str, Any]:
    title = _TOPIC_TITLES["justified_complaints"]
    return {
        "period": _period(cells["period"], latest),
        "gov_body_code": _required_text(cells["gov_body_code"], "Код госоргана"),
        "topic": _required_text(cells["topic"], "Тематика"),
        "justified_complaints": parse_count(cells["justified_complaints"], title),
    }


def parse_count(value: Any, name: str = "count") -> int:
    """A count as written: 1400000, 1400000.0, "1 400 000" (any digit-group space), "—", "".

    One that staging's ``integer`` cannot hold (``stg_complaints__*`` cast every count to it)
    is an error, told by ``name`` (the column's title), like one that is not a count."""
    if value is None:
        return 0
    if isinstance(value, _Uncomputed):
        raise ValueError(
            f"formula {str(value)!r} has no computed value: open and save the file in a "
            "spreadsheet program"
        )
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a count")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a count")
        number = round(value)
        if abs(value - number) > 1e-6:  # tolerate a spreadsheet's rounding noise, no more
            raise ValueError(f"{value!r} is not a whole number")
    else:
        text = str(value).strip()
        if text in col.ZERO_MARKS:
            return 0
        digits = col.DIGIT_GROUP_SPACES.sub("", text)
        if not digits.isascii() or not digits.isdigit():
            raise ValueError(f"{text!r} is not a count")
        number = int(digits)
    if number < 0:
        raise ValueError(f"{number} is negative")
    if reason := integer_out_of_bounds(number, name, "integer", minimum=0):
        raise ValueError(reason)
    return number


def _period(value: Any, latest: dt.date) -> str:
    """A year or a month, within the portal's life: from 2010 to the observation day's."""
    if isinstance(value, dt.date):  # a spreadsheet turned "2017-03" into a date
        text = f"{value.year:04d}-{value.month:02d}"
    else:
        text = _text(value)
        if not col.PERIOD_PATTERN.fullmatch(text):
            raise ValueError(f"Период must be a year (2017) or a month (2017-03), got {text!r}")
    if reason := period_out_of_bounds(text, "Период", latest):
        raise ValueError(reason)
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _Uncomputed):
        raise ValueError(f"formula {str(value)!r} has no computed value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _required_text(value: Any, title: str) -> str:
    text = _text(value)
    if not text:
        raise ValueError(f"{title} is empty")
    return text


def _choice(value: Any, choices: dict[str, str], title: str) -> str:
    label = col.normalise_label(value)
    if label not in choices:
        raise ValueError(f"{title} must be one of {', '.join(choices)}, got {_text(value)!r}")
    return choices[label]
