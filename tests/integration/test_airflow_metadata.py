"""The embedded Airflow's SQLite metadata database under contention: Airflow's components share
its one writer, and a write that finds it busy must wait, not fail with "database is locked"
(that failure once left a UI-triggered run queued on a DAG the UI could not unpause)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time

from tyndau.airflow_env import SQLITE_BUSY_TIMEOUT, airflow_environment
from tyndau.settings import load_settings

HELD_FOR = 8  # seconds: longer than sqlite3's 5 s default, well under our timeout

# a write through Airflow's own metadata engine, once told to go; prints how long it took
WRITER = """
import json, sys, time
from sqlalchemy import text
from airflow import settings
print("ready", flush=True)
sys.stdin.readline()
started = time.monotonic()
with settings.engine.begin() as db:
    db.execute(text("insert into slot_pool (pool, slots, description, include_deferred)"
                    " values ('contended', 3, 'written while busy', false)"))
print(json.dumps({"took": time.monotonic() - started}), flush=True)
"""


def test_a_write_waits_for_the_busy_metadata_database(tmp_path):
    settings = load_settings({"TYNDAU_STATE_DIR": str(tmp_path)})
    env = os.environ | airflow_environment(settings, "postgresql://u@localhost/none")
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, capture_output=True, check=True)
    database = settings.airflow_home / "airflow.db"

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as other:
        assert other.execute("pragma journal_mode").fetchone() == ("wal",)
        other.execute("begin immediate")  # another component is writing
        writer.stdin.write("go\n")
        writer.stdin.flush()
        # Airflow turns on write-ahead logging: a reader goes on meanwhile (a UI page)
        with contextlib.closing(sqlite3.connect(database, timeout=1)) as reader:
            assert reader.execute("select count(*) from slot_pool").fetchone()[0] >= 1
        time.sleep(HELD_FOR)
        other.execute("rollback")
    out, err = writer.communicate(timeout=SQLITE_BUSY_TIMEOUT)
    assert writer.returncode == 0, err[-2000:]
    took = json.loads(out.strip().splitlines()[-1])["took"]
    assert HELD_FOR - 1 < took < SQLITE_BUSY_TIMEOUT  # it waited for the writer, then wrote
    with contextlib.closing(sqlite3.connect(database)) as check:
        slots = check.execute("select slots from slot_pool where pool = 'contended'").fetchone()
    assert slots == (3,)


def test_the_metadata_database_is_migrated_once_per_file(tmp_path):
    """`tyndau run` and `tyndau airflow` migrate a new SQLite file, skip the migration (10 s of
    Airflow's own start-up) on one this Airflow migrated, and migrate again a file put in its
    place."""
    from tyndau.airflow_env import migrate_metadata

    settings = load_settings({"TYNDAU_STATE_DIR": str(tmp_path)})
    env = os.environ | airflow_environment(settings, "postgresql://u@localhost/none")
    database = settings.airflow_home / "airflow.db"
    with (tmp_path / "migrate.log").open("w") as log:
        assert migrate_metadata(settings, env, log) is True
        tables = sqlite3.connect(database).execute("select count(*) from sqlite_master").fetchone()
        assert tables[0] > 50
        assert migrate_metadata(settings, env, log) is False

        copied = tmp_path / "copied.db"
        copied.write_bytes(database.read_bytes())
        database.unlink()
        copied.rename(database)  # another file (a backup put back): another inode
        assert migrate_metadata(settings, env, log) is True
        assert migrate_metadata(settings, env, log) is False

        database.unlink()
        assert migrate_metadata(settings, env, log) is True  # gone: made anew
    assert database.exists()
