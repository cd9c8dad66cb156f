"""Write the scenario's report files into an inbox, the way agencies publish them.

Every quirk of SOURCES.md section 3 appears at least once: XLSX with title rows above the
header, a totals row (`Итого`, `Всего`) and a note below the data; counts as numbers and as text
with spaces or no-break spaces; `—` and empty cells for zero; a Windows-1251 CSV separated by
`;`; a UTF-8 CSV of monthly figures; a partial monthly report of a body that also filed a
yearly one (the yearly report is the one that counts); a topic-breakdown report.

Files are written atomically (a hidden temporary name, then a rename) and byte for byte the
same on every call: the XLSX files carry fixed timestamps.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import astuple
from pathlib import Path

from sandbox.complaints.scenario import (
    CENTRAL,
    COUNTS,
    LOCAL,
    FigureRow,
    TopicRow,
    monthly_rows,
    topic_rows,
    yearly_rows,
)

FIGURE_HEADER = (
    "Период",
    "Код госоргана",
    "Государственный орган",
    "Уровень",
    "КАТО",
    "Тип заявителя",
    "Поступило",
    "Рассмотрено",
    "Нарушения сроков",
    "Разъяснено",
    "Удовлетворено вышестоящим органом",
    "Удовлетворено судом",
    "Обоснованные жалобы",
)
TOPIC_HEADER = ("Период", "Код госоргана", "Тематика", "Количество")
TITLE = "Сведения о рассмотрении жалоб и заявлений физических и юридических лиц"
NOTE = "Исполнитель: управление статистики и анализа"
#: The date stamped into every XLSX (zip entries and document properties): determinism.
FIXED_STAMP = (2018, 2, 15, 9, 0, 0)
NBSP = "\u00a0"

Count = Callable[[int], object]  # how a file writes a count


def write_reports(inbox: Path, seed: int = 2017) -> list[Path]:
    """Write the 2016 and 2017 reports (and the 2017 topics) into ``inbox``; returns the paths."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    rows = {year: yearly_rows(year, seed) for year in (2016, 2017)}

    def pick(year: int, level: str, exclude: Sequence[str] = ()) -> list[FigureRow]:
        return [r for r in rows[year] if r.body_level == level and r.gov_body_code not in exclude]

    topics = topic_rows(rows[2017], seed)
    almaty = [r for r in rows[2017] if r.gov_body_code == "AKM75"]
    mvd = [r for r in rows[2017] if r.gov_body_code == "MVD"]
    written = [
        _xlsx(
            inbox / "complaints_2016_central_bodies.xlsx",
            ["за 2016 год", "центральные государственные органы"],
            FIGURE_HEADER,
            [_figure_cells(r, _number) for r in pick(2016, CENTRAL)],
            totals=_figure_totals("2016", "Итого", pick(2016, CENTRAL), _number),
        ),
        _csv(
            inbox / "complaints_2016_akimats.csv",
            [TITLE + " за 2016 год (акиматы областей, городов Астаны и Алматы)"],
            [_figure_cells(r, _spaced(" ")) for r in pick(2016, LOCAL)],
            totals=_figure_totals("2016", "Всего по акиматам", pick(2016, LOCAL), _spaced(" ")),
            encoding="cp1251",
            delimiter=";",
        ),
        _xlsx(
            inbox / "complaints_2017_central_bodies.xlsx",
            ["за 2017 год", "центральные государственные органы"],
            FIGURE_HEADER,
            [_figure_cells(r, _spaced(NBSP)) for r in pick(2017, CENTRAL)],
            totals=_figure_totals("2017", "Итого", pick(2017, CENTRAL), _spaced(NBSP)),
        ),
        _xlsx(
            inbox / "complaints_2017_akimats.xlsx",
            ["за 2017 год", "акиматы областей и города Астаны (город Алматы — помесячно)"],
            FIGURE_HEADER,
            [_figure_cells(r, _number) for r in pick(2017, LOCAL, exclude=["AKM75"])],
            totals=_figure_totals("2017", "ИТОГО", pick(2017, LOCAL, ["AKM75"]), _number),
        ),
        _csv(
            inbox / "complaints_2017_almaty_city_monthly.csv",
            [TITLE + ", город Алматы, помесячно, 2017 год"],
            [_figure_cells(m, _blank_zero) for r in almaty for m in monthly_rows(r)],
            totals=None,
            encoding="utf-8",
            delimiter=",",
        ),
        _xlsx(
            inbox / "complaints_2017-q1_mvd_monthly.xlsx",
            ["Министерство внутренних дел, январь — март 2017 года (оперативные данные)"],
            FIGURE_HEADER,
            [_figure_cells(m, _number) for r in mvd for m in monthly_rows(r, months=3)],
            totals=None,
        ),
        _xlsx(
            inbox / "complaints_2017_topics.xlsx",
            ["Обоснованные жалобы по тематике, 2017 год"],
            TOPIC_HEADER,
            [_topic_cells(t) for t in topics],
            totals=("2017", "", "Всего", sum(t.justified_complaints for t in topics)),
        ),
    ]
    return written


# -- cells ---------------------------------------------------------------------------------------


def _number(value: int) -> object:
    return value if value else "—"


def _spaced(space: str) -> Count:
    """Counts as text grouped by ``space`` ("1 400 000"); zero as "—"."""

    def write(value: int) -> object:
        return f"{value:,}".replace(",", space) if value else "—"

    return write


def _blank_zero(value: int) -> object:
    return value if value else ""


def _figure_cells(row: FigureRow, count: Count) -> tuple:
    fields = astuple(row)
    return (*fields[:6], *(count(v) for v in fields[6:]))


def _figure_totals(period: str, label: str, rows: Sequence[FigureRow], count: Count) -> tuple:
    sums = [sum(getattr(r, name) for r in rows) for name in COUNTS]
    return (period, "", label, "", "", "", *(count(v) for v in sums))


def _topic_cells(row: TopicRow) -> tuple:
    return (row.period, row.gov_body_code, row.topic, _number(row.justified_complaints))


# -- files ---------------------------------------------------------------------------------------


def _xlsx(
    path: Path,
    subtitles: Sequence[str],
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    totals: Sequence[object] | None,
) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Отчет"
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True)
    for subtitle in subtitles:
        sheet.append([subtitle])
    sheet.append([])
    sheet.append(list(header))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["" if v == "" else v for v in row])
    if totals is not None:
        sheet.append(list(totals))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.append([])
    sheet.append([NOTE])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _write_atomically(path, _fixed_timestamps(buffer.getvalue()))


def _csv(
    path: Path,
    titles: Sequence[str],
    rows: Sequence[Sequence[object]],
    totals: Sequence[object] | None,
    encoding: str,
    delimiter: str,
) -> Path:
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter)
    for title in titles:
        writer.writerow([title])
    writer.writerow([])
    writer.writerow(FIGURE_HEADER)
    writer.writerows(rows)
    if totals is not None:
        writer.writerow(totals)
    return _write_atomically(path, text.getvalue().encode(encoding))


def _fixed_timestamps(xlsx: bytes) -> bytes:
    """The same workbook with fixed zip entry dates and document dates (openpyxl stamps now)."""
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_STAMP)
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)
    return out.getvalue()


def _write_atomically(path: Path, data: bytes) -> Path:
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    temporary.replace(path)
    return path
