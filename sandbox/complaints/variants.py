"""What else lands in a real inbox: one knob per behaviour the landing must cope with
(docs/reliability.md, "Report files in the inbox"), so that the tests play each of them.

Each variant is a small function that takes the inbox and writes its files on top of the
scenario of :mod:`sandbox.complaints.reports` (a file of its own), or instead of one of the
scenario's files (the same name, other bytes). :data:`VARIANTS` lists them by name, with what
each writes and what the landing must do with it; :func:`write_variants` writes the scenario
and any of them, as `python -m sandbox.complaints --variant NAME` does. Deterministic: the
same seed, the same bytes (and the same mtimes where a variant sets them).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sandbox.complaints.reports import (
    AKIMATS_2017,
    AKIMATS_2017_SUBTITLES,
    ALMATY_MONTHLY_2017,
    FIGURE_HEADER,
    TITLE,
    Sheet,
    _csv,
    _figure_cells,
    _figure_totals,
    _number,
    _spaced,
    _workbook,
    _write_atomically,
    _xlsx,
    report_files,
    write_reports,
)
from sandbox.complaints.scenario import CENTRAL, INDIVIDUAL, LOCAL, FigureRow, yearly_rows

#: The scenario file `slow-copy` writes in pieces: the first one.
SLOW_FILE = "complaints_2016_central_bodies.xlsx"
#: Default pause of `slow-copy` between its halves: shorter than the landing's default settle
#: time (COMPLAINTS_SETTLE_SECONDS, 2 s), so that a run landing meanwhile sees the file change.
SLOW_SECONDS = 1.0
#: The temporary names `temporary-names` writes (every one the landing must leave alone).
TEMPORARY_NAMES = (
    f".{SLOW_FILE}.part",  # the scenario's own atomic write, caught before its rename
    "complaints_2017_extra.csv.part",  # a copy in flight
    "~WRL0005.tmp",  # Word's and Excel's scratch file
    "complaints_2017_extra.csv.crdownload",  # a browser's download not yet renamed
    "~$complaints_2017_central_bodies.xlsx",  # Excel's lock (owner) file
    ".~lock.complaints_2017_akimats.xlsx#",  # LibreOffice's lock file
    ".DS_Store",  # a Mac's folder settings
)
#: The sheets `two-sheets` splits the 2017 akimats' figures over (each with the header).
TWO_SHEETS = ("Области", "Город Астана")
#: The correction `correction` drops: Astana's 2017 figures restated.
CORRECTION = "complaints_2017_akimats_corrected.xlsx"
CORRECTED_BODY = "AKM71"
#: What the correction changes for Astana's individuals: received and reviewed, violations.
CORRECTION_RECEIVED = 1_200
CORRECTION_VIOLATIONS = 7
#: The correction's mtime, set into the past (as `cp -p` or an unzip keeps it): it must win all
#: the same, because it arrived later.
OLD_MTIME = int(dt.datetime(2018, 1, 10, 9, 0, tzinfo=dt.UTC).timestamp())
#: The cells `cut-row` cuts off the last line of the Almaty CSV (with its line end).
CUT_CELLS = 3
HUGE_DIMENSION_FILE = "complaints_2017_huge_dimension.xlsx"
HUGE_DIMENSION = "A1:XFD1048576"  # every cell a sheet may have: 17 billion
OVERSIZE_FILE = "complaints_2016_akimats_oversize.csv"
#: Default size of `oversize`, in MB (2**20 bytes): just beyond COMPLAINTS_MAX_FILE_MB's 50.
OVERSIZE_MB = 51.0
PROCESSED = "processed"
LINK_NAME = "complaints_2017_astana.csv"
_MB = 1024 * 1024


@dataclass(frozen=True)
class Knobs:
    """The settings some variants take (`--seed`, `--slow-seconds`, `--oversize-mb`)."""

    seed: int = 2017
    slow_seconds: float = SLOW_SECONDS
    oversize_mb: float = OVERSIZE_MB
    sleep: Callable[[float], None] = time.sleep  # slow-copy's pause (tests pass their own)


DEFAULT_KNOBS = Knobs()


# -- the variants ----------------------------------------------------------------------------


def slow_copy(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """The first scenario file written in place by plain writes, the way `cp` does: the first
    half now, the rest after ``knobs.slow_seconds`` (this call blocks meanwhile)."""
    data = report_files(knobs.seed)[SLOW_FILE]
    path = Path(inbox) / SLOW_FILE
    half = len(data) // 2
    with open(path, "wb") as f:
        f.write(data[:half])
        f.flush()
        knobs.sleep(knobs.slow_seconds)
        f.write(data[half:])
    return [path]


def temporary_names(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """Files under the names of copies in flight, lock files and dotfiles (TEMPORARY_NAMES):
    halves and wholes of the scenario's reports, an owner file, a folder's settings."""
    files = report_files(knobs.seed)
    first, almaty = files[SLOW_FILE], files[ALMATY_MONTHLY_2017]
    contents = (
        first[: len(first) // 2],
        almaty[: len(almaty) // 2],
        files["complaints_2017_topics.xlsx"][:4096],
        almaty,
        # Excel's owner file: the user's name, counted, padded to 54 bytes, then again in UTF-16
        bytes([10]) + b"Statistics".ljust(53, b" ") + "Statistics".encode("utf-16-le").ljust(108),
        b"Statistics,stat,report-pc,15.02.2018 09:00,file:///C:/Users/stat/AppData;",
        b"\x00\x00\x00\x01Bud1" + bytes(2036),
    )
    written = []
    for name, data in zip(TEMPORARY_NAMES, contents, strict=True):
        path = Path(inbox) / name
        path.write_bytes(data)
        written.append(path)
    return written


def two_sheets(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """The 2017 akimats' workbook with its figures split over two sheets, each with its title
    rows, header and totals (the oblasts; Astana), then a sheet of notes without a header."""
    rows = _akimats_2017(knobs.seed)
    parts = (
        [r for r in rows if r.gov_body_code != CORRECTED_BODY],
        [r for r in rows if r.gov_body_code == CORRECTED_BODY],
    )
    sheets = [
        Sheet(
            title,
            AKIMATS_2017_SUBTITLES,
            FIGURE_HEADER,
            [_figure_cells(r, _number) for r in part],
            totals=_figure_totals("2017", "ИТОГО", part, _number),
        )
        for title, part in zip(TWO_SHEETS, parts, strict=True)
    ]
    notes = ["Данные по городу Алматы представлены помесячно, отдельным файлом."]
    data = _workbook(sheets, notes=notes)
    return [_write_atomically(Path(inbox) / AKIMATS_2017, data)]


def correction(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """CORRECTION: Astana's 2017 figures restated (individuals: +1 200 received and reviewed,
    +7 deadline violations; legal entities as they were), written after everything else and
    its mtime then set back to OLD_MTIME, older than any scenario file's."""
    path = _write_atomically(
        Path(inbox) / CORRECTION,
        _xlsx(
            ["за 2017 год", "акимат города Астаны: уточнённые данные"],
            FIGURE_HEADER,
            [_figure_cells(r, _number) for r in corrected_rows(knobs.seed)],
            totals=None,
        ),
    )
    os.utime(path, (OLD_MTIME, OLD_MTIME))
    return [path]


def re_drop(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """The scenario's 2017 akimats workbook again, the very same bytes under its name."""
    return [_write_atomically(Path(inbox) / AKIMATS_2017, report_files(knobs.seed)[AKIMATS_2017])]


def cut_row(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """The Almaty monthly CSV cut short: its last line lost its last CUT_CELLS cells and its
    line end (a copy or an export that stopped there)."""
    data = report_files(knobs.seed)[ALMATY_MONTHLY_2017]
    text = data.decode("utf-8").rstrip("\r\n")
    body, last = text.rsplit("\n", 1)
    cut = body + "\n" + last.rsplit(",", CUT_CELLS)[0]
    return [_write_atomically(Path(inbox) / ALMATY_MONTHLY_2017, cut.encode("utf-8"))]


def huge_dimension(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """HUGE_DIMENSION_FILE: the 2017 central bodies' figures (the same as the scenario's) in a
    workbook of a few kilobytes whose sheet declares ``<dimension ref="A1:XFD1048576"/>``."""
    rows = [r for r in yearly_rows(2017, knobs.seed) if r.body_level == CENTRAL]

    def declare_everything(name: str, data: bytes) -> bytes:
        if not name.startswith("xl/worksheets/"):
            return data
        return re.sub(
            rb'<dimension ref="[^"]*"/>', f'<dimension ref="{HUGE_DIMENSION}"/>'.encode(), data
        )

    sheet = Sheet(
        "Отчет",
        ["за 2017 год", "центральные государственные органы"],
        FIGURE_HEADER,
        [_figure_cells(r, _number) for r in rows],
        totals=_figure_totals("2017", "Итого", rows, _number),
    )
    data = _workbook([sheet], patch=declare_everything)
    return [_write_atomically(Path(inbox) / HUGE_DIMENSION_FILE, data)]


def oversize(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """OVERSIZE_FILE: the 2016 akimats' figures as the scenario's CSV writes them, then empty
    rows (`;;;…`, a sheet formatted down to the bottom) up to ``knobs.oversize_mb`` MB."""
    rows = [r for r in yearly_rows(2016, knobs.seed) if r.body_level == LOCAL]
    data = _csv(
        [TITLE + " за 2016 год (акиматы областей, городов Астаны и Алматы)"],
        [_figure_cells(r, _spaced(" ")) for r in rows],
        totals=_figure_totals("2016", "Всего по акиматам", rows, _spaced(" ")),
        encoding="cp1251",
        delimiter=";",
    )
    size = int(knobs.oversize_mb * _MB)
    empty_row = b";" * (len(FIGURE_HEADER) - 1) + b"\r\n"
    padding = empty_row * (max(0, size - len(data)) // len(empty_row) + 1)
    return [
        _write_atomically(Path(inbox) / OVERSIZE_FILE, (data + padding)[: max(size, len(data))])
    ]


def processed_file(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """A file named ``processed`` where the landing keeps its processed/ folder (a report saved
    without an extension). An inbox that already has the folder cannot show this."""
    path = Path(inbox) / PROCESSED
    if path.is_dir() and not path.is_symlink():
        raise FileExistsError(f"{path} is a folder already: use an inbox not yet landed")
    path.write_text(
        "Сведения о рассмотрении жалоб: сохранено без расширения под именем processed\n",
        encoding="utf-8",
    )
    return [path]


def symlink(inbox: Path, knobs: Knobs = DEFAULT_KNOBS) -> list[Path]:
    """LINK_NAME: a symbolic link to a report outside the inbox, in ``<inbox>.outside/`` beside
    it (the one file the sandbox writes outside the inbox): Astana's corrected figures as a CSV,
    which would change what counts if the landing followed the link."""
    inbox = Path(inbox)
    outside = outside_folder(inbox)
    outside.mkdir(parents=True, exist_ok=True)
    target = _write_atomically(
        outside / LINK_NAME,
        _csv(
            [TITLE + " за 2017 год, акимат города Астаны"],
            [_figure_cells(r, _number) for r in corrected_rows(knobs.seed)],
            totals=None,
            encoding="utf-8",
            delimiter=",",
        ),
    )
    link = inbox / LINK_NAME
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target.resolve())
    return [link]


# -- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    write: Callable[[Path, Knobs], list[Path]]
    help: str  # what it writes, and what the landing must do with it
    #: scenario files it writes itself (other bytes, or another way): the scenario skips them
    replaces: tuple[str, ...] = ()
    #: variants it cannot be written with in one call
    not_with: tuple[str, ...] = ()


#: Every variant by name (`--variant NAME`), in the order they are written: slow-copy last,
#: because it blocks for its pause.
VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            "temporary-names",
            temporary_names,
            "files named as copies in flight (*.part, *.tmp, *.crdownload), lock files "
            "(~$name.xlsx, .~lock.*#) and dotfiles (.DS_Store): the landing leaves them in the "
            "inbox, unread and not counted",
        ),
        Variant(
            "two-sheets",
            two_sheets,
            f"{AKIMATS_2017} with its figures split over two sheets that each carry the header "
            f"({', '.join(TWO_SHEETS)}), and a notes sheet without one: the landing lands both "
            "data sheets and passes the notes sheet over",
            replaces=(AKIMATS_2017,),
        ),
        Variant(
            "correction",
            correction,
            f"{CORRECTION}: Astana's 2017 figures restated, dropped after the scenario with its "
            f"mtime set back to {dt.datetime.fromtimestamp(OLD_MTIME, dt.UTC):%Y-%m-%d}: it "
            "arrived later, so the landing lands it and puts it in force for Astana in place of "
            f"{AKIMATS_2017}, whatever its mtime says (the ledger lists it under 'replaced')",
        ),
        Variant(
            "re-drop",
            re_drop,
            f"{AKIMATS_2017} dropped again, the very same bytes (after 'correction' has landed; "
            "with --no-scenario alone): the landing takes it as a duplicate, lands no rows, and "
            "puts its figures back in force (listed under 'reinstated')",
            replaces=(AKIMATS_2017,),
            not_with=("correction",),
        ),
        Variant(
            "cut-row",
            cut_row,
            f"{ALMATY_MONTHLY_2017} whose last line lost its last {CUT_CELLS} cells (a file "
            "cut short): the landing rejects it whole, with the line in its reason, never "
            "landing the missing counts as zeros",
            replaces=(ALMATY_MONTHLY_2017,),
        ),
        Variant(
            "huge-dimension",
            huge_dimension,
            f"{HUGE_DIMENSION_FILE}: a few kilobytes declaring <dimension "
            f'ref="{HUGE_DIMENSION}"/>: the landing rejects it by the declared size, before '
            "reading a cell (COMPLAINTS_MAX_SHEET_ROWS/COLS); the other files land",
        ),
        Variant(
            "oversize",
            oversize,
            f"{OVERSIZE_FILE}: a CSV of --oversize-mb MB (figures, then empty rows): the "
            "landing rejects it unread when it is beyond COMPLAINTS_MAX_FILE_MB; the other "
            "files land",
        ),
        Variant(
            "processed-file",
            processed_file,
            f"a file named {PROCESSED!r} where the landing keeps its {PROCESSED}/ folder: the "
            "landing sets it aside in rejected/ with a reason before anything lands, makes the "
            "folder, and lands the rest",
        ),
        Variant(
            "symlink",
            symlink,
            f"{LINK_NAME}: a symbolic link to a report written beside the inbox, in "
            "<inbox>.outside/: the landing refuses the link (it moves to rejected/ with a "
            "reason), never opens its target, and lands the rest",
        ),
        Variant(
            "slow-copy",
            slow_copy,
            f"{SLOW_FILE} written in place by plain writes, the way cp does: half now, the rest "
            "after --slow-seconds (written last; the command waits): a landing run meanwhile "
            "leaves it waiting in the inbox, a run after it settled lands it whole",
            replaces=(SLOW_FILE,),
        ),
    )
}


def outside_folder(inbox: Path) -> Path:
    """Where `symlink` writes its link's target: beside the inbox, not in it."""
    inbox = Path(inbox).absolute()
    return inbox.with_name(inbox.name + ".outside")


def check_variants(names: Iterable[str]) -> list[Variant]:
    """The named variants in the order they are written; ValueError for an unknown name or
    two that cannot go together (the same file written twice, a later drop with its own)."""
    chosen = set(names)
    unknown = sorted(chosen - set(VARIANTS))
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    variants = [v for name, v in VARIANTS.items() if name in chosen]
    written: dict[str, str] = {}
    for variant in variants:
        for other in variant.not_with:
            if other in chosen:
                raise ValueError(f"variants {other!r} and {variant.name!r}: one drop after another")
        for name in variant.replaces:
            if name in written:
                raise ValueError(
                    f"variants {written[name]!r} and {variant.name!r} both write {name}"
                )
            written[name] = variant.name
    return variants


def write_variants(
    inbox: Path,
    names: Sequence[str],
    knobs: Knobs = DEFAULT_KNOBS,
    *,
    scenario: bool = True,
    written: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Write the scenario (unless ``scenario`` is False), less the files the variants write
    themselves, then each variant named; returns every path written, in order (``written`` is
    called with each as soon as it is)."""
    variants = check_variants(names)
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []

    def add(new: list[Path]) -> None:
        paths.extend(new)
        if written is not None:
            for path in new:
                written(path)

    if scenario:
        add(write_reports(inbox, knobs.seed, skip={n for v in variants for n in v.replaces}))
    for variant in variants:
        add(variant.write(inbox, knobs))
    return paths


# -- the rows some variants restate ----------------------------------------------------------


def _akimats_2017(seed: int) -> list[FigureRow]:
    """The rows of the scenario's AKIMATS_2017 (Almaty reports monthly, in a file of its own)."""
    return [
        r for r in yearly_rows(2017, seed) if r.body_level == LOCAL and r.gov_body_code != "AKM75"
    ]


def corrected_rows(seed: int = 2017) -> list[FigureRow]:
    """Astana's 2017 rows as the correction restates them."""
    return [
        replace(
            r,
            received=r.received + CORRECTION_RECEIVED,
            reviewed=r.reviewed + CORRECTION_RECEIVED,
            deadline_violations=r.deadline_violations + CORRECTION_VIOLATIONS,
        )
        if r.applicant_type == INDIVIDUAL
        else r
        for r in _akimats_2017(seed)
        if r.gov_body_code == CORRECTED_BODY
    ]
