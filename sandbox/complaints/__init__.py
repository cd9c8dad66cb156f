"""Complaint statistics sandbox: the report files of docs/calibration.md section 4, in an inbox.

    paths = write_reports(Path("inbox"))  # 2016 and 2017, XLSX and CSV, plus a topic report

`python -m sandbox.complaints --inbox DIR` does the same from the command line.

Knobs: what else a real inbox holds, one variant per behaviour the landing must cope with
(docs/reliability.md, "Report files in the inbox"), written on top of the scenario or instead
of one of its files by `--variant NAME` (repeatable; `--no-scenario`: the variants alone) or
``write_variants(inbox, ["cut-row", ...])`` (sandbox/complaints/variants.py):

- ``slow-copy``: the first file written in place by plain writes, half now and the rest after
  ``--slow-seconds`` (a run meanwhile must leave it waiting, a later run land it whole);
- ``temporary-names``: ``*.part``, ``*.tmp``, ``*.crdownload``, ``~$*.xlsx``, lock files and
  dotfiles (left alone, not counted);
- ``two-sheets``: the 2017 akimats' figures split over two sheets with the header (both land);
- ``correction``: Astana's 2017 figures restated, dropped later with an mtime in the past (it
  wins, having arrived later); ``re-drop``: the original again (a duplicate, back in force);
- ``cut-row``: a CSV whose last line lost its last cells (rejected, with the line);
- ``huge-dimension``: a small XLSX declaring ``A1:XFD1048576``; ``oversize``: a CSV of
  ``--oversize-mb`` MB (each rejected with a reason before it is read, the rest lands);
- ``processed-file``: a file named ``processed``; ``symlink``: a link to a report outside the
  inbox (each refused with a reason, the rest lands).
"""

from sandbox.complaints.reports import write_reports
from sandbox.complaints.scenario import (
    BODIES,
    NATIONAL,
    FigureRow,
    NationalFigures,
    TopicRow,
    apportion,
    monthly_rows,
    national_totals,
    topic_rows,
    yearly_rows,
)
from sandbox.complaints.variants import VARIANTS, Knobs, Variant, write_variants

__all__ = [
    "BODIES",
    "NATIONAL",
    "VARIANTS",
    "FigureRow",
    "Knobs",
    "NationalFigures",
    "TopicRow",
    "Variant",
    "apportion",
    "monthly_rows",
    "national_totals",
    "topic_rows",
    "write_reports",
    "write_variants",
    "yearly_rows",
]
