"""Figure 7, the demo's build: ``warehouse_build`` under ``dag.test()``, as ``tyndau run`` runs
it, on what the demo lands from its three sandboxes (Open Dialogue, open data, the complaint
reports).

The landing runs first and is not timed: the three ingest DAGs through the same
``run_pipeline``. Then the build alone is timed, the wall time of its ``run_pipeline`` call:
Airflow's metadata check, parsing the DAGs (Cosmos renders the dbt project), masking, ``dbt seed``
+ ``dbt build``, the GX gate and publishing, on a fresh database of the benchmark's Postgres.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg

from benchmarks.env import step
from tyndau.demo import stand_ins
from tyndau.pipeline import BUILD_DAG, pipeline_dags, run_pipeline
from tyndau.settings import load_settings


def run(warehouse_url: str, state_dir: Path) -> dict:
    settings = load_settings({"TYNDAU_STATE_DIR": str(state_dir)})
    with stand_ins(settings) as demo, open(os.devnull, "w") as quiet:
        ingest = [dag_id for dag_id in pipeline_dags(demo) if dag_id != BUILD_DAG]
        with step(f"landing the demo's sandboxes ({', '.join(ingest)}; not timed)"):
            run_pipeline(demo, warehouse_url, ingest, out=quiet)
        with step(f"{BUILD_DAG} under dag.test()"):
            started = time.perf_counter()
            result = run_pipeline(demo, warehouse_url, [BUILD_DAG], out=quiet)
            seconds = time.perf_counter() - started
    (build,) = result.dag_results
    with psycopg.connect(warehouse_url) as conn:
        appeals = conn.execute("select count(*) from marts.fct_appeals").fetchone()[0]
    return {
        "seconds": round(seconds, 1),
        "state": build["state"],
        "tasks": len(build["tasks"]),
        "fct_appeals_rows": appeals,
    }
