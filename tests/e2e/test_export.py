"""`tyndau export` on the demo's published marts: every format read back equals what the
analysts' role reads from the warehouse itself, with a data dictionary of every column."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import psycopg
import pytest
from click.testing import CliRunner

from tyndau.cli import main
from tyndau.export import DICTIONARY, export_marts
from tyndau.warehouse.roles import READER_ROLE
from tyndau.warehouse.url import make_url, url_parts


def _as_reader(settings, url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every mart the analysts' role can read, as it reads it: (columns, rows in order)."""
    reader = make_url(
        **(url_parts(url) | {"user": READER_ROLE, "password": settings.reader_password})
    )
    marts = {}
    with psycopg.connect(reader) as conn:
        names = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        for (name,) in names:
            cursor = conn.execute(f'select * from marts."{name}"')
            columns = [c.name for c in cursor.description]
            order = ", ".join(str(i + 1) for i in range(len(columns)))
            rows = conn.execute(f'select * from marts."{name}" order by {order}').fetchall()
            marts[name] = (columns, rows)
    return marts


@pytest.fixture(scope="module")
def reader_view(pipeline):
    settings, url, _ = pipeline
    return _as_reader(settings, url)


def _text(value) -> str:
    """A value as the CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def test_csv_holds_every_mart_the_reader_sees_row_for_row(pipeline, reader_view, tmp_path):
    _, url, _ = pipeline
    files = export_marts(url, tmp_path, "csv")
    assert {f.stem for f in files} == {*reader_view, DICTIONARY}
    assert {"akimat_ranking", "fct_appeals", "gov_body_scorecard"} <= set(reader_view)
    for name, (columns, rows) in reader_view.items():
        raw = (tmp_path / f"{name}.csv").read_bytes()
        assert raw.startswith("\ufeff".encode())  # the byte-order mark Excel needs
        with (tmp_path / f"{name}.csv").open(encoding="utf-8-sig", newline="") as file:
            header, *lines = list(csv.reader(file))
        assert header == columns
        assert lines == [[_text(v) for v in row] for row in rows], name
    # Cyrillic survives: region names are in Russian
    with (tmp_path / "akimat_ranking.csv").open(encoding="utf-8-sig") as file:
        assert any("\u0400" <= ch <= "\u04ff" for ch in file.read())


def test_the_data_dictionary_describes_every_column(pipeline, reader_view, tmp_path):
    _, url, _ = pipeline
    export_marts(url, tmp_path, "csv", ["akimat_ranking", "fct_appeals"])
    with (tmp_path / f"{DICTIONARY}.csv").open(encoding="utf-8-sig", newline="") as file:
        entries = list(csv.DictReader(file))
    described = {(e["mart"], e["column"]) for e in entries}
    expected = {(m, c) for m in ("akimat_ranking", "fct_appeals") for c in reader_view[m][0]}
    assert described == expected
    assert all(e["description"] and e["type"] and e["mart_description"] for e in entries)
    rates = [e for e in entries if (e["mart"], e["column"]) == ("akimat_ranking", "answer_rate")]
    assert rates and rates[0]["type"].startswith("numeric")


def _comparable(value):
    """What a typed format (XLSX, Parquet) gives back for a warehouse value."""
    if isinstance(value, Decimal):
        return pytest.approx(float(value), rel=1e-12)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def test_xlsx_reads_back_typed_with_its_header(pipeline, reader_view, tmp_path):
    from openpyxl import load_workbook

    _, url, _ = pipeline
    export_marts(url, tmp_path, "xlsx", ["akimat_ranking", "opendata_freshness"])
    for name in ("akimat_ranking", "opendata_freshness"):
        columns, rows = reader_view[name]
        sheet = load_workbook(tmp_path / f"{name}.xlsx", read_only=True).active
        header, *values = list(sheet.iter_rows(values_only=True))
        assert list(header) == columns
        assert len(values) == len(rows) > 0

        def back(value):  # openpyxl gives dates back as midnight datetimes
            return value.date() if isinstance(value, dt.datetime) else value

        for got, row in zip(values, rows, strict=True):
            expected = [v.date() if isinstance(v, dt.datetime) else _comparable(v) for v in row]
            assert [back(v) for v in got] == expected, name


def test_parquet_reads_back_typed_with_descriptions(pipeline, reader_view, tmp_path):
    import pyarrow.parquet as pq

    _, url, _ = pipeline
    export_marts(url, tmp_path, "parquet", ["akimat_ranking", "fct_appeals"])
    for name in ("akimat_ranking", "fct_appeals"):
        columns, rows = reader_view[name]
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.column_names == columns
        assert all(field.metadata[b"description"] for field in table.schema)
        got = [tuple(r.values()) for r in table.to_pylist()]
        assert len(got) == len(rows) > 0
        for back, row in zip(got, rows, strict=True):
            assert list(back) == [_comparable(v) for v in row], name


def test_the_command_exports_and_names_what_is_unknown(pipeline, tmp_path):
    settings, url, _ = pipeline
    env = {"WAREHOUSE_URL": url, "TYNDAU_STATE_DIR": str(settings.state_dir)}
    runner = CliRunner()
    done = runner.invoke(
        main,
        ["export", "--mart", "akimat_ranking", "--format", "xlsx", "-o", str(tmp_path)],
        env=env,
    )
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "akimat_ranking.xlsx",
        f"{DICTIONARY}.xlsx",
    ]
    assert "akimat_ranking:" in done.output and "rows" in done.output
    wrong = runner.invoke(main, ["export", "--mart", "no_such_mart"], env=env)
    assert wrong.exit_code == 1
    assert "no published mart 'no_such_mart'" in wrong.output and "akimat_ranking" in wrong.output
