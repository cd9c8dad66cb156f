"""Run the pipeline once, through the real Airflow DAGs, and report what each step did."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tyndau.airflow_env import airflow_environment, migrate_metadata
from tyndau.dag_runner import NOT_RUN, PARENT_PID_VARIABLE
from tyndau.settings import ConfigError, Settings
from tyndau.sources import SOURCES

#: the DAG that builds and publishes the marts, scheduled on the sources' Assets
BUILD_DAG = "warehouse_build"


def pipeline_dags(settings: Settings) -> list[str]:
    """The ingest DAGs of the sources that are configured, then the warehouse build."""
    return [*(s.dag_id for s in SOURCES if s.configured(settings)), BUILD_DAG]


# Airflow log lines worth echoing while a run goes on: our own loggers and task starts.
_ECHO_MARKERS = ("[ingestion.", "[tyndau.", "[expectations.", "[DAG TEST] running task")


@dataclass
class PipelineResult:
    log_file: Path
    dag_results: list[dict] = field(default_factory=list)

    @property
    def published(self) -> bool:
        """Whether the run's warehouse build succeeded, i.e. published the marts."""
        return any(r["dag_id"] == BUILD_DAG and r["state"] == "success" for r in self.dag_results)

    def failures(self) -> list[str]:
        """One line per failed task (or DAG not run): `dag.task failed: why`."""
        lines = []
        for r in self.dag_results:
            where = r["dag_id"] + (f" ({r['logical_date']})" if "logical_date" in r else "")
            if r["state"] == NOT_RUN:
                lines.append(f"{where} not run: {r['reason']}")
            for task_id, why in sorted(r.get("failures", {}).items()):
                lines.append(f"{where}.{task_id} failed: {_one_line(why)}")
            if r["state"] not in ("success", NOT_RUN) and not r.get("failures"):
                lines.append(f"{where} ended {r['state']}")
        return lines


class PipelineError(RuntimeError):
    """The run did not do all it should; `result` (when the DAGs ran) says what it did."""

    def __init__(self, message: str, result: PipelineResult | None = None):
        super().__init__(message)
        self.result = result


def _one_line(text: str, limit: int = 400) -> str:
    """A reason on one line: the report of rejected files lists one file a line."""
    text = "; ".join(line.strip() for line in text.splitlines() if line.strip())
    text = text.replace(":; ", ": ")  # "2 files set aside:" then the files
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _echo(line: str, out) -> None:
    if any(marker in line for marker in _ECHO_MARKERS):
        text = line.split("] ", 1)[-1] if "[DAG TEST]" not in line else line
        text = text.split(" loc=", 1)[0].strip()  # the source location is for the log file
        print("  " + text[:160], file=out, flush=True)


def _report_dag(dag_result: dict, out) -> None:
    """One line per DAG, what each task that returned a summary said, and why tasks failed."""
    print(f"{dag_result['dag_id']}: {dag_result['state']}", file=out, flush=True)
    if dag_result["state"] == NOT_RUN:
        print(f"  {dag_result['reason']}", file=out, flush=True)
    for task_id, (state, returned) in sorted(dag_result["tasks"].items()):
        if isinstance(returned, dict):
            said = ", ".join(f"{k}={v}" for k, v in returned.items())
            line = f"  {task_id} ({state}): {said}"
            print(line if len(line) <= 160 else line[:159] + "…", file=out, flush=True)
    for task_id, why in sorted(dag_result.get("failures", {}).items()):
        print(f"  {task_id} (failed): {why}", file=out, flush=True)


class _Stopped(BaseException):
    """A signal asked `tyndau run` to stop (BaseException: no task code may swallow it)."""


@contextmanager
def _dag_runner(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """The DAG runner, in a process group of its own that dies with this process: its group is
    stopped when this returns or raises (Ctrl-C included), on SIGTERM and SIGHUP, and the
    runner itself stops when this process is killed outright (`dag_runner.die_with_parent`)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tyndau.dag_runner", *args],
        env=env | {PARENT_PID_VARIABLE: str(os.getpid())},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        process_group=0,
    )
    handled = (signal.SIGTERM, signal.SIGHUP)
    previous = {}
    if threading.current_thread() is threading.main_thread():  # where Python takes signals

        def stop(signum, frame):
            raise _Stopped(signum)

        previous = {signum: signal.signal(signum, stop) for signum in handled}
    try:
        yield proc
    except _Stopped as stopped:
        _stop_group(proc)
        raise SystemExit(128 + stopped.args[0]) from None
    finally:
        _stop_group(proc)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_group(proc: subprocess.Popen) -> None:
    """Kill the runner's group outright: Airflow's task runner answers SIGTERM only by calling
    the task's on_kill, and a landing cut short is a load left 'running', as any crash leaves
    it (ingestion.common.ledger)."""
    if proc.poll() is not None:  # its group id may be another's by now
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


#: `dag.test()` never retries a task, and Cosmos's backup for a retried watcher producer
#: rewrites one Variable with every status pushed so far at each push (all of a build's
#: statuses, compressed, ~2,000 times): 19 s of the demo's 146 s build. `tyndau airflow` keeps it.
NO_RETRY_BACKUP = {"AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False"}


def run_pipeline(
    settings: Settings,
    warehouse_url: str,
    dag_ids: list[str] | None = None,
    *,
    conf: dict | None = None,
    logical_dates: list[str] | None = None,
    out=sys.stdout,
) -> PipelineResult:
    """Migrate Airflow's metadata database, then run each DAG once with `dag.test()`.

    `conf` holds run parameters (e.g. `full_refresh`); each DAG takes those it declares.
    `logical_dates` (ISO dates): one run of each DAG per date instead, as a backfill makes.
    """
    env = os.environ | airflow_environment(settings, warehouse_url) | NO_RETRY_BACKUP
    logs = settings.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result = PipelineResult(log_file=logs / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log")
    with result.log_file.open("w") as log:
        print(f"Airflow metadata: {settings.airflow_home} (log: {result.log_file})", file=out)
        try:
            migrate_metadata(settings, env, log)
        except ConfigError as exc:
            raise PipelineError(str(exc)) from None
        options = json.dumps({"conf": conf or {}, "logical_dates": logical_dates})
        runner_args = [options, *(dag_ids or pipeline_dags(settings))]
        errors, last_line = [], ""
        with _dag_runner(runner_args, env) as proc:
            for line in proc.stdout:
                log.write(line)
                last_line = line.strip() or last_line
                if line.startswith("TYNDAU-RESULT "):
                    result.dag_results.append(json.loads(line.removeprefix("TYNDAU-RESULT ")))
                    _report_dag(result.dag_results[-1], out)
                elif line.startswith("tyndau: "):
                    errors.append(line.strip())
                else:
                    _echo(line, out)
            proc.wait()
        if proc.returncode != 0:
            reasons = result.failures() or errors
            reason = "; ".join(reasons) or f"the DAG runner exited {proc.returncode}: {last_line}"
            if result.published:
                reason += f"; {BUILD_DAG} still published the marts, from what raw holds"
            raise PipelineError(f"{reason} (full log: {result.log_file})", result)
    return result
