"""docker-compose.yml, the Dockerfile and .env.example agree with each other and with the code.

No Docker engine runs here, so these check what can be checked without one: the files parse,
and every service, image, path, port, variable and command they name exists.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tyndau.airflow_env import airflow_environment, executor_environment
from tyndau.airflow_ui import COMPONENT_COMMANDS
from tyndau.cli import main as cli
from tyndau.settings import PROJECT_DIR, SANDBOX_BLOGS_FILE, Settings, env_name, load_settings

COMPOSE = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (PROJECT_DIR / "Dockerfile").read_text()
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (PROJECT_DIR / ".env.example").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
ONE_SHOT = {"airflow-init", "metabase-provision"}
TYNDAU_SERVICES = [name for name, s in SERVICES.items() if "build" in s]
AIRFLOW_SERVICES = [name for name in SERVICES if name.startswith("airflow-")]


def _interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, filled from .env.example."""

    def fill(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in ENV_EXAMPLE and (ENV_EXAMPLE[name] or op != ":-"):
            return ENV_EXAMPLE[name]
        if op == ":-":
            return arg
        raise AssertionError(f"${{{name}}} is neither in .env.example nor defaulted")

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", fill, str(value))


def _environment(service: str) -> dict[str, str]:
    return {k: _interpolate(v) for k, v in (SERVICES[service].get("environment") or {}).items()}


def test_every_service_the_stack_needs_is_there():
    assert {
        "postgres",
        "redis",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "metabase",
        "metabase-provision",
        "sandbox",
    } <= set(SERVICES)
    assert set(AIRFLOW_SERVICES) <= set(TYNDAU_SERVICES)


def test_every_build_is_the_projects_dockerfile_and_one_image():
    for name in TYNDAU_SERVICES:
        build = SERVICES[name]["build"]
        assert (build["context"], build["dockerfile"]) == (".", "Dockerfile"), name
    assert len({SERVICES[name]["image"] for name in TYNDAU_SERVICES}) == 1


def test_every_variable_is_in_env_example_or_defaulted():
    text = (PROJECT_DIR / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    assert used
    for name in SERVICES:
        _environment(name)  # raises on a variable neither in .env.example nor defaulted
        for key in ("ports", "deploy"):
            _interpolate(SERVICES[name].get(key))
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required <= set(ENV_EXAMPLE), required - set(ENV_EXAMPLE)
    assert not {k for k, v in ENV_EXAMPLE.items() if "PASSWORD" in k and v != "change-me"}


def test_airflow_services_get_a_runnable_tyndau_configuration():
    """The variables tyndau.settings reads, as the Airflow containers get them, make a set-up
    that runs against the stack's own services."""
    assert len({str(SERVICES[n]["environment"]) for n in AIRFLOW_SERVICES}) == 1
    env = _environment("airflow-scheduler")
    dockerfile_env = dict(
        re.findall(r"(\w+)=(\S+)", DOCKERFILE.split("ENV", 1)[1].split("\n\n")[0])
    )
    settings = load_settings(dockerfile_env | env)
    # every name tyndau.settings reads: one per declared setting
    read = {env_name(field) for field in Settings.model_fields}
    assert {"WAREHOUSE_URL", "HTTP_MAX_BODY_MB"} <= read
    # all of them, but Metabase's: those are metabase-provision's alone
    metabase_only = {name for name in read if name.startswith("METABASE_")}
    assert metabase_only == {"METABASE_URL", "METABASE_ADMIN_EMAIL", "METABASE_ADMIN_PASSWORD"}
    assert read - set(env) - set(dockerfile_env) == metabase_only
    assert not metabase_only & set(env)  # the Metabase admin's password stays out of Airflow
    assert settings.warehouse_url.startswith("postgresql://tyndau:")
    assert "@postgres:5432/tyndau" in settings.warehouse_url
    assert "@postgres:5432/airflow" in settings.airflow_metadata_url
    assert settings.state_dir == Path("/opt/tyndau/state")
    assert dockerfile_env["AIRFLOW_HOME"] == str(settings.airflow_home)
    built = airflow_environment(settings, settings.warehouse_url)
    assert built["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == settings.airflow_metadata_url
    assert '"host": "postgres"' in built["AIRFLOW_CONN_TYNDAU_WAREHOUSE"]
    # the demo's sources are the sandbox services, on the ports their commands serve
    sandbox_ports = {
        name: SERVICES[name]["command"][SERVICES[name]["command"].index("--port") + 1]
        for name in ("sandbox", "sandbox-opendata")
    }
    assert settings.dialog_base_url == f"http://sandbox:{sandbox_ports['sandbox']}"
    # a crawl needs its portal's registry: the sandbox's, shipped in the image
    assert settings.dialog_blogs_file.relative_to("/opt/tyndau") == SANDBOX_BLOGS_FILE.relative_to(
        PROJECT_DIR
    )
    assert settings.opendata_base_url == (
        f"http://sandbox-opendata:{sandbox_ports['sandbox-opendata']}"
    )
    watch = Path(settings.opendata_watch_file).relative_to("/opt/tyndau")
    assert (PROJECT_DIR / watch).is_file()
    # the worker, where tasks run, has the complaints inbox mounted
    mounts = [v.split(":")[1] for v in SERVICES["airflow-worker"]["volumes"]]
    assert str(settings.complaints_inbox) in mounts


def test_mounted_paths_exist_and_named_volumes_are_declared():
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (PROJECT_DIR / source).exists(), (name, source)
            else:
                assert source in COMPOSE["volumes"], (name, source)


def test_host_ports_do_not_clash():
    published = [
        _interpolate(port).rsplit(":", 1)[0]
        for service in SERVICES.values()
        for port in service.get("ports", [])
    ]
    host_ports = [p.rsplit(":", 1)[-1] for p in published]
    assert len(host_ports) == len(set(host_ports)), host_ports


def test_long_running_services_have_healthchecks():
    for name, service in SERVICES.items():
        if name not in ONE_SHOT:
            assert service.get("healthcheck", {}).get("test"), name
    for name in AIRFLOW_SERVICES:
        if name not in ONE_SHOT:
            deps = SERVICES[name]["depends_on"]
            assert deps["airflow-init"]["condition"] == "service_completed_successfully"
            assert deps["postgres"]["condition"] == "service_healthy"


def test_images_are_pinned():
    images = [s["image"] for n, s in SERVICES.items() if n not in TYNDAU_SERVICES]
    images += re.findall(r"^FROM\s+(\S+)", DOCKERFILE, re.M)
    for image in images:
        name, _, tag = image.partition(":")
        assert tag and tag != "latest" and re.search(r"\d", tag), image


def test_dockerfile_copies_what_exists_and_installs_the_lock():
    for line in re.findall(r"^COPY\s+(.+)$", DOCKERFILE, re.M):
        sources = [w for w in shlex.split(line) if not w.startswith("--")][:-1]
        for source in sources:
            assert (PROJECT_DIR / source).exists(), source
    assert "--require-hashes -r requirements.lock" in DOCKERFILE
    assert re.search(r"^\s+UV_COMPILE_BYTECODE=1", DOCKERFILE, re.M)
    assert re.search(r'^ENTRYPOINT \["tyndau"\]', DOCKERFILE, re.M)


def test_the_lock_has_what_the_celery_executor_needs():
    """CeleryExecutor (the workers) comes with Airflow's celery provider, and the installed
    celery is one whose database result backend the provider can import (celery 5.7's is not)."""
    assert {
        s["environment"]["AIRFLOW__CORE__EXECUTOR"] for s in map(SERVICES.get, AIRFLOW_SERVICES)
    } == {"CeleryExecutor"}
    lock = (PROJECT_DIR / "requirements.lock").read_text()
    assert re.search(r"^apache-airflow-providers-celery==", lock, re.M)
    done = subprocess.run(
        [sys.executable, "-c", "import airflow.providers.celery.executors.celery_executor_utils"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("service", AIRFLOW_SERVICES)
def test_the_executor_settings_are_the_distributed_modes(service):
    """Each Airflow container's executor settings are tyndau.airflow_env's one definition of
    them, the one `tyndau airflow --executor celery` starts (tests/e2e/test_airflow_celery.py),
    with the stack's hosts: Postgres `postgres`, Redis `redis`."""
    env = _environment(service)
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert metadata.startswith("postgresql+psycopg://airflow:")
    assert metadata.endswith("@postgres:5432/airflow")
    redis = SERVICES["redis"]
    assert redis["image"].startswith("redis:")
    expected = executor_environment(
        "celery", metadata, "redis://redis:6379/0", ENV_EXAMPLE["AIRFLOW_WORKER_CONCURRENCY"]
    )
    assert {key: env.get(key) for key in expected} == expected
    # and what tyndau builds on top of the containers' environment (tyndau.airflow_ui's
    # ui_environment: theirs, then this) does not undo it
    built = airflow_environment(load_settings(env), env["WAREHOUSE_URL"])
    assert {k: v for k, v in built.items() if k in expected} == {
        k: v for k, v in expected.items() if k in built
    }


def _tyndau_commands() -> set[str]:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "tyndau"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(re.findall(r"^  (\w[\w-]*)\s", out.split("Commands:")[1], re.M))


@pytest.mark.parametrize("service", TYNDAU_SERVICES)
def test_each_tyndau_service_runs_a_real_command(service):
    entrypoint = SERVICES[service].get("entrypoint")
    command = [_interpolate(a) for a in SERVICES[service]["command"]]
    if entrypoint:  # the open-data sandbox: python -m sandbox.opendata
        done = subprocess.run(
            [sys.executable, *entrypoint[1:], *command, "--help"], capture_output=True
        )
        assert done.returncode == 0, done.stderr
        return
    assert command[0] in _tyndau_commands()
    if command[0] == "airflow":
        # parses with the real CLI's options (an unknown component would not)
        ctx = cli.commands["airflow"].make_context("airflow", command[1:])
        assert ctx.params["component"] in COMPONENT_COMMANDS
    else:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "tyndau"), *command, "--help"], capture_output=True
        )
        assert done.returncode == 0, done.stderr


def test_metabase_is_provisioned_once_it_is_healthy():
    """The one-shot metabase-provision waits for Metabase's /api/health, and gets a runnable
    provisioning configuration: Metabase by its service name, the warehouse as the Airflow
    containers reach it, the reader's password they use."""
    from tyndau.metabase import METABASE_VERSION, require

    assert SERVICES["metabase"]["image"] == f"metabase/metabase:{METABASE_VERSION}"
    assert "/api/health" in " ".join(SERVICES["metabase"]["healthcheck"]["test"])
    provision = SERVICES["metabase-provision"]
    assert provision["depends_on"]["metabase"]["condition"] == "service_healthy"
    assert provision["restart"] == "no"
    assert provision["command"] == ["metabase", "provision"]
    env = _environment("metabase-provision")
    settings = load_settings(env)
    require(settings)  # raises naming what is missing
    port = SERVICES["metabase"]["ports"][0].rsplit(":", 1)[-1]
    assert settings.metabase_url == f"http://metabase:{port}"
    airflow = _environment("airflow-scheduler")
    for name in ("WAREHOUSE_URL", "TYNDAU_READER_PASSWORD", "READER_STATEMENT_TIMEOUT"):
        assert env[name] == airflow[name], name
