"""`tyndau airflow --executor celery --workers 3` for real: its own Redis, Airflow's metadata in
Postgres, the four components and three Celery workers, each a process with its own log. The
four DAGs run on the sandboxes, triggered through the REST API; then the metadata database says
the tasks ran on every worker and dbt's model tasks at the same time, and the published marts equal
the single-process demo's (the `pipeline` fixture), table by table.

The scheduler is told not to start runs of its own (`use_job_schedule` off: no cron run of an
ingest DAG, no Asset-triggered build beside the test's), so the runs are exactly the demo's.

With a fault, in those same runs (no run of its own: CI time), real processes throughout: the
worker running dialog's landing is killed (SIGKILL, it and every process it started, as a lost
machine) mid-crawl; the landing is retried on another worker and resumes, nothing is landed
twice and the published marts are still the demo's. Then the worker running the `dbt build`
(Cosmos's watcher producer) is killed once dbt has reported two thirds of the models: its retry
is skipped (Cosmos runs no second build) and each model task whose node the lost build had not
reported builds it on a live worker; the run publishes marts equal to the demo's. The cluster
notices a dead worker after TASK_HEARTBEAT_TIMEOUT_SECONDS (20 here).
Then Redis is stopped (SIGSTOP, as `docker pause`) for 25 s as a small landing run starts and
killed; `tyndau airflow` starts it again: the run completes or fails loudly, and the published
marts stay as they were.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest

from benchmarks.airflow_modes import (
    BUILD,
    INGEST,
    api,
    free_port,
    run_the_four,
    stand_in_env,
    token,
    tyndau_airflow,
    wait_for_run,
)
from tyndau.demo import stand_ins
from tyndau.serving import stop_process_groups
from tyndau.settings import load_settings
from tyndau.warehouse.url import with_database

PASSWORD = "celery-test-password"
# the demo (the reference), then the landings and a build of ~90 tasks on a loaded 2-core machine
pytestmark = pytest.mark.timeout(3600)
#: three, as the faults were first run with (`tyndau airflow` stops the cluster when its last
#: worker is lost)
WORKERS = ["w1", "w2", "w3"]
#: a dead worker's task is noticed after this many seconds without a heartbeat
HEARTBEAT_TIMEOUT = 20


@dataclass
class Cluster:
    base: str
    token: str
    warehouse: str
    metadata: str
    logs: Path  # the components' logs
    task_logs: Path  # Airflow's, of every try of every task
    output: Path
    proc: subprocess.Popen  # `tyndau airflow`, the parent of the workers and Redis
    port: int
    env: dict[str, str]


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
    settings = load_settings({"TYNDAU_STATE_DIR": str(state)})
    with stand_ins(settings) as demo:
        env = stand_in_env(demo, state, urls["warehouse"], PASSWORD) | {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": urls["airflow"],
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # the faults: a dead worker noticed in well under a minute, retried 5 s later
            "TASK_HEARTBEAT_TIMEOUT_SECONDS": str(HEARTBEAT_TIMEOUT),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "TASK_RETRY_DELAY_SECONDS": "5",
        }
        args = ["--port", str(port), "--executor", "celery", "--workers", str(len(WORKERS))]
        with tyndau_airflow([*args, "--concurrency", "2"], env, output) as proc:
            base = f"http://localhost:{port}"
            yield Cluster(
                base, token(base, PASSWORD), urls["warehouse"], urls["airflow"],
                state / "logs" / "airflow", settings.airflow_home / "logs", output, proc, port,
                env,
            )  # fmt: skip


@dataclass
class Faults:
    landing: str = ""  # run id of the landing whose worker was killed
    landing_victim: str = ""
    build: str = ""  # run id of the build whose `dbt build` worker was killed
    build_victim: str = ""


@pytest.fixture(scope="module")
def ran(cluster, spare_worker):
    """The three landings at once, then the build: ({dag_id: run state}, seconds, Faults). The
    worker running dialog's landing is killed mid-crawl (a replacement starts meanwhile), and
    then the one running the `dbt build`: the runs must still succeed."""
    faults = Faults()

    def during(started: dict[str, str]) -> None:
        began = time.monotonic()
        if BUILD in started:
            faults.build = started[BUILD]
            faults.build_victim = _kill_mid_build(cluster, faults.build)
        else:
            faults.landing = started["dialog_ingest"]
            faults.landing_victim = _kill_mid_landing(cluster, faults.landing)
            spare_worker("w4")
        print(f"fault injected {time.monotonic() - began:.0f} s after the trigger")

    states, seconds = run_the_four(cluster.base, cluster.token, during)
    return states, seconds, faults


def test_the_cluster_runs_as_processes_with_their_own_logs(cluster):
    printed = cluster.output.read_text()
    executor = f"Executor:    CeleryExecutor, {len(WORKERS)} worker(s) here × 2 tasks, broker"
    assert f"{executor} redis://127.0.0.1:" in printed
    for name in ("redis", "api-server", "scheduler", "dag-processor", "triggerer"):
        assert (cluster.logs / f"{name}.log").stat().st_size > 0, name
    for worker in WORKERS:
        assert f"{worker}@" in (cluster.logs / f"worker-{worker}.log").read_text()


def test_the_four_dags_succeed_across_the_workers(cluster, ran, pipeline, marts_fingerprint):
    states, seconds, _ = ran
    print(f"the four DAGs on Celery x{len(WORKERS)}, a worker killed: {seconds:.0f} s")
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
    # across the workers (a killed one may have finished none)
    assert len(hosts) >= 2 and {host for host, _ in hosts} <= {*WORKERS, "w4"}, hosts
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


# --- faults -------------------------------------------------------------------------------


def _query(cluster: Cluster, sql: str, params=(), url: str | None = None) -> list[tuple]:
    with psycopg.connect(url or cluster.metadata) as conn:
        return conn.execute(sql, params).fetchall()


def _trigger(cluster: Cluster, dag_id: str, conf: dict | None = None) -> str:
    body = {"logical_date": None, "conf": conf or {}}
    return api(cluster.base, f"/api/v2/dags/{dag_id}/dagRuns", cluster.token, "POST", body)[
        "dag_run_id"
    ]


def _running_on(cluster: Cluster, dag_id: str, run_id: str, task_id: str, timeout=600) -> str:
    """The worker (w1, w2, …) that runs the task, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _query(
            cluster,
            "select split_part(hostname, '@', 1) from task_instance where dag_id = %s"
            " and run_id = %s and task_id = %s and state = 'running' and hostname <> ''",
            [dag_id, run_id, task_id],
        )
        if found:
            return found[0][0]
        time.sleep(0.5)
    raise AssertionError(f"{dag_id}.{task_id} did not start in {timeout} s")


def _kill_worker(cluster: Cluster, name: str) -> None:
    """SIGKILL the worker `name` and every process it started (the task runners lead process
    groups of their own): the worker's machine lost, as far as Airflow can tell."""

    # the worker's main process: one of the cluster's own, or a spare (its pool forks carry
    # the same command line)
    def runs(process: psutil.Process) -> bool:
        try:  # Celery retitles its processes ("[celeryd: w1@host:MainProcess] …")
            return f"{name}@" in " ".join(process.cmdline()) or (
                process.environ().get("TYNDAU_WORKER_NAME") == name
            )
        except psutil.Error:  # a worker killed before
            return False

    workers = [p for p in [*psutil.Process(cluster.proc.pid).children(), *_spares] if runs(p)]
    assert len(workers) == 1, workers
    tree = [workers[0], *workers[0].children(recursive=True)]
    for process in tree:
        process.kill()
    psutil.wait_procs(tree, timeout=30)


_spares: list[psutil.Process] = []


@pytest.fixture(scope="module")
def spare_worker(cluster, tmp_path_factory):
    """Start a worker like the cluster's own (`tyndau airflow --component celery-worker`), to
    replace a killed one: start(name), then ready(name) waits for it."""
    started: list[subprocess.Popen] = []
    broker = re.search(r"broker (redis://\S+)", cluster.output.read_text()).group(1)

    def start(name: str) -> None:
        env = cluster.env | {
            "TYNDAU_WORKER_NAME": name,
            "AIRFLOW__CELERY__BROKER_URL": broker,
        }
        command = [str(Path(sys.executable).parent / "tyndau"), "airflow", "--component"]
        command += ["celery-worker", "--executor", "celery", "--port", str(cluster.port)]
        with (cluster.logs / f"worker-{name}.log").open("a") as log:
            proc = subprocess.Popen(
                [*command, "--concurrency", "2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(proc)
        _spares.append(psutil.Process(proc.pid))

    def ready(name: str) -> None:
        log = cluster.logs / f"worker-{name}.log"
        deadline = time.monotonic() + 180
        while not re.search(rf"{name}@\S+ ready", log.read_text()):
            assert started[-1].poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(1)

    start.ready = ready
    yield start
    stop_process_groups(started, 30)


def _tries(cluster: Cluster, dag_id: str, run_id: str, task_id: str) -> list[tuple]:
    """(try_number, state, worker) of every try of a task, the earlier ones from Airflow's
    task_instance_history."""
    return _query(
        cluster,
        "select try_number, state, split_part(hostname, '@', 1) from task_instance_history"
        " where dag_id = %(d)s and run_id = %(r)s and task_id = %(t)s"
        " union all select try_number, state, split_part(hostname, '@', 1) from task_instance"
        " where dag_id = %(d)s and run_id = %(r)s and task_id = %(t)s order by 1",
        {"d": dag_id, "r": run_id, "t": task_id},
    )


def _kill_when(
    cluster: Cluster, dag_id: str, run: str, task_id: str, ready: Callable[[], bool], what: str
) -> str:
    """SIGKILL the worker running the task once `ready()` holds (failing with `what` if it
    does not within 10 minutes); that worker's name."""
    victim = _running_on(cluster, dag_id, run, task_id)
    deadline = time.monotonic() + 600
    while not ready():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    _kill_worker(cluster, victim)
    return victim


def _kill_mid_landing(cluster: Cluster, run: str) -> str:
    """Once dialog's first crawl is past page 2 of a blog (what it resumes from), SIGKILL the
    worker running it; that worker's name."""

    def past_page_two() -> bool:
        try:
            return bool(
                _query(
                    cluster,
                    "select 1 from raw.dialog_walk_progress where resume_page > 2",
                    url=cluster.warehouse,
                )
            )
        except psycopg.errors.UndefinedTable:
            return False

    what = "dialog's crawl recorded no progress"
    return _kill_when(cluster, "dialog_ingest", run, "land", past_page_two, what)


PRODUCER = "dbt.dbt_producer_watcher"


def _kill_mid_build(cluster: Cluster, run: str) -> str:
    """Once the `dbt build` has reported two thirds of its models (Cosmos's status XComs,
    written to the metadata database as dbt goes), SIGKILL the worker running it; that
    worker's name. Late rather than early: each model left is built by its own task, ~10 s
    of dbt start-up apiece on this machine (CI's time)."""
    tasks = api(cluster.base, f"/api/v2/dags/{BUILD}/tasks", cluster.token)["tasks"]
    models = sum(task["task_id"].endswith(".run") for task in tasks)

    def two_thirds_reported() -> bool:
        return _reported(cluster, run) >= 2 * models // 3

    what = "the dbt build reported too few models"
    return _kill_when(cluster, BUILD, run, PRODUCER, two_thirds_reported, what)


def _reported(cluster: Cluster, run: str) -> int:
    """Models whose result the build has reported."""
    return _query(
        cluster,
        "select count(*) from xcom where dag_id = %s and run_id = %s and task_id = %s"
        " and key like 'model\\_\\_%%\\_status' and key not like '%%\\_tests\\_status'",
        [BUILD, run, PRODUCER],
    )[0][0]


def test_a_worker_killed_mid_build_the_models_are_built_on_the_others(cluster, ran):
    """The producer's first try died with its worker and its retry was skipped (no second
    `dbt build`); the model tasks then built on the live workers what the lost build had not
    (their logs say they fell back to running their model), and the run published (the marts
    equal the demo's: test_the_four_dags_succeed_across_the_workers)."""
    faults = ran[2]
    tries = _tries(cluster, BUILD, faults.build, PRODUCER)
    assert tries[0][2] == faults.build_victim and tries[0][1] != "success", tries
    assert tries[-1][1] == "skipped", tries
    logs = cluster.task_logs / f"dag_id={BUILD}" / f"run_id={faults.build}"
    fell_back = {
        log.parent.name
        for log in logs.glob("task_id=dbt.*/attempt=*.log")
        if "Falling back to running" in log.read_text(errors="replace")
    }
    assert fell_back, sorted(p.name for p in logs.iterdir())
    hosts = _query(
        cluster,
        "select distinct split_part(hostname, '@', 1) from task_instance"
        " where dag_id = %s and run_id = %s and task_id = any(%s)",
        [BUILD, faults.build, [name.removeprefix("task_id=") for name in fell_back]],
    )
    assert hosts and faults.build_victim not in {host for (host,) in hosts}, hosts
    print(f"fault: the dbt build's worker killed, {len(fell_back)} model tasks built their own")


LANDED = ("dialog_appeals", "dialog_masked_texts", "dialog_rejects")


def test_a_worker_killed_mid_landing_the_landing_resumes_on_another(
    cluster, ran, pipeline, spare_worker
):
    """The landing's second try ran on another worker, resumed the blog the dead one was
    crawling (instead of crawling it again from page 1), and landed exactly what the demo's
    one-process run landed: nothing twice."""
    faults = ran[2]
    tries = _tries(cluster, "dialog_ingest", faults.landing, "land")
    first, *_, last = tries
    assert first[2] == faults.landing_victim and first[1] != "success", tries
    assert last[1] == "success" and last[2] != faults.landing_victim, tries
    resumed = _query(
        cluster,
        "select count(*) from raw.load_ledger l, jsonb_each(l.stats -> 'per_blog') b"
        " where l.source = 'dialog' and l.status = 'succeeded'"
        " and b.value ->> 'resumed_at_page' is not null",
        url=cluster.warehouse,
    )[0][0]
    assert resumed >= 1
    _, demo_url, _ = pipeline
    counts = "select " + ", ".join(f"(select count(*) from raw.{t})" for t in LANDED)
    assert _query(cluster, counts, url=cluster.warehouse) == _query(cluster, counts, url=demo_url)
    spare_worker.ready("w4")  # the replacement joined the cluster


def test_redis_stopped_mid_run_the_run_completes_or_fails_loudly(cluster, ran, marts_fingerprint):
    """Redis frozen (SIGSTOP, as `docker pause`) for 25 s as a landing's tasks are sent out,
    then killed outright (SIGKILL) and started again by `tyndau airflow` on its port, from its
    append-only file: the run completes, or fails with a failed task; either way the published
    marts stay as they were (no build runs), schema and contents, and the cluster lives on."""
    began = time.monotonic()
    redis = [p for p in psutil.Process(cluster.proc.pid).children() if p.name() == "redis-server"]
    assert len(redis) == 1, redis
    marts = "select oid from pg_namespace where nspname = 'marts'"
    before = marts_fingerprint(cluster.warehouse), _query(cluster, marts, url=cluster.warehouse)
    run = _trigger(cluster, "complaints_ingest")
    redis[0].send_signal(signal.SIGSTOP)
    try:
        time.sleep(25)
    finally:
        redis[0].kill()  # a stopped process dies too
    redis[0].wait(30)
    done = wait_for_run(cluster.base, cluster.token, "complaints_ingest", run, 600)
    states = _query(
        cluster,
        "select task_id, state from task_instance where dag_id = %s and run_id = %s",
        ["complaints_ingest", run],
    )
    print(
        f"fault: Redis stopped 25 s and killed, the landing {done['state']},"
        f" {time.monotonic() - began:.0f} s"
    )
    assert done["state"] in ("success", "failed"), done
    if done["state"] == "failed":
        assert "failed" in {state for _, state in states}, states
    assert (
        marts_fingerprint(cluster.warehouse),
        _query(cluster, marts, url=cluster.warehouse),
    ) == before
    assert "redis exited -9; started again on its port" in cluster.output.read_text()
    again = [p for p in psutil.Process(cluster.proc.pid).children() if p.name() == "redis-server"]
    assert len(again) == 1 and again[0].pid != redis[0].pid, again
    assert cluster.proc.poll() is None, cluster.output.read_text()
