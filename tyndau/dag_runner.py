"""Run DAGs once through Airflow's own `dag.test()`, in a process whose environment is Airflow's.

`tyndau run` starts this module as a subprocess (Airflow reads its configuration from the
environment at import time, so it gets a fresh interpreter) and reads its exit status and the
`TYNDAU-RESULT` line it prints per DAG run.

One source failing does not hold the others back: every ingest DAG runs, whatever an earlier
one did, and a DAG scheduled on Assets (the warehouse build) runs as in a deployed Airflow,
where it is triggered by any source's Asset event (see `build_is_due`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import dataclass
from functools import partial

#: the state of a DAG that `run_dags` did not run
NOT_RUN = "not run"


def _reason(error: BaseException | str | None) -> str:
    if error is None:
        return "no error recorded (see the log)"
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


class FailureRecorder:
    """Why each task failed, for the run's summary: fed by an Airflow listener (`listen`).

    `dag.test()` runs the tasks in this process, so the task runner calls the listener with the
    very exception the task raised (what the alert notifiers see too)."""

    def __init__(self) -> None:
        self.reasons: dict[tuple[str, str, str], str] = {}  # (dag_id, run_id, task_id) → why

    def record(self, task_instance, error) -> None:
        key = (task_instance.dag_id, task_instance.run_id, task_instance.task_id)
        self.reasons[key] = _reason(error)

    def listen(self) -> None:
        from airflow.listeners import hookimpl
        from airflow.sdk.listener import get_listener_manager

        recorder = self

        class Listener:
            @hookimpl
            def on_task_instance_failed(self, previous_state, task_instance, error):
                recorder.record(task_instance, error)

        get_listener_manager().add_listener(Listener())


@dataclass
class IngestOutcome:
    dag_id: str
    succeeded: bool  # the whole run
    announced: bool  # a task announcing an Asset (the landing's check) succeeded


def build_is_due(ingests: list[IngestOutcome], raw_holds_data) -> bool:
    """Whether the warehouse build runs after these ingest runs of one `tyndau run`.

    In a deployed Airflow `warehouse_build` is scheduled on *any* of the sources' Assets: a
    failed ingest announces nothing and the others still trigger the build. Here it runs when
    no ingest ran (a build alone), or one succeeded or announced its Asset (a failure that is
    only an alert, such as a rejected report file, must not hold back the files that landed),
    or else when raw already holds data from earlier loads (`raw_holds_data`, called only
    then): the build then publishes what raw holds, as the last good build did.
    """
    if not ingests or any(i.succeeded or i.announced for i in ingests):
        return True
    return raw_holds_data()


def _asset_names(condition) -> list[str]:
    """The names of the Assets in a schedule's condition (`a | b`, `a & (b | c)`, …)."""
    if hasattr(condition, "objects"):
        return [name for part in condition.objects for name in _asset_names(part)]
    return [condition.name]


def _raw_holds_data(dag) -> bool:
    """Whether a table the DAG is scheduled on (an Asset names its raw table) holds a row."""
    from tyndau.orchestration import warehouse_url
    from tyndau.warehouse.raw import raw_holds_data

    return raw_holds_data(warehouse_url(), _asset_names(dag.timetable.asset_condition))


def run_dags(
    dag_ids: list[str], conf: dict | None = None, logical_dates: list[str] | None = None
) -> int:
    """Run each DAG once, or once per logical date (ISO) given: a backfill's runs, in order.

    A DAG that fails does not stop the ones after it; a DAG scheduled on Assets runs when
    `build_is_due`. Returns 1 when any run failed or a build was not due, 2 for a broken set-up.
    """
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.settings import DAGS_FOLDER
    from airflow.utils.state import DagRunState

    bag = DagBag(DAGS_FOLDER)
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"tyndau: DAG file {path} does not import:\n{error}", file=sys.stderr)
        return 2
    dags = {dag_id: bag.get_dag(dag_id) for dag_id in dag_ids}
    for dag_id in [d for d, dag in dags.items() if dag is None]:
        print(f"tyndau: no DAG named {dag_id}", file=sys.stderr)
        return 2
    recorder = FailureRecorder()
    recorder.listen()
    ingests: list[IngestOutcome] = []
    exit_code = 0
    for dag_id, dag in dags.items():
        on_assets = bool(dag.timetable.asset_condition)  # scheduled on Assets: the build
        if on_assets and not build_is_due(ingests, partial(_raw_holds_data, dag)):
            skipped = {"dag_id": dag_id, "state": NOT_RUN, "tasks": {}, "failures": {}}
            skipped["reason"] = "every source failed, and raw holds nothing to build from"
            print("TYNDAU-RESULT " + json.dumps(skipped), flush=True)
            exit_code = 1
            continue
        for logical_date in logical_dates or [None]:
            run = dag.test(
                run_conf={k: v for k, v in (conf or {}).items() if k in dag.params},
                **({"logical_date": pendulum.parse(logical_date)} if logical_date else {}),
            )
            tis = run.get_task_instances()
            outcome = {
                ti.task_id: (
                    ti.state,
                    ti.xcom_pull(task_ids=ti.task_id) if ti.state == "success" else None,
                )
                for ti in tis
            }
            failures = {
                ti.task_id: recorder.reasons.get((dag_id, run.run_id, ti.task_id), _reason(None))
                for ti in tis
                if ti.state == "failed"
            }
            result = {
                "dag_id": dag_id,
                "state": str(run.state),
                "tasks": outcome,
                "failures": failures,
            }
            if logical_date:
                result["logical_date"] = logical_date
            print("TYNDAU-RESULT " + json.dumps(result, default=str), flush=True)
            succeeded = run.state == DagRunState.SUCCESS
            if not on_assets:
                announced = any(
                    state == "success" and dag.get_task(task_id).outlets
                    for task_id, (state, _) in outcome.items()
                )
                ingests.append(IngestOutcome(dag_id, succeeded, announced))
            if not succeeded:
                exit_code = 1
    return exit_code


#: the pid of the process that started this runner (tyndau.pipeline), for `die_with_parent`
PARENT_PID_VARIABLE = "TYNDAU_RUNNER_PARENT_PID"


#: the signal the kernel sends this runner when its parent dies: not SIGTERM, which Airflow's
#: task runner takes over while a task runs (and answers only by calling the task's on_kill)
PARENT_DEATH_SIGNAL = signal.SIGHUP


def die_with_parent() -> None:
    """Stop, with every process of this runner's group, when the process that started it dies,
    however it dies (even SIGKILL, which leaves it no chance to stop us): Linux's parent-death
    signal, PARENT_DEATH_SIGNAL, kills the group.

    A runner left behind would go on landing and mark loads succeeded for a run its operator
    believes stopped."""

    def stop_the_group(signum, frame):
        os.killpg(os.getpgrp(), signal.SIGKILL)

    signal.signal(PARENT_DEATH_SIGNAL, stop_the_group)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(pr_set_pdeathsig, PARENT_DEATH_SIGNAL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    parent = os.environ.get(PARENT_PID_VARIABLE)
    if parent and os.getppid() != int(parent):  # it died before the signal was asked for
        stop_the_group(PARENT_DEATH_SIGNAL, None)


if __name__ == "__main__":
    die_with_parent()
    # argv: a JSON object {"conf": run parameters, "logical_dates": [...]}, then the DAG ids
    options = json.loads(sys.argv[1])
    sys.exit(run_dags(sys.argv[2:], options.get("conf"), options.get("logical_dates")))
