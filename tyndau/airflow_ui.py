"""`tyndau airflow`: Airflow's four components on the embedded set-up, with the UI.

The same environment as `tyndau run` (tyndau.airflow_env: SQLite metadata under the state dir,
the DAGs, their connections and variables), plus what a long-running Airflow needs: the
LocalExecutor with one task at a time (SQLite takes one writer), Airflow 3's SimpleAuthManager
with one `admin` login, and the API server on the chosen port.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tyndau.airflow_env import airflow_environment, migrate_metadata
from tyndau.serving import wait_for_answer
from tyndau.settings import ConfigError, Settings, kept_secret

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
ADMIN = "admin"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)


class AirflowUIError(RuntimeError):
    pass


def admin_password(settings: Settings) -> str:
    """TYNDAU_AIRFLOW_PASSWORD, else one generated on first use and kept (mode 600)."""
    return settings.airflow_password or kept_secret(settings.airflow_home / "admin.password")


#: `tyndau airflow --component NAME`: one component in the foreground (a container's command)
COMPONENT_COMMANDS = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
    "celery-worker": ["celery", "worker"],
    "db-migrate": ["db", "migrate"],
}


def ui_environment(settings: Settings, warehouse_url: str, port: int, host: str) -> dict[str, str]:
    """Airflow's environment for long-running components. The defaults suit one machine with
    SQLite metadata; the environment overrides them (docker-compose.yml sets CeleryExecutor,
    Postgres metadata and the API server's address)."""
    base_url = settings.airflow_base_url or f"http://localhost:{port}"
    settings = settings.replace(airflow_base_url=base_url)
    passwords = settings.airflow_home / "simple_auth_manager_passwords.json"
    passwords.parent.mkdir(parents=True, exist_ok=True)
    passwords.touch(mode=0o600)
    passwords.write_text(json.dumps({ADMIN: admin_password(settings)}))
    defaults = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "1",
        # tasks report to the API server they were started next to
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }
    return (
        defaults
        | dict(os.environ)
        | airflow_environment(settings, warehouse_url)
        | {
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__HOST": host,
            "AIRFLOW__API__PORT": str(port),
        }
    )


def exec_component(name: str, settings: Settings, warehouse_url: str, port: int, host: str) -> None:
    """Become one Airflow component (exec: signals reach it directly, as a container's PID 1)."""
    env = ui_environment(settings, warehouse_url, port, host)
    command = [_airflow_bin(), *COMPONENT_COMMANDS[name]]
    os.execve(command[0], command, env)


@dataclass
class AirflowProcesses:
    """The running components; `stop()` ends them (and only them) cleanly."""

    url: str
    logs: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}

    def stop(self, grace: float = 30) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                # each component leads its own process group: its workers stop with it
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def start_airflow(
    settings: Settings, warehouse_url: str, port: int = 8080, host: str = "127.0.0.1"
) -> AirflowProcesses:
    """Migrate the metadata database, then start the four components, logging under
    <state dir>/logs/airflow/. Returns once they run (the UI may take a while longer)."""
    env = ui_environment(settings, warehouse_url, port, host)
    logs = settings.state_dir / "logs" / "airflow"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "db-migrate.log").open("w") as log:
        try:
            migrate_metadata(settings, env, log)
        except ConfigError as exc:
            raise AirflowUIError(str(exc)) from None
    running = AirflowProcesses(url=env["AIRFLOW__API__BASE_URL"], logs=logs)
    try:
        for name in COMPONENTS:
            with (logs / f"{name}.log").open("a") as log:
                running.procs[name] = subprocess.Popen(
                    [_airflow_bin(), name],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches us; we stop them in order
                )
    except BaseException:  # Ctrl-C half-way: leave nothing running
        running.stop()
        raise
    return running


def wait_until_healthy(running: AirflowProcesses, port: int, timeout: float = 180) -> None:
    """Wait for the API server to answer its health check; fail if a component dies."""

    def check_alive() -> None:
        if dead := running.exited():
            name, code = next(iter(dead.items()))
            raise AirflowUIError(f"airflow {name} exited {code} (see {running.logs}/{name}.log)")

    health = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    if not wait_for_answer(health, check_alive, timeout):
        raise AirflowUIError(
            f"the API server did not answer in {timeout:.0f} s (see {running.logs})"
        )
