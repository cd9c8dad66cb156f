"""The committed working-day seed is what `python -m tyndau.calendar` generates today."""

from __future__ import annotations

from datetime import date

from tyndau import calendar


def test_committed_seed_equals_generator_output():
    expected = calendar.render(calendar.calendar_rows())
    assert calendar.SEED_PATH.read_text(encoding="utf-8") == expected, (
        "dbt_project/seeds/kz_work_calendar.csv is out of date: run python -m tyndau.calendar"
    )


def test_calendar_covers_the_years_and_knows_kazakh_days_off():
    rows = {day: (working, name) for day, working, name in calendar.calendar_rows()}
    years = {day.year for day in rows}
    assert years == set(range(calendar.FIRST_YEAR, calendar.LAST_YEAR + 1))
    assert rows[date(2021, 3, 22)][0] is False  # Nowruz
    assert rows[date(2021, 3, 24)][0] is False  # Nowruz, observed (the 21st was a Sunday)
    assert rows[date(2021, 7, 3)] == (True, "Working day (transferred)")  # for Monday 5 July
    assert date(2021, 3, 19) not in rows  # an ordinary Friday


def test_check_mode_reports_a_stale_seed(tmp_path, capsys):
    stale = tmp_path / "kz_work_calendar.csv"
    stale.write_text("calendar_date,is_working_day,name\n", encoding="utf-8")
    assert calendar.main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert calendar.main(["--output", str(stale)]) == 0
    assert calendar.main(["--check", "--output", str(stale)]) == 0
