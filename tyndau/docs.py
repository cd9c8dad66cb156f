"""`tyndau docs`: the dbt docs site (models, columns, lineage graph) and GX Data Docs, built
from the warehouse and served together from one local HTTP server."""

from __future__ import annotations

import functools
import html
import os
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tyndau.settings import DBT_PROJECT_DIR, Settings
from tyndau.warehouse.url import dbt_profile_env

# URL prefixes of the two sites on the docs server
DBT_PREFIX = "/dbt/"
DATA_DOCS_PREFIX = "/data-docs/"

INDEX_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tyndau docs</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}}
</style></head>
<body><h1>tyndau docs</h1><ul>
<li><a href="{dbt}">dbt docs (lineage)</a>: every model, column and test, and the lineage
graph from raw to the published marts</li>
<li><a href="{gx}">Data Docs</a>: Great Expectations' suites and the results of the last
validations (the landing checks and the marts gate)</li>
</ul><p>Built from <code>{warehouse}</code>.</p></body></html>
"""


class DocsError(RuntimeError):
    pass


@dataclass(frozen=True)
class DocsSites:
    root: Path  # the index page linking both sites
    dbt: Path  # dbt's target folder: index.html, manifest.json, catalog.json
    data_docs: Path  # GX's local site: index.html

    @property
    def mounts(self) -> dict[str, Path]:
        return {DBT_PREFIX: self.dbt, DATA_DOCS_PREFIX: self.data_docs}


def dbt_on_published_marts(command: list[str], warehouse_url: str, target: Path) -> None:
    """A dbt command (`docs generate`, `parse`) of the project as published (`marts_schema:
    marts`), its artefacts (manifest.json, …) into ``target``; a failure is a DocsError."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_profile_env(warehouse_url))  # profiles.yml's env_var()s, in-process
    result = dbtRunner().invoke(
        [
            "--quiet",
            *command,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--vars",
            "{marts_schema: marts}",
        ]
    )
    if not result.success:
        why = result.exception or "see the log above"
        raise DocsError(f"dbt {' '.join(command)} failed: {why}")


def build_dbt_docs(warehouse_url: str, target: Path) -> Path:
    """`dbt docs generate` of the published marts into ``target``."""
    dbt_on_published_marts(["docs", "generate"], warehouse_url, target)
    return target


def build_data_docs(warehouse_url: str) -> Path:
    """GX Data Docs of the committed suites and the stored validation results."""
    from expectations.gate import gx_context

    context = gx_context(warehouse_url)
    context.build_data_docs()
    site = context.get_docs_sites_urls()[0]["site_url"]
    return Path(unquote(urlsplit(site).path)).parent


def build_docs(settings: Settings, warehouse_url: str) -> DocsSites:
    from tyndau.warehouse.url import redact

    root = settings.state_dir / "docs"
    sites = DocsSites(
        root=root,
        dbt=build_dbt_docs(warehouse_url, root / "dbt"),
        data_docs=build_data_docs(warehouse_url),
    )
    (root / "index.html").write_text(
        INDEX_PAGE.format(
            dbt=DBT_PREFIX, gx=DATA_DOCS_PREFIX, warehouse=html.escape(redact(warehouse_url))
        ),
        encoding="utf-8",
    )
    return sites


class _DocsHandler(SimpleHTTPRequestHandler):
    """Static files: the index from the docs root, each site under its own prefix."""

    def __init__(self, *args, sites: DocsSites, **kwargs):
        self.sites = sites
        super().__init__(*args, directory=str(sites.root), **kwargs)

    def translate_path(self, path: str) -> str:
        for prefix, folder in self.sites.mounts.items():
            if path.startswith(prefix):
                self.directory = str(folder)
                return super().translate_path("/" + path.removeprefix(prefix))
        return super().translate_path(path)

    def log_message(self, *args) -> None:
        pass  # one line per file of the dbt site would drown the URL


def docs_server(sites: DocsSites, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server (not yet serving) for both sites; port 0 takes any free port."""
    handler = functools.partial(_DocsHandler, sites=sites)
    return ThreadingHTTPServer((host, port), handler)


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"
