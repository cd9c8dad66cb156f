"""Run DAGs once through Airflow's own `dag.test()`, in a process whose environment is Airflow's.

`tyndau run` starts this module as a subprocess (Airflow reads its configuration from the
environment at import time, so it gets a fresh interpreter) and reads its exit status.
"""

from __future__ import annotations

import json
import sys


def run_dags(
    dag_ids: list[str], conf: dict | None = None, logical_dates: list[str] | None = None
) -> int:
    """Run each DAG once, or once per logical date (ISO) given: a backfill's runs, in order."""
    import pendulum
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
        for logical_date in logical_dates or [None]:
            run = dag.test(
                run_conf={k: v for k, v in (conf or {}).items() if k in dag.params},
                **({"logical_date": pendulum.parse(logical_date)} if logical_date else {}),
            )
            outcome = {
                ti.task_id: (
                    ti.state,
                    ti.xcom_pull(task_ids=ti.task_id) if ti.state == "success" else None,
                )
                for ti in run.get_task_instances()
            }
            result = {"dag_id": dag_id, "state": str(run.state), "tasks": outcome}
            if logical_date:
                result["logical_date"] = logical_date
            print("TYNDAU-RESULT " + json.dumps(result, default=str), flush=True)
            if run.state != DagRunState.SUCCESS:
                failed = [t for t, (state, _) in outcome.items() if state != "success"]
                print(
                    f"tyndau: {dag_id} ended {run.state}; not successful: {', '.join(failed)}",
                    file=sys.stderr,
                )
                return 1
    return 0


if __name__ == "__main__":
    # argv: a JSON object {"conf": run parameters, "logical_dates": [...]}, then the DAG ids
    options = json.loads(sys.argv[1])
    sys.exit(run_dags(sys.argv[2:], options.get("conf"), options.get("logical_dates")))
