"""The ingestion library stays a library: importing it pulls in no orchestration or app code."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("airflow", "dbt", "great_expectations", "sandbox", "tyndau", "cosmos")
MODULES = (
    "ingestion.common.http",
    "ingestion.common.raw",
    "ingestion.common.ledger",
    "ingestion.dialog",
)


def test_dialog_ingestion_imports_nothing_forbidden():
    code = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert not loaded & set(FORBIDDEN)
