"""insert_new_rows, the one way rows reach raw, on a real Postgres: what its speed-ups (rows
streamed into a binary COPY straight into the table, a stage only for batches that meet known
rows) must not change."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from ingestion.common.raw import canonical_json, content_hash, insert_new_rows, landing_connection

TABLE = "raw.things"
COLUMNS = ("load_id", "observed_at", "content_hash", "thing_id", "note", "payload")


@pytest.fixture
def conn(fresh_database):
    with landing_connection(fresh_database) as connection:
        connection.execute(
            "create schema raw; create table raw.things (load_id uuid not null, observed_at "
            "timestamptz not null, content_hash text not null, thing_id bigint not null, note "
            "text, payload jsonb not null, primary key (thing_id, content_hash))"
        )
        yield connection


def row(thing_id: int, **payload) -> tuple:
    payload = {"id": thing_id, **payload}
    observed_at = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
    note = None if thing_id % 2 else f"note\t{thing_id}\n\\"
    return (
        uuid.uuid4(),
        observed_at,
        content_hash(payload),
        thing_id,
        note,
        canonical_json(payload),
    )


def stored(conn) -> list[tuple]:
    return conn.execute(
        "select thing_id, note, payload, observed_at from raw.things order by thing_id"
    ).fetchall()


def test_rows_from_a_generator_land_once_with_every_value_intact(conn):
    rows = [row(i, text='Қазақстан «ok» \\ "q"', n=None) for i in range(1, 2501)]
    assert insert_new_rows(conn, TABLE, COLUMNS, (r for r in rows)) == 2500
    assert insert_new_rows(conn, TABLE, COLUMNS, iter(rows)) == 0  # idempotent
    assert insert_new_rows(conn, TABLE, COLUMNS, []) == 0
    got = stored(conn)
    assert [(t, n, p) for t, n, p, _ in got] == [
        (r[3], r[4], {"id": r[3], "text": 'Қазақстан «ok» \\ "q"', "n": None}) for r in rows
    ]
    assert {o for *_, o in got} == {dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)}


def test_two_batches_in_one_caller_transaction_both_land_or_neither(conn):
    with conn.transaction():
        assert insert_new_rows(conn, TABLE, COLUMNS, [row(1), row(2)]) == 2
        assert insert_new_rows(conn, TABLE, COLUMNS, [row(2), row(3)]) == 1  # 2 is there already
    assert [r[0] for r in stored(conn)] == [1, 2, 3]
    with pytest.raises(RuntimeError), conn.transaction():
        insert_new_rows(conn, TABLE, COLUMNS, [row(4)])
        raise RuntimeError("the caller fails after the insert")
    assert [r[0] for r in stored(conn)] == [1, 2, 3]


def test_a_row_that_fails_midway_through_the_stream_leaves_nothing(conn):
    def rows():
        yield from (row(i) for i in range(1, 1001))
        raise ValueError("the parser broke")

    with pytest.raises(ValueError, match="the parser broke"):
        insert_new_rows(conn, TABLE, COLUMNS, rows())
    assert stored(conn) == []
    assert insert_new_rows(conn, TABLE, COLUMNS, [row(1)]) == 1  # the connection still lands


def test_a_value_of_the_wrong_type_or_an_unknown_column_is_a_clear_error(conn):
    with pytest.raises(ValueError, match="raw.things has no column colour"):
        insert_new_rows(conn, TABLE, (*COLUMNS, "colour"), [(*row(1), "red")])
    bad = list(row(1))
    bad[3] = "1"  # a bigint column given text
    with pytest.raises(TypeError, match=r"a row for raw.things does not fit \(.*thing_id bigint"):
        insert_new_rows(conn, TABLE, COLUMNS, [row(2), tuple(bad)])
    bad[3], bad[5] = 1, {"id": 1}  # a jsonb column given a dict, not its JSON text
    with pytest.raises(TypeError, match="a jsonb value is taken as JSON text, not dict"):
        insert_new_rows(conn, TABLE, COLUMNS, [tuple(bad)])
    assert stored(conn) == []


def _stage_exists(conn) -> bool:
    return conn.execute("select to_regclass('pg_temp._stage_raw_things')").fetchone()[0] is not None


def test_new_rows_are_copied_straight_in_and_known_ones_go_through_the_stage(conn):
    assert insert_new_rows(conn, TABLE, COLUMNS, [row(1), row(2)]) == 2
    assert not _stage_exists(conn)  # the fast path: no stage, no INSERT … ON CONFLICT
    assert insert_new_rows(conn, TABLE, COLUMNS, [row(3), row(1), row(4)]) == 2
    assert _stage_exists(conn)
    assert insert_new_rows(conn, TABLE, COLUMNS, [row(5), row(5, note="same id, new")]) == 2
    assert insert_new_rows(conn, TABLE, COLUMNS, [row(6), row(6)]) == 1  # twice in one batch
    assert [r[0] for r in stored(conn)] == [1, 2, 3, 4, 5, 5, 6]


def test_two_loaders_landing_the_same_new_rows_at_once_land_each_row_once(conn, fresh_database):
    """The second loader's COPY waits on the first's uncommitted keys, then meets them and
    falls back: no error, nothing twice."""
    with landing_connection(fresh_database) as other, ThreadPoolExecutor(1) as pool:
        with conn.transaction():
            assert insert_new_rows(conn, TABLE, COLUMNS, [row(i) for i in range(1, 11)]) == 10
            second = pool.submit(
                insert_new_rows, other, TABLE, COLUMNS, [row(i) for i in range(5, 16)]
            )
            time.sleep(0.5)
            assert not second.done()  # waiting for the first loader to commit
        assert second.result(timeout=30) == 5
    assert [r[0] for r in stored(conn)] == list(range(1, 16))


def test_a_big_batch_that_meets_a_known_row_early_still_lands_every_new_row(conn):
    """The server rejects the COPY at the first known row while megabytes are still to come:
    whatever the loader had not sent yet lands through the fallback too."""
    text = "Қазақстан " * 200  # about 2 kB a row: the batch outgrows every socket buffer
    assert insert_new_rows(conn, TABLE, COLUMNS, [row(1, text=text)]) == 1
    rows = (row(i, text=text) for i in range(1, 20_001))  # 1 is known, 2…20000 are new
    assert insert_new_rows(conn, TABLE, COLUMNS, rows) == 19_999
    assert conn.execute("select count(distinct thing_id) from raw.things").fetchone() == (20_000,)


# -- a history per key: tables keyed on (natural key, observed_at, content_hash) ---------------

HISTORY = "raw.history"


@pytest.fixture
def history(conn):
    conn.execute(
        "create table raw.history (load_id uuid not null, observed_at timestamptz not null, "
        "content_hash text not null, thing_id bigint not null, note text, payload jsonb not "
        "null, primary key (thing_id, observed_at, content_hash))"
    )
    return conn


def seen(thing_id: int, hour: int, **payload) -> tuple:
    """An observation of ``thing_id`` at ``hour`` o'clock."""
    load_id, _, hashed, key, note, data = row(thing_id, **payload)
    return (load_id, dt.datetime(2026, 11, 23, hour, tzinfo=dt.UTC), hashed, key, note, data)


def history_of(conn, thing_id: int) -> list[tuple[int, str | None]]:
    return conn.execute(
        "select extract(hour from observed_at)::int, payload->>'state' from raw.history "
        "where thing_id = %s order by observed_at",
        (thing_id,),
    ).fetchall()


def test_a_value_that_changes_back_lands_again_and_a_rerun_adds_nothing(history):
    conn = history
    assert insert_new_rows(conn, HISTORY, COLUMNS, [seen(1, 1, state="A"), seen(2, 1)]) == 2
    assert insert_new_rows(conn, HISTORY, COLUMNS, [seen(1, 2, state="B")]) == 1
    assert insert_new_rows(conn, HISTORY, COLUMNS, [seen(1, 3, state="A"), seen(2, 3)]) == 1
    assert history_of(conn, 1) == [(1, "A"), (2, "B"), (3, "A")]  # A is the latest again
    # the same load again, and a later one that sees nothing new: nothing added
    assert insert_new_rows(conn, HISTORY, COLUMNS, [seen(1, 3, state="A"), seen(2, 3)]) == 0
    assert insert_new_rows(conn, HISTORY, COLUMNS, [seen(1, 4, state="A"), seen(2, 4)]) == 0
    assert history_of(conn, 2) == [(1, None)]


def test_one_batch_holding_a_key_several_times_keeps_each_change_in_order(history):
    conn = history
    assert insert_new_rows(conn, HISTORY, COLUMNS, [seen(1, 1, state="A")]) == 1
    batch = [
        seen(1, 2, state="A"),  # as the latest: nothing new
        seen(1, 3, state="B"),
        seen(1, 4, state="B"),  # as the one before: nothing new
        seen(1, 5, state="A"),
        seen(3, 2),
        seen(3, 2),  # twice at once
    ]
    assert insert_new_rows(conn, HISTORY, COLUMNS, batch) == 3
    assert history_of(conn, 1) == [(1, "A"), (3, "B"), (5, "A")]
    assert history_of(conn, 3) == [(2, None)]


def test_two_loaders_landing_the_same_observation_at_once_land_it_once(history, fresh_database):
    """Each at its own observed_at: the primary key cannot tell them apart, the per-table lock
    and the latest row can."""
    with landing_connection(fresh_database) as other, ThreadPoolExecutor(1) as pool:
        with history.transaction():
            rows = [seen(i, 1, state="A") for i in range(1, 11)]
            assert insert_new_rows(history, HISTORY, COLUMNS, rows) == 10
            later = [seen(i, 2, state="A") for i in range(5, 16)]
            second = pool.submit(insert_new_rows, other, HISTORY, COLUMNS, later)
            time.sleep(0.5)
            assert not second.done()  # waiting for the first loader to commit
        assert second.result(timeout=30) == 5
    assert history.execute("select count(*) from raw.history").fetchone() == (15,)


def test_the_history_key_migration_lets_a_key_change_back_and_runs_twice(conn):
    from ingestion.common.raw import history_key_ddl

    assert insert_new_rows(conn, TABLE, COLUMNS, [seen(1, 1, state="A")]) == 1  # the old key
    assert insert_new_rows(conn, TABLE, COLUMNS, [seen(1, 2, state="B")]) == 1
    assert insert_new_rows(conn, TABLE, COLUMNS, [seen(1, 3, state="A")]) == 0  # A is known
    for _ in range(2):
        conn.execute(history_key_ddl(TABLE, ["thing_id"]))
    key = conn.execute(
        "select pg_get_constraintdef(oid) from pg_constraint "
        "where conrelid = 'raw.things'::regclass and contype = 'p'"
    ).fetchone()
    assert key == ("PRIMARY KEY (thing_id, observed_at, content_hash)",)
    assert insert_new_rows(conn, TABLE, COLUMNS, [seen(1, 3, state="A")]) == 1
    assert insert_new_rows(conn, TABLE, COLUMNS, [seen(1, 3, state="A")]) == 0
