"""One complete demo run, shared by the end-to-end tests that only read what it built."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tyndau.demo import stand_ins
from tyndau.pipeline import run_pipeline
from tyndau.settings import load_settings

READER_PASSWORD = "reader-secret-for-tests"  # the analysts role logs in with it


@pytest.fixture(scope="session")
def pipeline(pg_server, tmp_path_factory):
    """The demo's stand-ins run through every DAG; yields (settings, warehouse URL, result)."""
    state = tmp_path_factory.mktemp("state")
    settings = load_settings(
        {"TYNDAU_STATE_DIR": str(state), "TYNDAU_READER_PASSWORD": READER_PASSWORD}
    )
    with stand_ins(settings) as demo_settings:
        result = run_pipeline(demo_settings, pg_server)
        yield demo_settings, pg_server, result


@contextmanager
def _corrupt_observation(url: str, change: Callable[[dict], dict], where: str) -> Iterator[int]:
    """A newer observation of the first appeal matching ``where`` in raw, its payload changed by
    ``change``: what a broken portal or parser could land; yields its registration number.
    Removed again afterwards."""
    with psycopg.connect(url) as conn:
        number, payload = conn.execute(
            f"select number, payload from raw.dialog_appeals where {where} order by number limit 1"
        ).fetchone()
        changed = change(payload)
        # the key column follows the payload, as the landing writes it
        conn.execute(
            "insert into raw.dialog_appeals (load_id, observed_at, source_url, content_hash,"
            " number, question_id, blog_id, payload)"
            " select load_id, now(), source_url, 'corrupt', %s, question_id, blog_id, %s"
            " from raw.dialog_appeals where number = %s limit 1",
            [changed["number"], Jsonb(changed), number],
        )
    try:
        yield number
    finally:
        with psycopg.connect(url) as conn:
            conn.execute("delete from raw.dialog_appeals where content_hash = 'corrupt'")
            if changed["number"] != number:
                # An appeal under a number of its own reached the incremental models, which keep
                # what raw once held (raw never forgets, outside this fixture): take it out.
                for table in _INCREMENTAL_APPEALS:
                    if conn.execute("select to_regclass(%s)", [table]).fetchone()[0]:
                        conn.execute(f"delete from {table} where number = %s", [changed["number"]])


_INCREMENTAL_APPEALS = (
    "staging.stg_dialog__appeals",
    "intermediate.int_appeals__enriched",
    "marts_candidate.fct_appeals",
)


@pytest.fixture
def corrupt_observation():
    return _corrupt_observation
