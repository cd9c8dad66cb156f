"""tyndau ingestion: one subpackage per source (client, pure parser, loader into ``raw``).

This package is a plain library: it imports nothing from Airflow, dbt, Great Expectations,
the sandbox or the ``tyndau`` application shell, so DAGs, the CLI and tests can all call it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tyndau")
except PackageNotFoundError:  # running from a source checkout that is not pip-installed
    __version__ = "0.1.0"
