"""`make lint`'s guards bite: each import contract, and sqlfluff, fails on a planted violation.

The real tools run on copies: the Python packages (their .py files) or one dbt model with the
project's .sqlfluff and macros, in a temporary folder, so the planted code never touches the
repository. The clean copies pass, which shows the failures come from what was planted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tyndau.settings import PROJECT_DIR

BIN = Path(sys.executable).parent
PYPROJECT = PROJECT_DIR / "pyproject.toml"
IMPORT_LINTER = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
CONTRACT_NAMES = {contract["id"]: contract["name"] for contract in IMPORT_LINTER["contracts"]}


def copy_python_tree(destination: Path) -> Path:
    """The root packages' .py files (the import graph needs nothing else) and the contracts."""
    for package in IMPORT_LINTER["root_packages"]:
        shutil.copytree(
            PROJECT_DIR / package,
            destination / package,
            ignore=lambda folder, names: [
                name
                for name in names
                if name == "__pycache__"
                or (not name.endswith(".py") and not (Path(folder) / name).is_dir())
            ],
        )
    shutil.copy(PYPROJECT, destination / "pyproject.toml")
    return destination


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # the copy first on the path, ahead of the editable install of the repository's packages;
    # a wide terminal, so that no contract's name is wrapped in the report
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "400"}
    return subprocess.run(
        [BIN / "lint-imports", "--no-cache", "--no-logo", "pyproject.toml"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def python_tree(tmp_path_factory) -> Path:
    return copy_python_tree(tmp_path_factory.mktemp("tree"))


def test_the_clean_tree_keeps_every_contract(python_tree):
    result = lint_imports(python_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(CONTRACT_NAMES)} kept, 0 broken" in result.stdout
    # the graph really is the copy's (the editable install would make the planted tests moot)
    assert "Analyzed 0 files" not in result.stdout


# (contract broken, module planted in the copy, its code)
PLANTED_IMPORTS = [
    ("ingestion", "ingestion/common/planted.py", "import airflow.sdk\n"),
    ("ingestion", "ingestion/dialog/planted.py", "from dbt.cli.main import dbtRunner\n"),
    ("ingestion", "ingestion/opendata/planted.py", "from tyndau import settings\n"),
    ("sandbox", "sandbox/dialog/planted.py", "from tyndau.settings import PROJECT_DIR\n"),
    ("sandbox", "sandbox/planted.py", "from ingestion.dialog.parse import parse_listing\n"),
    ("expectations", "expectations/planted.py", "import tyndau.warehouse\n"),
    ("dags", "dags/planted_dag.py", "from ingestion.dialog import land_dialog\n"),
    ("dags", "dags/planted_sandbox_dag.py", "import sandbox.dialog.server\n"),
    ("dags", "dags/planted_gate_dag.py", "from expectations.gate import run_checkpoint\n"),
]


@pytest.mark.parametrize(
    ("contract", "module", "code"),
    PLANTED_IMPORTS,
    ids=[f"{contract}:{module}" for contract, module, _ in PLANTED_IMPORTS],
)
def test_a_planted_import_breaks_its_contract(tmp_path, contract, module, code):
    root = copy_python_tree(tmp_path)
    (root / module).write_text(code)
    result = lint_imports(root)
    assert result.returncode != 0, result.stdout
    assert f"{CONTRACT_NAMES[contract]} BROKEN" in result.stdout
    assert f"{len(CONTRACT_NAMES) - 1} kept, 1 broken" in result.stdout
    planted_module = module.removesuffix(".py").replace("/", ".")
    assert planted_module in result.stdout  # the report names the offending import


# A small model that calls the project's macros, and violations of the style .sqlfluff states.
MODEL = PROJECT_DIR / "dbt_project/models/staging/dialog/stg_dialog__blogs.sql"
PLANTED_SQL = {
    "uppercase_keyword": ("    from latest\n", "    FROM latest\n", "CP01"),
    "colon_cast": ("        observed_at,\n", "        observed_at::timestamptz,\n", "CV11"),
    "implicit_alias": ("        load_id,\n", "        load_id batch,\n", "AL02"),
    "two_space_indent": ("        blog_id,\n", "  blog_id,\n", "LT02"),
}


def test_sqlfluff_passes_the_model_and_fails_each_planted_violation(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR / "dbt_project/macros", project / "macros")
    shutil.copy(PROJECT_DIR / "dbt_project/.sqlfluff", project / ".sqlfluff")
    models = project / "models"
    models.mkdir()
    clean = MODEL.read_text()
    (models / "clean.sql").write_text(clean)
    for name, (line, planted, _) in PLANTED_SQL.items():
        assert clean.count(line) == 1, f"{MODEL.name} no longer has the line {name} replaces"
        (models / f"{name}.sql").write_text(clean.replace(line, planted))

    # one run for all the files: sqlfluff's start (dialect, macros) is most of its time
    result = subprocess.run(
        [BIN / "sqlfluff", "lint", "--format", "json", "models"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    found = {
        Path(report["filepath"]).stem: {violation["code"] for violation in report["violations"]}
        for report in json.loads(result.stdout)
    }
    assert found["clean"] == set()
    for name, (_, _, rule) in PLANTED_SQL.items():
        assert rule in found[name], (name, found[name])
