"""The wheel stands alone: built from the source, installed into an environment of its own and
run from a folder that is no checkout, tyndau finds its dbt project, its DAGs, its GX context
and its registries inside the installed package, and keeps its state out of site-packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")

# run by the installed interpreter, in an empty folder with an empty home
CHECK = """
import os
import sys
from pathlib import Path

import tyndau
from expectations.gate import GX_ROOT
from ingestion.dialog.registry import known_region_katos, read_registry
from tyndau import bi, calendar, settings
from tyndau.airflow_env import airflow_environment

site = Path(tyndau.__file__).parent.parent
assert site.name == "site-packages" and Path(sys.prefix) in site.parents, site
assert settings.INSTALLED and settings.PROJECT_DIR == Path(tyndau.__file__).parent / "_project"
assert (settings.DBT_PROJECT_DIR / "dbt_project.yml").is_file()
assert (settings.DBT_PROJECT_DIR / "profiles.yml").is_file()
assert list((settings.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql"))
assert not (settings.DBT_PROJECT_DIR / "target").exists()
assert calendar.SEED_PATH.is_file() and known_region_katos(settings.REGIONS_SEED)
assert (settings.DAGS_DIR / "warehouse_build.py").is_file()
assert (bi.ASSETS_DIR / "metadata.yaml").is_file() and (bi.BI_DIR / "provision.py").is_file()
assert (GX_ROOT / "gx" / "great_expectations.yml").is_file()
assert (GX_ROOT / "gx" / "checkpoints" / "marts_gate.json").is_file()
assert site in GX_ROOT.parents
assert read_registry(settings.LIVE_BLOGS_FILE) and read_registry(settings.SANDBOX_BLOGS_FILE)
assert (Path(tyndau.__file__).parent / "report" / "templates" / "report.html.j2").is_file()

state = settings.load_settings({}).state_dir
assert state == Path.home() / ".tyndau", state
env = airflow_environment(settings.load_settings({"TYNDAU_STATE_DIR": sys.argv[1]}), "postgresql://u@h/d")
assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(settings.DAGS_DIR)

# the dbt project parses as shipped (its scratch output goes to the state folder)
from dbt.cli.main import dbtRunner
from tyndau.warehouse.url import dbt_profile_env

os.environ.update(dbt_profile_env("postgresql://u@h/d"))
project, scratch = str(settings.DBT_PROJECT_DIR), sys.argv[1]
args = ["--project-dir", project, "--profiles-dir", project, "--target-path", scratch]
assert dbtRunner().invoke(["parse", *args, "--log-path", scratch]).success
print("ok")
"""


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


def _copy_source(target: Path) -> Path:
    """The checkout's files as git sees them (tracked or new, not ignored): a build of a copy
    leaves no build/ behind in the checkout and picks up nothing stale or generated."""
    listed = _run("git", "ls-files", "-co", "--exclude-standard", "-z", cwd=ROOT).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_installed_wheel_finds_its_project_without_a_checkout(tmp_path):
    source = _copy_source(tmp_path / "source")
    _run(UV, "build", "--wheel", "--out-dir", tmp_path / "dist", "--python", sys.executable, source)
    (wheel,) = (tmp_path / "dist").glob("tyndau-*.whl")

    venv = tmp_path / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(UV, "pip", "install", "--quiet", "--no-deps", "--python", python, wheel)
    # the dependencies come from the project's environment, after the wheel's own packages
    # (a plain path: the editable install's .pth finder there is not run)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run(python, "-c", purelib).stdout.strip())
    (site / "tyndau-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(elsewhere), "GX_ANALYTICS_ENABLED": "false"}
    run = lambda *args: _run(*args, cwd=elsewhere, env=env)  # noqa: E731
    assert run(python, "-c", CHECK, tmp_path / "state").stdout.strip().endswith("ok")
    assert run(venv / "bin" / "tyndau", "--help").stdout.startswith("Usage: tyndau")
    version = run(python, "-c", "import tyndau; print(tyndau.__version__)").stdout.strip()
    assert run(venv / "bin" / "tyndau", "--version").stdout.strip().endswith(version)
    assert not (elsewhere / ".tyndau").exists() and not list(site.glob("**/.tyndau"))
