"""`tyndau airflow --executor celery --workers 2` for real: its own Redis, Airflow's metadata in
Postgres, the four components and two Celery workers, each a process with its own log. The four
DAGs run on the sandboxes, triggered through the REST API; then the metadata database says the
tasks ran on both workers and dbt's model tasks at the same time, and the published marts equal
the single-process demo's (the `pipeline` fixture), table by table.

The scheduler is told not to start runs of its own (`use_job_schedule` off: no cron run of an
ingest DAG, no Asset-triggered build beside the test's), so the runs are exactly the demo's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from benchmarks.airflow_modes import (
    BUILD,
    INGEST,
    free_port,
    run_the_four,
    stand_in_env,
    token,
    tyndau_airflow,
)
from tyndau.demo import stand_ins
from tyndau.settings import load_settings
from tyndau.warehouse.url import with_database

PASSWORD = "celery-test-password"
# the demo (the reference), then the landings and a build of ~90 tasks on a loaded 2-core machine
pytestmark = pytest.mark.timeout(3600)
WORKERS = ["w1", "w2"]


@dataclass
class Cluster:
    base: str
    token: str
    warehouse: str
    metadata: str
    logs: Path
    output: Path


@pytest.fixture(scope="module")
def cluster(pg_server, pipeline, tmp_path_factory):
    """The cluster, started once the demo (the reference) has run: not beside it."""
    tmp = tmp_path_factory.mktemp("celery")
    urls = {}
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for use in ("warehouse", "airflow"):
            name = f"t_celery_{use}"
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
            urls[use] = with_database(pg_server, name)
    state, port, output = tmp / "state", free_port(), tmp / "tyndau-airflow.out"
    with stand_ins(load_settings({"TYNDAU_STATE_DIR": str(state)})) as demo:
        env = stand_in_env(demo, state, urls["warehouse"], PASSWORD) | {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": urls["airflow"],
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        }
        args = ["--port", str(port), "--executor", "celery", "--workers", str(len(WORKERS))]
        with tyndau_airflow([*args, "--concurrency", "2"], env, output):
            base = f"http://localhost:{port}"
            yield Cluster(
                base, token(base, PASSWORD), urls["warehouse"], urls["airflow"],
                state / "logs" / "airflow", output,
            )  # fmt: skip


@pytest.fixture(scope="module")
def ran(cluster):
    """The three landings at once, then the build: ({dag_id: run state}, seconds)."""
    return run_the_four(cluster.base, cluster.token)


def test_the_cluster_runs_as_processes_with_their_own_logs(cluster):
    printed = cluster.output.read_text()
    assert "Executor:    CeleryExecutor, 2 worker(s) here × 2 tasks, broker redis://127.0.0.1:" in (
        printed
    )
    for name in ("redis", "api-server", "scheduler", "dag-processor", "triggerer"):
        assert (cluster.logs / f"{name}.log").stat().st_size > 0, name
    for worker in WORKERS:
        assert f"{worker}@" in (cluster.logs / f"worker-{worker}.log").read_text()


def test_the_four_dags_succeed_across_both_workers(cluster, ran, pipeline, marts_fingerprint):
    states, seconds = ran
    print(f"the four DAGs on Celery x2: {seconds:.0f} s")
    assert states == dict.fromkeys([*INGEST, BUILD], "success"), cluster.output.read_text()
    with psycopg.connect(cluster.metadata) as conn:
        hosts = conn.execute(
            # the scheduler itself marks an EmptyOperator done: no worker runs it
            "select split_part(hostname, '@', 1), count(*) from task_instance"
            " where state = 'success' and operator <> 'EmptyOperator' group by 1"
        ).fetchall()
        dbt_tasks = conn.execute(
            "select start_date, end_date from task_instance where dag_id = %s"
            " and task_id like 'dbt.%%' and task_id <> 'dbt.dbt_producer_watcher'"
            " and operator <> 'EmptyOperator'"
            " order by start_date",
            [BUILD],
        ).fetchall()
    assert {host for host, _ in hosts} == set(WORKERS), hosts
    # dbt's model tasks at once: one started before another had ended
    assert len(dbt_tasks) > 20
    assert any(
        later < earlier_end
        for (_, earlier_end), (later, _) in zip(dbt_tasks, dbt_tasks[1:], strict=False)
    ), dbt_tasks

    _, demo_url, _ = pipeline
    demo, ours = marts_fingerprint(demo_url), marts_fingerprint(cluster.warehouse)
    assert demo
    assert {table: ours.get(table) for table in demo} == demo
