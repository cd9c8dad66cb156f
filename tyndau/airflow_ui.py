"""`tyndau airflow`: Airflow's four components on the embedded set-up, with the UI.

The same environment as `tyndau run` (tyndau.airflow_env: SQLite metadata under the state dir,
the DAGs, their connections and variables), plus what a long-running Airflow needs: the
LocalExecutor (one task at a time on SQLite, which takes one writer; several on Postgres
metadata), Airflow 3's SimpleAuthManager with one `admin` login, and the API server on the
chosen port.

`--executor celery` runs the compose stack's topology as processes of this machine: Redis (a
`redis-server` of its own under the state dir, unless AIRFLOW__CELERY__BROKER_URL names one),
Postgres metadata (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, else a database `airflow` beside the
warehouse), the four components and N Celery workers, each with its own log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tyndau.airflow_env import (
    WORKER_CONCURRENCY,
    airflow_environment,
    executor_environment,
    migrate_metadata,
)
from tyndau.serving import stop_process_groups, wait_for_answer
from tyndau.settings import ConfigError, Settings, kept_secret
from tyndau.warehouse.url import with_database

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


def ui_environment(
    settings: Settings,
    warehouse_url: str,
    port: int,
    host: str,
    executor_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """Airflow's environment for long-running components. The defaults suit one machine (the
    LocalExecutor); the environment overrides them (docker-compose.yml sets the CeleryExecutor's
    and the API server's address), and `executor_env` (`tyndau airflow --executor celery`)
    overrides both."""
    base_url = settings.airflow_base_url or f"http://localhost:{port}"
    settings = settings.replace(airflow_base_url=base_url)
    passwords = settings.airflow_home / "simple_auth_manager_passwords.json"
    passwords.parent.mkdir(parents=True, exist_ok=True)
    passwords.touch(mode=0o600)
    wanted = json.dumps({ADMIN: admin_password(settings)})
    if passwords.read_text() != wanted:  # each component of `tyndau airflow` comes here
        passwords.write_text(wanted)
    airflow = airflow_environment(settings, warehouse_url)
    defaults = executor_environment("local", airflow["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) | {
        # tasks report to the API server they were started next to
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }
    # a long-running Airflow retries a failed task (a worker that died mid-task, a warehouse
    # restarting): landing is idempotent and resumes, a build publishes all or nothing.
    # A failed quality gate or a configuration error raises AirflowFailException: no retry
    retries = {
        "AIRFLOW__CORE__DEFAULT_TASK_RETRIES": str(settings.task_retries),
        "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": str(settings.task_retry_delay_seconds),
    }
    return (
        defaults
        | dict(os.environ)
        | airflow
        | retries
        | (executor_env or {})
        | {
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__HOST": host,
            "AIRFLOW__API__PORT": str(port),
        }
    )


#: the name `tyndau airflow --executor celery` gives each worker it starts (w1, w2, …)
WORKER = "TYNDAU_WORKER_NAME"


def exec_component(
    name: str,
    settings: Settings,
    warehouse_url: str,
    port: int,
    host: str,
    executor: str | None = None,
    concurrency: int = WORKER_CONCURRENCY,
) -> None:
    """Become one Airflow component (exec: signals reach it directly, as a container's PID 1).
    `executor` "celery": the cluster's settings from AIRFLOW__DATABASE__SQL_ALCHEMY_CONN and
    AIRFLOW__CELERY__BROKER_URL (a component on a machine of its own); None: the environment's,
    as the containers set them."""
    executor_env = None
    if executor == "celery":
        if not settings.airflow_metadata_url:
            raise ConfigError(
                "--executor celery --component needs AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
            )
        broker = os.environ.get("AIRFLOW__CELERY__BROKER_URL")
        executor_env = executor_environment(
            "celery",
            settings.airflow_metadata_url,
            broker,
            concurrency,
            settings.task_heartbeat_timeout_seconds,
        )
    env = ui_environment(settings, warehouse_url, port, host, executor_env)
    command = [_airflow_bin(), *COMPONENT_COMMANDS[name]]
    if name == "celery-worker" and env.get(WORKER):
        # one of several workers on one machine: a node name of its own, its tasks' hostname
        # saying which ran them, and no log server (one port; the task logs are on this disk)
        command += ["--celery-hostname", f"{env[WORKER]}@%h", "--skip-serve-logs"]
        env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] = "tyndau.airflow_ui.worker_hostname"
    os.execve(command[0], command, env)


@dataclass
class AirflowProcesses:
    """The running components; `stop()` ends them (and only them) cleanly."""

    url: str
    logs: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    #: how each was started, to start it again
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    #: when our own Redis was last started again
    broker_restarts: list[float] = field(default_factory=list)

    def workers(self) -> list[str]:
        return [name for name in self.procs if name.startswith("worker-")]

    def describe(self) -> str:
        executor = self.env.get("AIRFLOW__CORE__EXECUTOR", "?")
        if executor != "CeleryExecutor":
            return f"{executor}, {self.env.get('AIRFLOW__CORE__PARALLELISM')} task(s) at once"
        concurrency = self.env.get("AIRFLOW__CELERY__WORKER_CONCURRENCY")
        return (
            f"{executor}, {len(self.workers())} worker(s) here × {concurrency} tasks, broker"
            f" {self.env.get('AIRFLOW__CELERY__BROKER_URL')}"
        )

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}

    def stop(self, grace: float = 30) -> None:
        """Airflow's processes first, then the broker they talk to."""
        broker = {name: p for name, p in self.procs.items() if name == "redis"}
        for group in ({n: p for n, p in self.procs.items() if n not in broker}, broker):
            # each component leads its own process group: its workers stop with it
            stop_process_groups(group.values(), grace)

    def restart_broker(self, timeout: float = 30) -> bool:
        """Start our own Redis again after it exited, on its port, from its append-only file
        (as compose's `restart: unless-stopped` does); False (a lost component) if it is not
        ours, or if it exited three times within a minute."""
        if "redis" not in self.commands:
            return False
        now = time.monotonic()
        self.broker_restarts = [t for t in self.broker_restarts if now - t < 60]
        if len(self.broker_restarts) >= 3:
            return False
        self.broker_restarts.append(now)
        self.start("redis", *self.commands["redis"])
        _wait_for_redis(self, self.env["AIRFLOW__CELERY__BROKER_URL"], timeout)
        return True

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.commands[name] = (command, env)
        with (self.logs / f"{name}.log").open("a") as log:
            self.procs[name] = subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us; we stop them in order
                preexec_fn=_die_with_parent,
            )


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when `tyndau airflow` dies, however it dies (Linux's
    parent-death signal), so no component, worker or broker outlives it."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def worker_hostname() -> str:
    """Airflow's hostname_callable on the workers `tyndau airflow --executor celery` starts:
    the Celery node's name (w1@host), so a task instance says which worker ran it even when
    they share a machine."""
    from airflow.utils.net import getfqdn

    return f"{os.environ[WORKER]}@{getfqdn()}"


def _airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


METADATA_DATABASE = "airflow"


def metadata_database(warehouse_url: str) -> str:
    """A database `airflow` on the warehouse's server (the embedded one by default), made when
    missing, owned by the warehouse's role; its URL."""
    try:
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            found = conn.execute(
                "select 1 from pg_database where datname = %s", [METADATA_DATABASE]
            ).fetchone()
            if not found:
                create = sql.SQL("create database {}").format(sql.Identifier(METADATA_DATABASE))
                conn.execute(create)
    except psycopg.Error as exc:
        raise ConfigError(
            f"cannot make Airflow's metadata database `{METADATA_DATABASE}` beside the warehouse"
            f" ({exc.diag.message_primary or exc}): set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
        ) from None
    return with_database(warehouse_url, METADATA_DATABASE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(running: AirflowProcesses, data: Path, timeout: float = 30) -> str:
    """Debian's redis-server on a free loopback port, its data (append-only file: queued tasks
    survive its restart) under `data`, in the foreground as one of `running`; its URL."""
    server = shutil.which("redis-server")
    if not server:
        raise ConfigError("redis-server is not installed: `make redis` installs Debian's")
    data.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    running.start(
        "redis",
        [server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
         "--appendonly", "yes", "--save", "", "--daemonize", "no"],
        dict(os.environ),
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    _wait_for_redis(running, url, timeout)
    return url


def _wait_for_redis(running: AirflowProcesses, url: str, timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "redis" in running.exited():
            raise AirflowUIError(f"redis-server exited (see {running.logs}/redis.log)")
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.2)
    raise AirflowUIError(f"redis-server did not answer in {timeout:.0f} s")


def start_airflow(
    settings: Settings,
    warehouse_url: str,
    port: int = 8080,
    host: str = "127.0.0.1",
    executor: str = "local",
    workers: int = 2,
    concurrency: int = WORKER_CONCURRENCY,
) -> AirflowProcesses:
    """Migrate the metadata database, then start the four components (and, with the celery
    executor, Redis and `workers` Celery workers), logging under <state dir>/logs/airflow/.
    Returns once they run (the UI may take a while longer)."""
    logs = settings.state_dir / "logs" / "airflow"
    logs.mkdir(parents=True, exist_ok=True)
    running = AirflowProcesses(url="", logs=logs)
    try:
        executor_env = None
        if executor == "celery":
            metadata = settings.airflow_metadata_url or metadata_database(warehouse_url)
            settings = settings.replace(airflow_metadata_url=metadata)
            broker = os.environ.get("AIRFLOW__CELERY__BROKER_URL") or start_redis(
                running, settings.state_dir / "redis"
            )
            executor_env = executor_environment(
                "celery", metadata, broker, concurrency, settings.task_heartbeat_timeout_seconds
            )
        env = ui_environment(settings, warehouse_url, port, host, executor_env)
        running.url, running.env = env["AIRFLOW__API__BASE_URL"], env
        with (logs / "db-migrate.log").open("w") as log:
            migrate_metadata(settings, env, log)
        # each process runs what its container runs in docker-compose.yml
        component = [str(Path(sys.executable).parent / "tyndau"), "airflow", "--component"]
        address = ["--port", str(port), "--host", host]
        env |= {"WAREHOUSE_URL": warehouse_url}
        for name in COMPONENTS:
            running.start(name, [*component, name, *address], env)
        for n in range(1, workers + 1 if executor == "celery" else 1):
            name = f"w{n}"
            running.start(f"worker-{name}", [*component, "celery-worker"], env | {WORKER: name})
    except ConfigError as exc:
        running.stop()
        raise AirflowUIError(str(exc)) from None
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
