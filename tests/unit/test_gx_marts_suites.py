"""The division of labour between dbt and GX on the marts (docs/data-model.md, "Quality gate
and publishing"): dbt's tests and contracts are each mart's schema contract; the GX gate checks
what they cannot say. So no marts suite repeats a check that the mart's YAML already makes on
the same column: not null, unique (a column or a set of columns), in a set of values, or the
ranges of the project's generic tests `not_negative` and `between_zero_and_one`.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tyndau.settings import PROJECT_DIR

MARTS_MODELS = PROJECT_DIR / "dbt_project" / "models" / "marts"
SUITES = PROJECT_DIR / "expectations" / "gx" / "expectations"
#: dbt's generic tests of a range, as the GX kwargs of the same range
RANGE_TESTS = {
    "not_negative": {"min_value": 0.0, "max_value": None},
    "between_zero_and_one": {"min_value": 0.0, "max_value": 1.0},
}


def _failing_tests(tests) -> list[tuple[str, dict]]:
    """``(name, arguments)`` of the tests that fail the build on every row: a test that only
    warns, or looks at some rows (``where``), leaves the check to GX."""
    found = []
    for test in tests or []:
        if isinstance(test, str):
            found.append((test, {}))
            continue
        ((name, body),) = test.items()
        config = (body or {}).get("config") or {}
        if config.get("severity", "error") == "error" and "where" not in config:
            found.append((name, (body or {}).get("arguments") or {}))
    return found


def dbt_checks(model: dict) -> set[tuple]:
    """What dbt checks on the model, as ``(kind, columns, values)``: ``("not_null", (c,), None)``,
    ``("unique", (c1, c2, …), None)``, ``("in_set", (c,), accepted values)`` and
    ``("range", (c,), (min, max))``; from its data tests that fail the build and its contract's
    constraints (which Postgres enforces: a primary key is unique and not null)."""
    checks: set[tuple] = set()
    for constraint in model.get("constraints") or []:
        if constraint["type"] in ("primary_key", "unique"):
            checks.add(("unique", tuple(sorted(constraint["columns"])), None))
        if constraint["type"] == "primary_key":
            checks |= {("not_null", (column,), None) for column in constraint["columns"]}
    for name, arguments in _failing_tests(model.get("data_tests")):
        if name == "unique":  # a key of several columns, written "a || '/' || b"
            columns = [part.strip() for part in arguments["column_name"].split("|| '/' ||")]
            checks.add(("unique", tuple(sorted(columns)), None))
    for column in model.get("columns") or []:
        key = (column["name"],)
        for constraint in column.get("constraints") or []:
            if constraint["type"] in ("not_null", "primary_key"):
                checks.add(("not_null", key, None))
            if constraint["type"] in ("unique", "primary_key"):
                checks.add(("unique", key, None))
        for name, arguments in _failing_tests(column.get("data_tests")):
            if name in ("not_null", "unique"):
                checks.add((name, key, None))
            elif name == "accepted_values":
                checks.add(("in_set", key, frozenset(arguments["values"])))
            elif name in RANGE_TESTS:
                checks.add(("range", key, tuple(RANGE_TESTS[name].values())))
    return checks


def gx_check(expectation: dict) -> tuple | None:
    """The expectation in the terms of :func:`dbt_checks`, or None for a kind dbt has no test of."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if kind == "expect_column_values_to_not_be_null":
        return ("not_null", (kwargs["column"],), None)
    if kind == "expect_column_values_to_be_unique":
        return ("unique", (kwargs["column"],), None)
    if kind == "expect_compound_columns_to_be_unique":
        return ("unique", tuple(sorted(kwargs["column_list"])), None)
    if kind == "expect_column_values_to_be_in_set":
        return ("in_set", (kwargs["column"],), frozenset(kwargs["value_set"]))
    if kind == "expect_column_values_to_be_between" and "mostly" not in kwargs:
        bounds = (kwargs.get("min_value"), kwargs.get("max_value"))
        return ("range", (kwargs["column"],), bounds)
    return None


def repeated_by_dbt(expectation: dict, checks: set[tuple]) -> bool:
    """Whether a dbt check of the model makes the expectation redundant: the same kind on the
    same columns, with accepted values no wider than the expectation's set."""
    check = gx_check(expectation)
    if check is None:
        return False
    kind, columns, values = check
    if kind == "in_set":
        return any((k, c) == (kind, columns) and accepted <= values for k, c, accepted in checks)
    return check in checks


def mart_models() -> dict[str, dict]:
    return {
        model["name"]: model
        for path in sorted(MARTS_MODELS.rglob("_*__models.yml"))
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models") or []
    }


def marts_suites() -> dict[str, dict]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SUITES.glob("marts_*.json"))
    }


def repetitions(models: dict[str, dict], suites: dict[str, dict]) -> list[str]:
    found = []
    for suite_name, suite in suites.items():
        model = models[suite_name.removeprefix("marts_")]
        checks = dbt_checks(model)
        found += [
            f"{suite_name}: {e['type']} {e['kwargs']}"
            for e in suite["expectations"]
            if repeated_by_dbt(e, checks)
        ]
    return found


def test_every_marts_suite_validates_a_mart_model():
    assert set(marts_suites()) <= {f"marts_{name}" for name in mart_models()}


def test_no_marts_suite_repeats_a_dbt_test_of_its_mart():
    assert repetitions(mart_models(), marts_suites()) == []


@pytest.mark.parametrize(
    "planted",
    [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "year"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "year"}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "year", "value_set": []},
        },
    ],
)
def test_a_planted_repetition_is_found(planted):
    """complaints_national's year is not null, unique (tests and primary key); an accepted-values
    test planted beside them, the in-set expectation repeats it."""
    models = mart_models()
    national = models["complaints_national"]
    year = next(c for c in national["columns"] if c["name"] == "year")
    year["data_tests"] = [*year["data_tests"], {"accepted_values": {"arguments": {"values": []}}}]
    suites = marts_suites()
    suites["marts_complaints_national"]["expectations"].append(planted)
    assert repetitions(models, suites) == [
        f"marts_complaints_national: {planted['type']} {planted['kwargs']}"
    ]


def test_what_dbt_does_not_check_is_no_repetition():
    """A wider accepted-values test, a range dbt does not test, a test that only warns, a kind
    of expectation dbt has no test of."""
    models = {
        "m": {
            "columns": [
                {
                    "name": "kind",
                    "data_tests": [{"accepted_values": {"arguments": {"values": ["a", "b"]}}}],
                },
                {"name": "share", "data_tests": ["not_negative"]},
                {"name": "note", "data_tests": [{"not_null": {"config": {"severity": "warn"}}}]},
            ]
        }
    }
    expectations = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "kind", "value_set": ["a"]},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "share", "min_value": 0.1},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "note"}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "share", "min_value": 0}},
    ]
    assert repetitions(models, {"marts_m": {"expectations": expectations}}) == []
