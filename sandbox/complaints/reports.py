"""Write the scenario's report files into an inbox, the way agencies publish them.

Every quirk of docs/sources.md section 3 appears at least once: XLSX with title rows above the
header, a totals row (`Итого`, `Всего`) and a note below the data; counts as numbers and as text
with spaces or no-break spaces; `—` and empty cells for zero; a Windows-1251 CSV separated by
`;`; a UTF-8 CSV of monthly figures; a partial monthly report of a body that also filed a
yearly one (the yearly report is the one that counts); a topic-breakdown report. The scenario
years 2020 and 2021 come as one plain XLSX each, every body on one sheet.

Files are written atomically (a hidden temporary name, then a rename) and byte for byte the
same on every call: the XLSX files carry fixed timestamps. What else a real inbox holds (files
in flight, corrections, broken or hostile files) is written by sandbox/complaints/variants.py.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from sandbox.complaints.scenario import (
    CALIBRATED_YEARS,
    CENTRAL,
    COUNTS,
    LOCAL,
    YEARS,
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
SHEET_TITLE = "Отчет"
NOTES_TITLE = "Пояснения"
#: Scenario files a variant (sandbox/complaints/variants.py) writes otherwise.
AKIMATS_2017 = "complaints_2017_akimats.xlsx"
AKIMATS_2017_SUBTITLES = (
    "за 2017 год",
    "акиматы областей и города Астаны (город Алматы — помесячно)",
)
ALMATY_MONTHLY_2017 = "complaints_2017_almaty_city_monthly.csv"

Count = Callable[[int], object]  # how a file writes a count


def write_reports(inbox: Path, seed: int = 2017, *, skip: Collection[str] = ()) -> list[Path]:
    """Write the 2016, 2017, 2020 and 2021 reports (and the 2017 topics) into ``inbox``;
    returns the paths.
    The files named in ``skip`` are left out (a variant of sandbox.complaints.variants writes
    its own instead)."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    return [
        _write_atomically(inbox / name, data)
        for name, data in report_files(seed).items()
        if name not in skip
    ]


def report_files(seed: int = 2017) -> dict[str, bytes]:
    """The scenario's report files, name → bytes, in the order they are written."""
    rows = {year: yearly_rows(year, seed) for year in YEARS}

    def pick(year: int, level: str, exclude: Sequence[str] = ()) -> list[FigureRow]:
        return [r for r in rows[year] if r.body_level == level and r.gov_body_code not in exclude]

    topics = topic_rows(rows[2017], seed)
    almaty = [r for r in rows[2017] if r.gov_body_code == "AKM75"]
    mvd = [r for r in rows[2017] if r.gov_body_code == "MVD"]
    return {
        "complaints_2016_central_bodies.xlsx": _xlsx(
            ["за 2016 год", "центральные государственные органы"],
            FIGURE_HEADER,
            [_figure_cells(r, _number) for r in pick(2016, CENTRAL)],
            totals=_figure_totals("2016", "Итого", pick(2016, CENTRAL), _number),
        ),
        "complaints_2016_akimats.csv": _csv(
            [TITLE + " за 2016 год (акиматы областей, городов Астаны и Алматы)"],
            [_figure_cells(r, _spaced(" ")) for r in pick(2016, LOCAL)],
            totals=_figure_totals("2016", "Всего по акиматам", pick(2016, LOCAL), _spaced(" ")),
            encoding="cp1251",
            delimiter=";",
        ),
        "complaints_2017_central_bodies.xlsx": _xlsx(
            ["за 2017 год", "центральные государственные органы"],
            FIGURE_HEADER,
            [_figure_cells(r, _spaced(NBSP)) for r in pick(2017, CENTRAL)],
            totals=_figure_totals("2017", "Итого", pick(2017, CENTRAL), _spaced(NBSP)),
        ),
        AKIMATS_2017: _xlsx(
            AKIMATS_2017_SUBTITLES,
            FIGURE_HEADER,
            [_figure_cells(r, _number) for r in pick(2017, LOCAL, exclude=["AKM75"])],
            totals=_figure_totals("2017", "ИТОГО", pick(2017, LOCAL, ["AKM75"]), _number),
        ),
        ALMATY_MONTHLY_2017: _csv(
            [TITLE + ", город Алматы, помесячно, 2017 год"],
            [_figure_cells(m, _blank_zero) for r in almaty for m in monthly_rows(r)],
            totals=None,
            encoding="utf-8",
            delimiter=",",
        ),
        "complaints_2017-q1_mvd_monthly.xlsx": _xlsx(
            ["Министерство внутренних дел, январь — март 2017 года (оперативные данные)"],
            FIGURE_HEADER,
            [_figure_cells(m, _number) for r in mvd for m in monthly_rows(r, months=3)],
            totals=None,
        ),
        "complaints_2017_topics.xlsx": _xlsx(
            ["Обоснованные жалобы по тематике, 2017 год"],
            TOPIC_HEADER,
            [_topic_cells(t) for t in topics],
            totals=("2017", "", "Всего", sum(t.justified_complaints for t in topics)),
        ),
        **{
            f"complaints_{year}.xlsx": _xlsx(
                [f"за {year} год", "центральные государственные органы и акиматы"],
                FIGURE_HEADER,
                [_figure_cells(r, _number) for r in rows[year]],
                totals=_figure_totals(str(year), "Итого", rows[year], _number),
            )
            for year in YEARS
            if year not in CALIBRATED_YEARS
        },
    }


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


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: the title rows, the header, the data, a totals row, a note."""

    title: str
    subtitles: Sequence[str]
    header: Sequence[str]
    rows: Sequence[Sequence[object]]
    totals: Sequence[object] | None


def _xlsx(
    subtitles: Sequence[str],
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    totals: Sequence[object] | None,
) -> bytes:
    """A workbook of one sheet, ``Отчет``."""
    return _workbook([Sheet(SHEET_TITLE, subtitles, header, rows, totals)])


def _workbook(
    sheets: Sequence[Sheet],
    notes: Sequence[str] = (),
    patch: Callable[[str, bytes], bytes] | None = None,
) -> bytes:
    """A workbook of ``sheets`` (then, if ``notes``, a sheet ``Пояснения`` of them alone: no
    header), with fixed timestamps; ``patch(entry name, bytes)`` may rewrite any zip entry."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title)
        sheet.append([TITLE])
        sheet["A1"].font = Font(bold=True)
        for subtitle in spec.subtitles:
            sheet.append([subtitle])
        sheet.append([])
        sheet.append(list(spec.header))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in spec.rows:
            sheet.append(["" if v == "" else v for v in row])
        if spec.totals is not None:
            sheet.append(list(spec.totals))
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        sheet.append([])
        sheet.append([NOTE])
    if notes:
        sheet = workbook.create_sheet(NOTES_TITLE)
        for note in notes:
            sheet.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_timestamps(buffer.getvalue(), patch)


def _csv(
    titles: Sequence[str],
    rows: Sequence[Sequence[object]],
    totals: Sequence[object] | None,
    encoding: str,
    delimiter: str,
) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter)
    for title in titles:
        writer.writerow([title])
    writer.writerow([])
    writer.writerow(FIGURE_HEADER)
    writer.writerows(rows)
    if totals is not None:
        writer.writerow(totals)
    return text.getvalue().encode(encoding)


def _fixed_timestamps(xlsx: bytes, patch: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """The same workbook with fixed zip entry dates and document dates (openpyxl stamps now),
    each entry first passed through ``patch`` if given."""
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
            if patch is not None:
                data = patch(info.filename, data)
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
