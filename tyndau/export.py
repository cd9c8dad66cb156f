"""`tyndau export`: the published marts as files — CSV and XLSX for whoever opens them in a
spreadsheet, Parquet for whoever loads them — each set with a data dictionary made of the
marts' own column comments (dbt's descriptions, persisted by the build).

Exactly what the analysts' role sees: the tables and columns of `marts` it may select, read in
one read-only snapshot, so a publish in the middle of an export cannot mix two builds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql

from tyndau.warehouse.roles import READER_ROLE

FORMATS = ("csv", "xlsx", "parquet")
SCHEMA = "marts"
DICTIONARY = "data_dictionary"
#: rows fetched from the server at a time: a mart of millions of rows never sits in memory
BATCH_ROWS = 10_000
#: the spreadsheet's hard limit; a mart longer than this cannot be one sheet
XLSX_MAX_ROWS = 1_048_576 - 1  # the header takes one


class ExportError(RuntimeError):
    """What was asked cannot be exported (no marts, an unknown mart, a mart too long)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as Postgres writes it: "bigint", "numeric(5,3)", "date"
    description: str | None


@dataclass(frozen=True)
class Mart:
    name: str
    description: str | None
    columns: tuple[Column, ...]


def readable_marts(conn: psycopg.Connection) -> list[Mart]:
    """The published tables and views the analysts' role may read, with the columns it may read
    and their comments."""
    tables = conn.execute(
        """
        select c.oid, c.relname, obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm')
          and has_table_privilege(%(role)s, c.oid, 'SELECT')
        order by c.relname
        """,
        {"schema": SCHEMA, "role": READER_ROLE},
    ).fetchall()
    marts = []
    for oid, name, description in tables:
        columns = conn.execute(
            """
            select a.attname, format_type(a.atttypid, a.atttypmod), col_description(a.attrelid,
                   a.attnum)
            from pg_attribute a
            where a.attrelid = %(oid)s and a.attnum > 0 and not a.attisdropped
              and has_column_privilege(%(role)s, a.attrelid, a.attnum, 'SELECT')
            order by a.attnum
            """,
            {"oid": oid, "role": READER_ROLE},
        ).fetchall()
        if columns:
            marts.append(Mart(name, description, tuple(Column(*c) for c in columns)))
    return marts


def export_marts(
    warehouse_url: str,
    out_dir: Path,
    fmt: str = "csv",
    names: Iterable[str] = (),
    progress=lambda message: None,
) -> list[Path]:
    """Write each mart (all of them, or those named) to ``out_dir/<mart>.<fmt>``, and the data
    dictionary beside them; returns the files written."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    write = _WRITERS[fmt]
    with psycopg.connect(warehouse_url) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for all
        with conn.transaction():
            marts = _chosen(readable_marts(conn), list(names))
            out_dir.mkdir(parents=True, exist_ok=True)  # not before: a refusal writes nothing
            written = []
            for mart in marts:
                path = out_dir / f"{mart.name}.{fmt}"
                rows = write(path, mart, _rows(conn, mart))
                progress(f"{mart.name}: {rows:,} rows → {path}")
                written.append(path)
    dictionary = out_dir / f"{DICTIONARY}.{fmt}"
    write(dictionary, DICTIONARY_MART, iter(dictionary_rows(marts)))
    return [*written, dictionary]


def _chosen(marts: list[Mart], names: list[str]) -> list[Mart]:
    if not marts:
        raise ExportError(
            f"no published marts the analysts' role ({READER_ROLE}) may read: build and publish "
            "first (tyndau demo or tyndau run)"
        )
    by_name = {mart.name: mart for mart in marts}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ExportError(
            f"no published mart {', '.join(map(repr, unknown))}; there are: {', '.join(by_name)}"
        )
    return [by_name[name] for name in dict.fromkeys(names)] if names else marts


def _rows(conn: psycopg.Connection, mart: Mart) -> Iterator[tuple]:
    """The mart's rows in its first columns' order (files that diff cleanly between exports),
    streamed through a server-side cursor."""
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in mart.columns)
    order = sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(mart.columns)))
    query = sql.SQL("select {} from {} order by {}").format(
        columns, sql.Identifier(SCHEMA, mart.name), order
    )
    with conn.cursor(name=f"export_{mart.name}") as cursor:
        cursor.itersize = BATCH_ROWS
        yield from cursor.execute(query)


DICTIONARY_MART = Mart(
    DICTIONARY,
    "every exported column: its mart, its Postgres type and what it means",
    tuple(
        Column(name, "text", None)
        for name in ("mart", "mart_description", "column", "type", "description")
    ),
)


def dictionary_rows(marts: list[Mart]) -> list[tuple]:
    return [
        (mart.name, mart.description, column.name, column.type, column.description)
        for mart in marts
        for column in mart.columns
    ]


# -- the formats --------------------------------------------------------------------------------


def _plain(value):
    """A value as text and spreadsheets hold it: JSON for arrays and objects."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _write_csv(path: Path, mart: Mart, rows: Iterator[tuple]) -> int:
    return write_csv(path, [c.name for c in mart.columns], rows)


def write_csv(path: Path, header: Iterable[str], rows: Iterable[tuple]) -> int:
    """Rows as a CSV file that a spreadsheet opens as it is (the report's chart data too);
    returns how many rows were written."""
    # UTF-8 with a byte-order mark: without it Excel reads the Cyrillic as Windows-1251
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        out = csv.writer(file)
        out.writerow(header)
        for row in rows:
            out.writerow(_plain(value) for value in row)
            count += 1
    return count


def _write_xlsx(path: Path, mart: Mart, rows: Iterator[tuple]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(mart.name[:31])  # Excel's limit on a sheet's name
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in mart.columns:
        cell = WriteOnlyCell(sheet, value=column.name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        count += 1
        if count > XLSX_MAX_ROWS:
            raise ExportError(f"{mart.name} has more rows than a sheet holds: export it as csv")
        sheet.append([_cell(value) for value in row])
    book.save(path)
    return count


def _cell(value):
    value = _plain(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    if isinstance(value, Decimal):
        return float(value)  # a number to compute with, not text
    return value


def _arrow_type(postgres_type: str):
    import pyarrow as pa

    base = postgres_type.split("(", 1)[0]
    if postgres_type.endswith("[]"):
        return pa.string()  # as JSON
    return {
        "smallint": pa.int16(),
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "real": pa.float32(),
        "double precision": pa.float64(),
        "numeric": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp without time zone": pa.timestamp("us"),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    }.get(base, pa.string())


def _write_parquet(path: Path, mart: Mart, rows: Iterator[tuple]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            pa.field(c.name, _arrow_type(c.type), metadata={"description": c.description or ""})
            for c in mart.columns
        ],
        metadata={"description": mart.description or ""},
    )
    # what each column's Python values become before Arrow takes them
    convert = [
        (lambda v: str(_plain(v)))
        if field.type == pa.string()
        else float
        if field.type in (pa.float32(), pa.float64())
        else None
        for field in schema
    ]
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[tuple] = []

        def flush() -> None:
            columns = list(zip(*batch, strict=True)) if batch else [[] for _ in schema]
            arrays = []
            for field, to, values in zip(schema, convert, columns, strict=True):
                if to is not None:
                    values = [None if v is None else to(v) for v in values]
                arrays.append(pa.array(values, type=field.type))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))

        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) == BATCH_ROWS:
                flush()
                batch = []
        if batch or count == 0:
            flush()
    return count


_WRITERS = {"csv": _write_csv, "xlsx": _write_xlsx, "parquet": _write_parquet}
