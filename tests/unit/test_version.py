"""One version string, tyndau.__version__: the package metadata, the crawler's User-Agent,
`tyndau --version` and the compose image all say the same."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import yaml
from click.testing import CliRunner

import ingestion
import tyndau
from tyndau.cli import main
from tyndau.settings import PROJECT_DIR


def test_pyproject_takes_the_version_from_the_package():
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "tyndau.__version__"}


def test_the_installed_metadata_and_the_user_agent_carry_it():
    assert version("tyndau") == tyndau.__version__ == ingestion.__version__


def test_tyndau_version_prints_it():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output == f"tyndau, version {tyndau.__version__}\n"


def test_the_compose_image_is_tagged_with_it():
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["x-tyndau-image"]["image"] == f"tyndau:{tyndau.__version__}"
