"""Turn one complaint-statistics report file into records. Pure: bytes in, records out.

A report is one sheet (XLSX) or one CSV (UTF-8 or Windows-1251, `,` `;` or tab separated). Title
rows may stand above the header row; totals rows (`Итого`, `Всего`) are skipped, never summed;
rows with neither a body code nor any count (notes, signatures) are skipped too. Counts may
be written `1 400 000` (spaces, no-break spaces), and `—` or an empty cell means zero.

Anything else that is wrong raises :class:`ReportError`, whose message lists every problem with
its line number: a file is taken whole or not at all. Column names and value spellings live in
:mod:`ingestion.complaints.columns`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ingestion.complaints import columns as col

#: Problems listed in a ReportError before "… and N more".
_MAX_PROBLEMS = 10


class ReportError(ValueError):
    """The file cannot be used; the message says why (it becomes the `.reason.txt`)."""


@dataclass
class Report:
    """One parsed report file."""

    kind: str  # columns.FIGURES | columns.TOPICS
    file_format: str  # xlsx | csv
    header_line: int  # 1-based row of the header in the sheet or CSV
    rows: list[dict[str, Any]] = field(default_factory=list)  # canonical keys, plus "line"
    sheet: str | None = None  # XLSX: the sheet read
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
            "sheet": self.sheet,
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


def parse_report(data: bytes, file_name: str) -> Report:
    """Parse a report file by its extension (.xlsx or .csv); raises ReportError."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix == ".xlsx":
        return _parse_xlsx(data)
    if suffix == ".csv":
        return _parse_csv(data)
    raise ReportError(f"unsupported file type {suffix or '(none)'!r}: expected .xlsx or .csv")


# -- reading the two formats -----------------------------------------------------------------


def _parse_xlsx(data: bytes) -> Report:
    from openpyxl import load_workbook  # late: only XLSX files need it

    try:
        # the values a spreadsheet program computed, and the formulas behind them: a formula
        # whose value was never computed (a file written by a script) must not read as zero
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # a broken zip, not a workbook, an encrypted file, …
        raise ReportError(f"cannot read the XLSX file: {type(exc).__name__}: {exc}") from exc
    try:
        first_error: ReportError | None = None
        for sheet, formula_sheet in zip(values.worksheets, formulas.worksheets, strict=True):
            try:
                rows = [
                    [
                        _Uncomputed(formula) if value is None and _is_formula(formula) else value
                        for value, formula in zip(row, formula_row, strict=False)
                    ]
                    for row, formula_row in zip(
                        sheet.iter_rows(values_only=True),
                        formula_sheet.iter_rows(values_only=True),
                        strict=False,
                    )
                ]
            except Exception as exc:
                raise ReportError(f"cannot read sheet {sheet.title!r}: {exc}") from exc
            try:
                report = _parse_table(rows, "xlsx")
            except _NoHeader as exc:
                first_error = first_error or ReportError(str(exc))
                continue
            report.sheet = sheet.title
            return report
        raise first_error or ReportError("the workbook has no sheet")
    finally:
        values.close()
        formulas.close()


class _Uncomputed(str):
    """A formula cell without a computed value; any use of it as a count is an error."""

    def __new__(cls, formula: str):
        return super().__new__(cls, formula)


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _parse_csv(data: bytes) -> Report:
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
                report = _parse_table(rows, "csv")
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


def _parse_table(rows: Sequence[Sequence[Any]], file_format: str) -> Report:
    header_index, kind, positions, extra = _find_header(rows)
    report = Report(
        kind=kind, file_format=file_format, header_line=header_index + 1, extra_columns=extra
    )
    parse_row = _figure_row if kind == col.FIGURES else _topic_row
    key_names = (
        ("period", "gov_body_code", "applicant_type")
        if kind == col.FIGURES
        else ("period", "gov_body_code", "topic")
    )
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
        try:
            record = parse_row(cells)
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
        more = len(problems) - _MAX_PROBLEMS
        listed = problems[:_MAX_PROBLEMS] + ([f"… and {more} more"] if more > 0 else [])
        raise ReportError("invalid rows:\n  " + "\n  ".join(listed))
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


def _figure_row(cells: dict[str, Any]) -> dict[str, Any]:
    level = _choice(cells["body_level"], col.BODY_LEVELS, "Уровень")
    kato = _text(cells["region_kato"])
    if kato and not col.KATO_PATTERN.fullmatch(kato):
        raise ValueError(f"КАТО must be two digits or empty, got {kato!r}")
    if level == "local" and not kato:
        raise ValueError("КАТО is empty for a local body")
    record: dict[str, Any] = {
        "period": _period(cells["period"]),
        "gov_body_code": _required_text(cells["gov_body_code"], "Код госоргана"),
        "gov_body_name_ru": _required_text(cells["gov_body_name_ru"], "Государственный орган"),
        "body_level": level,
        "region_kato": kato or None,
        "applicant_type": _choice(cells["applicant_type"], col.APPLICANT_TYPES, "Тип заявителя"),
    }
    for name in col.FIGURE_COUNTS:
        record[name] = parse_count(cells[name])
    return record


def _topic_row(cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": _period(cells["period"]),
        "gov_body_code": _required_text(cells["gov_body_code"], "Код госоргана"),
        "topic": _required_text(cells["topic"], "Тематика"),
        "justified_complaints": parse_count(cells["justified_complaints"]),
    }


def parse_count(value: Any) -> int:
    """A count as written: 1400000, 1400000.0, "1 400 000" (any digit-group space), "—", ""."""
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
    return number


def _period(value: Any) -> str:
    if isinstance(value, dt.date):  # a spreadsheet turned "2017-03" into a date
        return f"{value.year:04d}-{value.month:02d}"
    text = _text(value)
    if not col.PERIOD_PATTERN.fullmatch(text):
        raise ValueError(f"Период must be a year (2017) or a month (2017-03), got {text!r}")
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
