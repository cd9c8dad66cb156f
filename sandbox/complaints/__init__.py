"""Complaint statistics sandbox: the report files of CALIBRATION.md section 4, in an inbox.

    paths = write_reports(Path("inbox"))  # 2016 and 2017, XLSX and CSV, plus a topic report

`python -m sandbox.complaints --inbox DIR` does the same from the command line.
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

__all__ = [
    "BODIES",
    "NATIONAL",
    "FigureRow",
    "NationalFigures",
    "TopicRow",
    "apportion",
    "monthly_rows",
    "national_totals",
    "topic_rows",
    "write_reports",
    "yearly_rows",
]
