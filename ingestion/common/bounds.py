"""What a value must stay within to be landed: one place for the bounds every source checks
before landing, so that one impossible value is a reject with its reason, never a landed value
that bends every later build (a date in 2099 moves "the data's date" past the calendar) nor a
batch lost to one value its column cannot hold ("int too big to convert").

Each check returns the reason a value is out of bounds, or None: a caller gathers them into its
own reject (a card, a passport, a record, a report file's row).
"""

from __future__ import annotations

import datetime as dt

#: The earliest date any source of tyndau can carry: before it, no portal tyndau reads existed
#: (Open Dialogue opened in the 2010s, e-Otinish and the open-data portal later).
EARLIEST_DAY = dt.date(2010, 1, 1)
#: The range of each integer column type raw's payloads are cast to downstream.
INTEGER_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def latest_day(observed_at: dt.datetime) -> dt.date:
    """The last date a value observed at ``observed_at`` may carry: its observation day
    wherever on Earth it already is (UTC+14), so no time zone makes today's value "future"."""
    return (observed_at.astimezone(dt.UTC) + dt.timedelta(hours=14)).date()


def day_out_of_bounds(
    day: dt.date | str | None, name: str, latest: dt.date, earliest: dt.date = EARLIEST_DAY
) -> str | None:
    """Why ``day`` (a date or ISO text; None passes) is not a date the source can carry."""
    if day is None:
        return None
    value = dt.date.fromisoformat(day) if isinstance(day, str) else day
    if value < earliest:
        return f"implausible {name} {value.isoformat()}: before {earliest.isoformat()}"
    if value > latest:
        return f"implausible {name} {value.isoformat()}: after the observation day {latest}"
    return None


def period_out_of_bounds(
    period: str | None, name: str, latest: dt.date, earliest: dt.date = EARLIEST_DAY
) -> str | None:
    """Why ``period``, a year (``2017``) or a month (``2017-03``; None passes), is not one the
    source can carry: it ends before ``earliest`` or begins after ``latest`` (so the year or the
    month of the observation day itself is the last one allowed)."""
    if period is None:
        return None
    year, _, month = period.partition("-")
    first = dt.date(int(year), int(month or 1), 1)
    after = dt.date(first.year + 1, 1, 1) if not month else (first + dt.timedelta(days=31))
    last = after.replace(day=1) - dt.timedelta(days=1)
    if last < earliest:
        return f"implausible {name} {period}: ends before {earliest.isoformat()}"
    if first > latest:
        return f"implausible {name} {period}: begins after the observation day {latest}"
    return None


def integer_out_of_bounds(
    value: int | None, name: str, column_type: str = "integer", minimum: int | None = None
) -> str | None:
    """Why ``value`` (None passes) does not fit ``column_type`` (or is below ``minimum``)."""
    if value is None:
        return None
    low, high = INTEGER_RANGES[column_type]
    if minimum is not None:
        low = max(low, minimum)
    if not low <= value <= high:
        shown = str(value) if len(str(value)) <= 30 else f"{str(value)[:27]}..."
        return f"implausible {name} {shown}: outside {low}..{high} ({column_type})"
    return None
