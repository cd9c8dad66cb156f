"""`tyndau bi`: Apache Superset on the published marts, with the dashboards committed in
bi/superset/ (docs/bi.md).

Superset lives in an environment of its own, built from bi/requirements.lock (its pins, such as
sqlalchemy<2 and pandas<2.2, conflict with Airflow's), and is driven from outside: its metadata
is SQLite under <state dir>/superset/, its secret key is generated there once, the warehouse is
registered as the analysts' role `tyndau_reader` (it sees `marts` only), and bi/provision.py,
run by Superset's Python, migrates, creates the `admin` login and imports the dashboards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ingestion.common.secrets import register_secret
from tyndau.serving import stop_process_groups, wait_for_answer
from tyndau.settings import DEFAULT_STATE_DIR, PROJECT_DIR, Settings, kept_secret
from tyndau.warehouse.roles import READER_ROLE, ensure_reader_role
from tyndau.warehouse.url import make_url, url_parts

BI_DIR = PROJECT_DIR / "bi"
ASSETS_DIR = BI_DIR / "superset"
LOCK_FILE = BI_DIR / "requirements.lock"
#: one environment per checkout, whatever TYNDAU_STATE_DIR says: a test's state dir reuses it
VENV_DIR = DEFAULT_STATE_DIR / "bi-venv"
ADMIN = "admin"


class BIError(RuntimeError):
    pass


def superset_python(venv: Path = VENV_DIR, progress=lambda message: None) -> Path:
    """The Python of Superset's environment, (re)built with uv from the lock file when missing
    or older than the lock. A failed build (no registry in reach) is an error, never a skip."""
    python, stamp = venv / "bin" / "python", venv / ".synced"
    if stamp.exists() and stamp.stat().st_mtime >= LOCK_FILE.stat().st_mtime:
        return python
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise BIError("uv is not installed: `make .venv/.synced` installs it")
    progress(f"building Superset's environment in {venv} (from {LOCK_FILE.name}) …")
    # bytecode compiled once, at install (see the Makefile's .venv)
    sync = [uv, "pip", "sync", "--quiet", "--compile-bytecode"]
    for command in (
        [uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(venv)],
        [*sync, "--python", str(python), str(LOCK_FILE)],
    ):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise BIError(f"building Superset's environment failed: {done.stderr.strip()[-2000:]}")
    stamp.touch()
    return python


def home(settings: Settings) -> Path:
    """Superset's own state: its SQLite metadata, secret key, admin password and logs."""
    return settings.state_dir / "superset"


def admin_password(settings: Settings) -> str:
    """TYNDAU_BI_PASSWORD, else one generated on first use and kept (mode 600)."""
    return settings.bi_password or kept_secret(home(settings) / "admin.password")


def reader_password(settings: Settings, warehouse_url: str) -> str:
    """TYNDAU_READER_PASSWORD; on the embedded warehouse without it, one generated once and kept
    under the state dir, given to the role here (a publish without a password leaves a login
    as it is). Another warehouse's reader is its owner's business: there it must be set."""
    if settings.reader_password:
        return settings.reader_password
    if settings.warehouse_url:
        raise BIError(
            f"TYNDAU_READER_PASSWORD is not set: Superset reads the marts as {READER_ROLE}, "
            "which logs in with it (set it for `tyndau run` too, which gives the role its login)"
        )
    password = kept_secret(home(settings) / "reader.password")
    register_secret(password)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        ensure_reader_role(conn, password, settings.reader_statement_timeout)
    return password


def reader_uri(settings: Settings, warehouse_url: str) -> str:
    """The warehouse as tyndau_reader logs in to it; checks that it can, and sees marts."""
    password = reader_password(settings, warehouse_url)
    uri = make_url(**(url_parts(warehouse_url) | {"user": READER_ROLE, "password": password}))
    try:
        with psycopg.connect(uri, connect_timeout=10) as conn:
            marts = conn.execute(
                "select count(*) from information_schema.tables where table_schema = 'marts'"
            ).fetchone()[0]
    except psycopg.OperationalError as error:
        raise BIError(
            f"{READER_ROLE} cannot log in ({_first_line(error)}): on another warehouse than the "
            "embedded one, a publish with TYNDAU_READER_PASSWORD set gives it that password"
        ) from None
    if not marts:
        raise BIError(f"{READER_ROLE} sees no published marts: `tyndau demo` or `tyndau run`")
    return uri


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def superset_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """What Superset's processes run with (bi/superset_config.py reads it)."""
    state = home(settings)
    state.mkdir(parents=True, exist_ok=True)
    return (
        dict(os.environ)
        | {
            "SUPERSET_CONFIG_PATH": str(BI_DIR / "superset_config.py"),
            "SUPERSET_HOME": str(state),
            "TYNDAU_BI_SECRET_KEY": kept_secret(state / "secret_key", nbytes=42),
            "TYNDAU_BI_METADATA_URL": f"sqlite:///{state / 'superset.db'}",
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


def provision(settings: Settings, python: Path, warehouse_uri: str) -> dict:
    """Migrate Superset's metadata, set the admin login, import bi/superset/ with the warehouse
    at `warehouse_uri` (bi/provision.py); returns what Superset then holds."""
    logs = home(settings) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = superset_environment(
        settings,
        TYNDAU_BI_ADMIN_PASSWORD=admin_password(settings),
        TYNDAU_BI_ASSETS=str(ASSETS_DIR),
        TYNDAU_BI_WAREHOUSE_URI=warehouse_uri,
    )
    log = logs / "provision.log"
    with log.open("w") as err:
        done = subprocess.run(
            [str(python), str(BI_DIR / "provision.py")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    if done.returncode:
        raise BIError(f"importing the dashboards into Superset failed (see {log})")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class SupersetServer:
    url: str
    log: Path
    proc: subprocess.Popen

    def stop(self, grace: float = 30) -> None:
        stop_process_groups([self.proc], grace)  # gunicorn and its worker


def start_server(
    settings: Settings, python: Path, port: int = 8088, host: str = "127.0.0.1"
) -> SupersetServer:
    """Superset's web server (gunicorn, one worker with threads: SQLite takes one writer)."""
    log = home(settings) / "logs" / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(python), "-m", "gunicorn", "--workers", "1", "--threads", "8", "--timeout", "120",
        "--bind", f"{host}:{port}", "superset.app:create_app()",
    ]  # fmt: skip
    with log.open("a") as out:
        proc = subprocess.Popen(
            command,
            env=superset_environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us; we stop it
        )
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    return SupersetServer(url=f"http://{shown}:{port}", log=log, proc=proc)


def wait_until_healthy(server: SupersetServer, port: int, timeout: float = 180) -> None:
    def check_alive() -> None:
        if server.proc.poll() is not None:
            raise BIError(f"Superset exited {server.proc.returncode} (see {server.log})")

    if not wait_for_answer(f"http://127.0.0.1:{port}/health", check_alive, timeout):
        raise BIError(f"Superset did not answer in {timeout:.0f} s (see {server.log})")
