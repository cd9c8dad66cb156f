"""Open Dialogue sandbox: a local dialog.egov.kz serving a calibrated, deterministic scenario.

    with DialogSandbox(build_scenario(seed=2021), knobs=Knobs(crawl_delay=0)) as sandbox:
        ...  # point the crawler at sandbox.base_url

`python -m sandbox.dialog --help` serves it from the command line.
"""

from sandbox.dialog.scenario import (
    BODY_TARGETS,
    Appeal,
    Blog,
    BodyTarget,
    PersonalData,
    Scenario,
    build_scenario,
    personal_data,
)
from sandbox.dialog.server import DialogSandbox, Knobs

__all__ = [
    "BODY_TARGETS",
    "Appeal",
    "Blog",
    "BodyTarget",
    "DialogSandbox",
    "Knobs",
    "PersonalData",
    "Scenario",
    "build_scenario",
    "personal_data",
]
