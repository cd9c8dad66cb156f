"""Run DAGs once through Airflow's own `dag.test()`, in a process whose environment is Airflow's.

`tyndau run` starts this module as a subprocess (Airflow reads its configuration from the
environment at import time, so it gets a fresh interpreter) and reads its exit status.
"""

from __future__ import annotations

import json
import sys


def run_dags(dag_ids: list[str], conf: dict | None = None) -> int:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.settings import DAGS_FOLDER
    from airflow.utils.state import DagRunState

    bag = DagBag(DAGS_FOLDER)
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"tyndau: DAG file {path} does not import:\n{error}", file=sys.stderr)
        return 2
    for dag_id in dag_ids:
        dag = bag.get_dag(dag_id)
        if dag is None:
            print(f"tyndau: no DAG named {dag_id}", file=sys.stderr)
            return 2
        run = dag.test(run_conf={k: v for k, v in (conf or {}).items() if k in dag.params})
        outcome = {
            ti.task_id: (
                ti.state,
                ti.xcom_pull(task_ids=ti.task_id) if ti.state == "success" else None,
            )
            for ti in run.get_task_instances()
        }
        print(
            "TYNDAU-RESULT "
            + json.dumps(
                {"dag_id": dag_id, "state": str(run.state), "tasks": outcome}, default=str
            ),
            flush=True,
        )
        if run.state != DagRunState.SUCCESS:
            failed = [t for t, (state, _) in outcome.items() if state != "success"]
            print(
                f"tyndau: {dag_id} ended {run.state}; not successful: {', '.join(failed)}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    # argv: a JSON object of run parameters, then the DAG ids in order
    sys.exit(run_dags(sys.argv[2:], json.loads(sys.argv[1])))
