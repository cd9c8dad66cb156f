"""Kazakhstan's working-day calendar for dbt: the seed `kz_work_calendar`.

Legal terms for answering appeals run in working days. A working day is Monday to Friday,
except the public holidays and the days off the government moves onto weekdays, plus the
Saturdays or Sundays it declares working in exchange. The `holidays` package knows all three;
this module writes them as a dbt seed, so dbt needs no Python at build time:

    python -m tyndau.calendar            # rewrite dbt_project/seeds/kz_work_calendar.csv
    python -m tyndau.calendar --check    # exit 1 when the committed seed is out of date
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import date
from pathlib import Path

from tyndau.settings import DBT_PROJECT_DIR

FIRST_YEAR = 2015
LAST_YEAR = 2030
SEED_PATH = DBT_PROJECT_DIR / "seeds" / "kz_work_calendar.csv"


def calendar_rows(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[tuple]:
    """(date, is_working_day, name) for every day that is not an ordinary Mon–Fri / Sat–Sun."""
    import holidays  # a dev dependency: only the generator needs it

    kz = holidays.KZ(years=range(first_year, last_year + 1))
    rows = [(day, False, name) for day, name in kz.items()]
    rows += [
        (day, True, "Working day (transferred)")
        for day in kz.weekend_workdays
        if first_year <= day.year <= last_year
    ]
    return sorted(rows)


def render(rows: list[tuple[date, bool, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["calendar_date", "is_working_day", "name"])
    for day, working, name in rows:
        writer.writerow([day.isoformat(), str(working).lower(), name])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tyndau.calendar",
        description=(
            f"Write Kazakhstan's public holidays, days off and transferred working days of "
            f"{FIRST_YEAR}–{LAST_YEAR} (from the `holidays` package) as the dbt seed {SEED_PATH}."
        ),
    )
    parser.add_argument("--check", action="store_true", help="only compare with the seed")
    parser.add_argument("--output", type=Path, default=SEED_PATH, help="where to write the CSV")
    args = parser.parse_args(argv)
    text = render(calendar_rows())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m tyndau.calendar", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count(chr(10)) - 1} days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
