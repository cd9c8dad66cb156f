"""tyndau ingestion: one subpackage per source (client, pure parser, loader into ``raw``).

This package is a plain library: it imports nothing from Airflow, dbt, Great Expectations,
the sandbox or the ``tyndau`` application shell, so DAGs, the CLI and tests can all call it.
"""

from importlib.metadata import PackageNotFoundError, version

# tyndau.__version__ is the one version string (ingestion may not import tyndau): the installed
# distribution's metadata carries it (pyproject.toml's dynamic version)

try:
    __version__ = version("tyndau")
except PackageNotFoundError:  # a source tree never installed: no metadata to read it from
    __version__ = "0+unknown"
