"""dbt's sources and GX's landing suites say what the raw declarations (ingestion/<source>/
tables.py) say: every raw table they name is declared, with the columns they name, and every
declared table the landing lands has a landing suite that its source's landing checkpoint runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
import yaml

from ingestion.common.raw import RawTable
from tyndau.settings import PROJECT_DIR

SOURCES = ("dialog", "opendata", "complaints")
STAGING = PROJECT_DIR / "dbt_project" / "models" / "staging"
GX = PROJECT_DIR / "expectations" / "gx"
SUITES = GX / "expectations"

#: raw tables no landing suite checks, and why
WITHOUT_SUITE = {
    "load_ledger": "the runs, not what they landed: dbt's source freshness watches it",
    "dialog_masked_texts": "derived from the appeals by masking.py, not landed from the source",
    "dialog_blogs": "the registry file, checked as it is read (registry.py)",
    "dialog_rejects": "what failed to parse, kept as the evidence of it",
    "dialog_walks": "the crawler's own record of its walks",
    "dialog_walk_progress": "the crawler's own record of where a first crawl got to",
    "complaints_arrivals": "the inbox's own record of what was taken when",
}
#: the kwargs of an expectation that name a column or columns
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMNS_KWARGS = ("column_list", "column_set")


def declared(source: str) -> dict[str, RawTable]:
    return {table.name: table for table in import_module(f"ingestion.{source}.tables").RAW_TABLES}


def every_declared() -> dict[str, RawTable]:
    return {name: table for source in SOURCES for name, table in declared(source).items()}


def dbt_tables(source: str) -> Iterator[tuple[str, dict, dict]]:
    """(dbt source, table entry, its identifier) of the source's ``_<source>__sources.yml``."""
    document = yaml.safe_load((STAGING / source / f"_{source}__sources.yml").read_text())
    for dbt_source in document["sources"]:
        for entry in dbt_source["tables"]:
            yield dbt_source, entry, entry.get("identifier", entry["name"])


def named_columns(suite: dict) -> Iterator[str]:
    for expectation in suite["expectations"]:
        kwargs = expectation["kwargs"]
        yield from (kwargs[k] for k in COLUMN_KWARGS if k in kwargs)
        for k in COLUMNS_KWARGS:
            yield from kwargs.get(k, ())


def suite_table(path: Path) -> str:
    return path.stem.removeprefix("raw_")


@pytest.mark.parametrize("source", SOURCES)
def test_dbt_sources_name_declared_tables_with_their_declared_columns(source):
    tables = declared(source)
    for dbt_source, entry, identifier in dbt_tables(source):
        assert identifier in tables, f"{source}'s dbt sources name {identifier}, not declared"
        table = tables[identifier]
        assert dbt_source["schema"] == table.schema, identifier
        if "columns" in entry:  # a source that documents its columns documents them all
            listed = tuple(column["name"] for column in entry["columns"])
            assert listed == table.column_names, f"dbt's {identifier}"


@pytest.mark.parametrize("suite", sorted(SUITES.glob("raw_*.json")), ids=lambda p: p.stem)
def test_a_landing_suite_names_a_declared_table_and_its_columns(suite):
    tables = every_declared()
    table = tables.get(suite_table(suite))
    assert table is not None, f"{suite.name} checks no declared raw table"
    expectations = json.loads(suite.read_text())
    unknown = sorted(set(named_columns(expectations)) - set(table.column_names))
    assert unknown == [], f"{suite.name} names columns {table.qualified} does not have"
    for expectation in expectations["expectations"]:
        if expectation["type"] == "expect_table_columns_to_match_set":
            assert set(expectation["kwargs"]["column_set"]) == set(table.column_names)
    asset = yaml.safe_load((GX / "great_expectations.yml").read_text())["fluent_datasources"][
        "warehouse"
    ]["assets"][suite.stem]
    assert (asset["schema_name"], asset["table_name"]) == (table.schema, table.name)


@pytest.mark.parametrize("source", SOURCES)
def test_every_landed_table_has_a_suite_its_landing_checkpoint_runs(source):
    checkpoint = json.loads((GX / "checkpoints" / f"{source}_raw_landing.json").read_text())
    run = {definition["name"] for definition in checkpoint["validation_definitions"]}
    landed = {name for name in declared(source) if name not in WITHOUT_SUITE}
    assert run == {f"raw_{name}" for name in landed}
    assert all((SUITES / f"raw_{name}.json").is_file() for name in landed)
