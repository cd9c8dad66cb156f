"""When `tyndau run` builds after its ingest runs: as the Asset schedule of a deployed Airflow."""

from __future__ import annotations

import pytest

from tyndau.dag_runner import IngestOutcome, build_is_due

FAILED = IngestOutcome("dialog_ingest", succeeded=False, announced=False)
SUCCEEDED = IngestOutcome("opendata_ingest", succeeded=True, announced=True)
#: a rejected report file: the alert task failed, the landing's check announced the Asset
ALERT_ONLY = IngestOutcome("complaints_ingest", succeeded=False, announced=True)
#: an empty inbox: nothing to announce, and nothing failed
NOTHING_NEW = IngestOutcome("complaints_ingest", succeeded=True, announced=False)


def _raw(holds: bool):
    asked = []

    def raw_holds_data() -> bool:
        asked.append(True)
        return holds

    return raw_holds_data, asked


@pytest.mark.parametrize(
    "ingests",
    [[], [FAILED, SUCCEEDED], [FAILED, ALERT_ONLY], [NOTHING_NEW], [FAILED, NOTHING_NEW]],
)
def test_one_source_that_delivered_is_enough_and_raw_is_not_asked(ingests):
    raw_holds_data, asked = _raw(False)
    assert build_is_due(ingests, raw_holds_data)
    assert not asked


@pytest.mark.parametrize("holds", [True, False])
def test_when_every_source_failed_raw_decides(holds):
    raw_holds_data, asked = _raw(holds)
    assert build_is_due([FAILED, FAILED], raw_holds_data) is holds
    assert asked
