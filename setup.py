"""The wheel stands alone: besides the packages it carries the checkout's folders that the
runtime reads (the dbt project, the DAGs, the blog registries, the BI assets) as
tyndau/_project/, where tyndau.settings.PROJECT_DIR looks when there is no checkout. The rest
is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("dbt_project", "dags", "registries", "bi")
# what dbt, Python and editors leave in those folders (.gitignore)
LEFT_BEHIND = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__", ".*")


class BuildWithProject(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install runs from the checkout itself
            return
        bundle = Path(self.build_lib) / "tyndau" / "_project"
        shutil.rmtree(bundle, ignore_errors=True)  # nothing stale from an earlier build
        for folder in BUNDLED:
            shutil.copytree(folder, bundle / folder, ignore=LEFT_BEHIND)


setup(cmdclass={"build_py": BuildWithProject})
