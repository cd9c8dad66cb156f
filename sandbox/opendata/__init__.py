"""Open-data sandbox: a local data.egov.kz serving a calibrated, deterministic catalogue (as of
its TODAY, 2021-12-31; calibrated at SNAPSHOT, 2017-12-31).

    with OpendataSandbox(build_scenario(), knobs=Knobs(error_rate=0.05)) as portal:
        ...  # point the client at portal.base_url, with the key portal.api_key

`python -m sandbox.opendata --help` serves it from the command line. `WATCH_FILE` lists the
datasets that have records behind the sandbox's data API.
"""

from pathlib import Path

from sandbox.opendata.scenario import (
    ALLOWANCE_DAYS,
    RECORD_SETS,
    SNAPSHOT,
    TODAY,
    YEAR_BEFORE,
    Dataset,
    Scenario,
    build_scenario,
)
from sandbox.opendata.server import SANDBOX_API_KEY, Fault, Knobs, OpendataSandbox

WATCH_FILE = Path(__file__).resolve().parent / "watch.csv"

__all__ = [
    "ALLOWANCE_DAYS",
    "RECORD_SETS",
    "SANDBOX_API_KEY",
    "SNAPSHOT",
    "TODAY",
    "WATCH_FILE",
    "YEAR_BEFORE",
    "Dataset",
    "Fault",
    "Knobs",
    "OpendataSandbox",
    "Scenario",
    "build_scenario",
]
