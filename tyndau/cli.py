"""The `tyndau` command line."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from tyndau import __version__
from tyndau.airflow_env import WORKER_CONCURRENCY
from tyndau.airflow_ui import COMPONENT_COMMANDS
from tyndau.export import FORMATS
from tyndau.settings import ConfigError, load_settings

WHERE_NEXT = """
Where to look next:
  psql "{url}"          the warehouse (marts.akimat_ranking, marts.fct_appeals, …)
  tyndau warehouse url      that URL again;  tyndau warehouse stop  stops the embedded Postgres
  {log}
  tyndau report             the marts as one HTML page of charts
  tyndau docs               the dbt docs (lineage) and GX Data Docs, served locally
  tyndau airflow            the Airflow UI on this warehouse
  tyndau bi                 the dashboards in Apache Superset
  docs/ (from README.md)    configuration, operations, the data model, the real portals
"""


def _fail(message: str) -> None:
    click.secho(f"tyndau: {message}", fg="red", err=True)
    sys.exit(1)


def _interruptible() -> None:
    """Ctrl-C and `kill` raise KeyboardInterrupt, so a long-running command stops cleanly, even
    when started in the background (where the shell has SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tyndau")
def main() -> None:
    """tyndau: how well Kazakhstan's state bodies listen to citizens.

    Lands citizens' appeals (Open Dialogue), the open-data catalogue (data.egov.kz) and
    complaint statistics (report files) into a Postgres warehouse with Airflow, builds rankings
    of akimats and scorecards of state bodies with dbt and guards them with Great Expectations.
    Configuration comes from the environment (see docs/configuration.md).
    """
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for ours in ("tyndau", "ingestion", "sandbox"):
        logging.getLogger(ours).setLevel(logging.INFO)


@main.command()
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Re-read every listing page instead of stopping at pages already landed and settled.",
)
def run(full_refresh: bool) -> None:
    """Run the pipeline once through the Airflow DAGs (ingest → dbt → GX → publish).

    Runs the ingest DAG of each source configured — Open Dialogue (DIALOG_BASE_URL,
    DIALOG_BLOGS_FILE), open data (OPENDATA_BASE_URL, OPENDATA_API_KEY, OPENDATA_WATCH_FILE),
    complaint reports (COMPLAINTS_INBOX) — then the warehouse build, into WAREHOUSE_URL (unset:
    the embedded warehouse). A source that fails does not hold the others back: the build still
    publishes what the others landed. Exits non-zero, naming each failed step and why.
    """
    from tyndau.pipeline import PipelineError, run_pipeline
    from tyndau.warehouse.embedded import resolve_url

    settings = load_settings()
    try:
        settings.require_sources()
        url = resolve_url(settings)
        run_pipeline(settings, url, conf={"full_refresh": full_refresh})
    except (ConfigError, PipelineError) as error:
        _fail(str(error))
    click.echo("tyndau run: done; marts published.")


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """Serve the stand-in Open Dialogue portal until Ctrl-C; --help lists its knobs."""
    from sandbox.dialog.__main__ import main as serve

    sys.exit(serve(ctx.args, prog="tyndau sandbox"))


@main.group()
def warehouse() -> None:
    """The embedded Postgres warehouse (used when WAREHOUSE_URL is unset)."""


@warehouse.command("start")
def warehouse_start() -> None:
    """Start the embedded Postgres (initialising it on first use) and print its URL."""
    from tyndau.warehouse.embedded import start_embedded

    click.echo(start_embedded(load_settings().embedded_pgdata))


@warehouse.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded Postgres."""
    from tyndau.warehouse.embedded import stop_embedded

    stopped = stop_embedded(load_settings().embedded_pgdata)
    click.echo("stopped" if stopped else "not running")


@warehouse.command("remask")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Mask every landed appeal again, not only those not masked under the current rules.",
)
def warehouse_remask(everything: bool) -> None:
    """Mask the personal data in the landed appeals' texts again, without re-crawling.

    After a change of the masking rules (ingestion/dialog/masking.py, MASKING_VERSION), every
    observation masked under other rules is masked again; the next build (`tyndau run`, or
    warehouse_build with its `remask` param, which does the same) re-derives the appeals
    concerned and publishes them.
    """
    import psycopg

    from ingestion.dialog.load import ensure_raw_schema, mask_landed
    from ingestion.dialog.masking import MASKING_VERSION
    from tyndau.warehouse.embedded import resolve_url

    with psycopg.connect(resolve_url(load_settings()), autocommit=True) as conn:
        ensure_raw_schema(conn)
        masked = mask_landed(
            conn,
            everything=everything,
            progress=lambda n: click.echo(f"\r{n:,} observations masked", nl=False, err=True),
        )
    click.echo(f"{masked:,} observations masked under the rules' version {MASKING_VERSION}.")


@warehouse.command("url")
def warehouse_url() -> None:
    """Print the warehouse URL for psql and psycopg: WAREHOUSE_URL, else the embedded one."""
    from tyndau.warehouse.embedded import embedded_url_if_running

    settings = load_settings()
    url = settings.warehouse_url or embedded_url_if_running(settings.embedded_pgdata)
    if not url:
        _fail("the embedded warehouse is not running: `tyndau warehouse start`")
    click.echo(url)


@main.command()
@click.option("--port", default=8080, show_default=True, help="Port of the UI and API server.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: reachable from other machines).",
)
@click.option(
    "--component",
    type=click.Choice(list(COMPONENT_COMMANDS)),
    help="Run only this component, in the foreground (how docker-compose.yml runs each one).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "celery"]),
    default="local",
    show_default=True,
    help="local: tasks run beside the scheduler; celery: on Celery workers, through Redis "
    "(AIRFLOW__CELERY__BROKER_URL, else a redis-server of its own), with Postgres metadata.",
)
@click.option(
    "--workers",
    type=click.IntRange(0),
    default=2,
    show_default=True,
    help="Celery workers to start here (0: only the other components; workers elsewhere).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1),
    default=WORKER_CONCURRENCY,
    show_default=True,
    help="Tasks each Celery worker runs at once.",
)
def airflow(
    port: int, host: str, component: str | None, executor: str, workers: int, concurrency: int
) -> None:
    """Start Airflow with its UI (API server, scheduler, DAG processor, triggerer) until Ctrl-C.

    With `--executor celery`: Redis, Postgres metadata and N Celery workers too, the topology of
    docker-compose.yml as processes of this machine (docs/operations.md, "Scaling out").

    Same configuration as `tyndau run`: the DAGs of every source configured, their connections
    built from the environment, WAREHOUSE_URL or the embedded warehouse. Log in as `admin` with
    TYNDAU_AIRFLOW_PASSWORD (unset: a password generated once and printed here). DAGs start
    paused: unpause one to put it on its schedule. Logs: <state dir>/logs/airflow/.
    """
    import time

    from tyndau.airflow_ui import (
        ADMIN,
        AirflowUIError,
        admin_password,
        exec_component,
        start_airflow,
        wait_until_healthy,
    )
    from tyndau.warehouse.embedded import resolve_url
    from tyndau.warehouse.url import redact

    settings = load_settings()
    if component:
        try:
            # --executor celery: this component's cluster settings from the environment
            chosen = executor if executor == "celery" else None
            exec_component(
                component, settings, resolve_url(settings), port, host, chosen, concurrency
            )
        except ConfigError as error:
            _fail(str(error))
    try:
        settings.require_sources()
    except ConfigError as error:
        click.secho(f"tyndau: warning: {error}", fg="yellow", err=True)
    _interruptible()  # the components are stopped in order, whatever stops us
    try:
        url = resolve_url(settings)
        running = start_airflow(
            settings, url, port, host, executor=executor, workers=workers, concurrency=concurrency
        )
    except (ConfigError, AirflowUIError) as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted while starting Airflow")
    failed = False
    try:
        wait_until_healthy(running, port)
        click.echo(f"Airflow UI:  {running.url}")
        click.echo(f"Log in as:   {ADMIN} / {admin_password(settings)}")
        click.echo(f"Warehouse:   {redact(url)}")
        click.echo(f"Logs:        {running.logs}/")
        click.echo(f"Executor:    {running.describe()}")
        click.echo("Ctrl-C stops Airflow.")
        reported: set[str] = set()
        while True:
            dead = running.exited()
            if "redis" in dead and running.restart_broker():
                click.secho(
                    f"tyndau: redis exited {dead['redis']}; started again on its port, from its"
                    f" append-only file (see {running.logs}/redis.log)",
                    fg="yellow",
                    err=True,
                )
                continue
            # a lost worker is reported and its tasks go to the others (Airflow retries them);
            # any other component lost, or the last worker, stops everything
            for name in sorted(set(dead) - reported):
                if name.startswith("worker-"):
                    click.secho(
                        f"tyndau: {name} exited {dead[name]} (see {running.logs}/{name}.log)",
                        fg="red",
                        err=True,
                    )
                    reported.add(name)
            fatal = {n: c for n, c in dead.items() if not n.startswith("worker-")}
            if not fatal and running.workers() and set(running.workers()) <= set(dead):
                fatal = {n: dead[n] for n in running.workers()}
            if fatal:
                name, code = next(iter(fatal.items()))
                raise AirflowUIError(
                    f"airflow {name} exited {code} (see {running.logs}/{name}.log)"
                )
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("\nstopping Airflow …")
    except AirflowUIError as error:
        click.secho(f"tyndau: {error}; stopping the other components", fg="red", err=True)
        failed = True
    finally:
        running.stop()
    click.echo("Airflow stopped.")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--port", default=8088, show_default=True, help="Port of Superset's web server.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: reachable from other machines).",
)
def bi(port: int, host: str) -> None:
    """Serve the dashboards in Apache Superset until Ctrl-C (docs/bi.md).

    Builds Superset's own environment from bi/requirements.lock on first use (into
    .tyndau/bi-venv), migrates its metadata (SQLite under <state dir>/superset/), registers the
    warehouse (WAREHOUSE_URL, unset: the embedded one) as tyndau_reader, which sees `marts`
    only and logs in with TYNDAU_READER_PASSWORD (unset, on the embedded warehouse: a password
    generated once and kept under <state dir>/superset/), and imports the dashboards of
    bi/superset/, updating them in place. Log in as `admin` with TYNDAU_BI_PASSWORD (unset: a
    password generated once and printed here). Logs: <state dir>/superset/logs/.
    """
    from tyndau.bi import (
        ADMIN,
        BIError,
        admin_password,
        provision,
        reader_uri,
        start_server,
        superset_python,
        wait_until_healthy,
    )
    from tyndau.warehouse.embedded import resolve_url
    from tyndau.warehouse.url import redact

    settings = load_settings()
    _interruptible()
    try:
        uri = reader_uri(settings, resolve_url(settings))
        python = superset_python(progress=click.echo)
        click.echo("importing the dashboards into Superset …")
        held = provision(settings, python, uri)
        server = start_server(settings, python, port=port, host=host)
    except (ConfigError, BIError) as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted while starting Superset")
    failed = False
    try:
        wait_until_healthy(server, port)
        click.echo(f"Superset:    {server.url}")
        click.echo(f"Log in as:   {ADMIN} / {admin_password(settings)}")
        click.echo(f"Warehouse:   {redact(uri)}")
        for title, slug in sorted(held["dashboards"].items()):
            click.echo(f"Dashboard:   {server.url}/superset/dashboard/{slug}/  {title}")
        click.echo(f"Logs:        {server.log.parent}/")
        click.echo("Ctrl-C stops Superset.")
        server.proc.wait()
        raise BIError(f"Superset exited {server.proc.returncode} (see {server.log})")
    except KeyboardInterrupt:
        click.echo("\nstopping Superset …")
    except BIError as error:
        click.secho(f"tyndau: {error}", fg="red", err=True)
        failed = True
    finally:
        server.stop()
    click.echo("Superset stopped.")
    sys.exit(1 if failed else 0)


@main.command()
def demo() -> None:
    """The demo: embedded warehouse + the sources' sandboxes → the real DAGs → the headlines.

    Safe to run again: the sandboxes are deterministic and landing is idempotent, so the marts
    come out the same.
    """
    from tyndau.demo import HEADLINE_COMPLAINTS_YEAR, HEADLINE_OPENDATA_AS_OF, stand_ins
    from tyndau.headlines import complaints, dialog, opendata
    from tyndau.pipeline import PipelineError, run_pipeline
    from tyndau.warehouse.embedded import resolve_url

    settings = load_settings()
    url = resolve_url(settings)
    with stand_ins(settings) as demo_settings:
        click.echo(f"Open Dialogue sandbox: {demo_settings.dialog_base_url}")
        click.echo(f"Open-data sandbox:     {demo_settings.opendata_base_url}")
        click.echo(f"Complaint reports in:  {demo_settings.complaints_inbox}")
        try:
            result, failed = run_pipeline(demo_settings, url), None
        except PipelineError as error:
            # one source failing does not hold the others back: show what was published
            if error.result is None or not error.result.published:
                _fail(str(error))
            result, failed = error.result, error
    click.echo("\nAkimats on Open Dialogue: answer rate and satisfaction ranks\n")
    click.echo(dialog.format_ranking(dialog.akimat_ranking(url)))
    click.echo("\nMinistries on Open Dialogue: answer rate and satisfaction ranks\n")
    click.echo(
        dialog.format_ranking(dialog.ministry_ranking(url), "code", "ministry", "ministries")
    )
    click.echo("\n" + opendata.headline(url, HEADLINE_OPENDATA_AS_OF))
    click.echo("\n" + complaints.headline(url, HEADLINE_COMPLAINTS_YEAR))
    click.echo(WHERE_NEXT.format(url=url, log=f"{result.log_file}   the run's full Airflow log"))
    if failed:
        _fail(str(failed))


@main.command()
@click.option(
    "--mart",
    "marts",
    multiple=True,
    metavar="NAME",
    help="A published mart to export, e.g. akimat_ranking (repeatable; default: every one).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="csv (UTF-8 with a byte-order mark, as Excel wants it), xlsx (one sheet per file, "
    "bold frozen header) or parquet (typed columns, descriptions in the schema).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    help="The folder to write to (default: exports/<UTC time> in the state dir).",
)
def export(marts: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """Write the published marts to files, with a data dictionary.

    One file per mart, <mart>.<format>, and data_dictionary.<format>: every column's mart,
    type and description (the column comments dbt writes from its docs). Exactly what the
    analysts' role (tyndau_reader) may read, from one consistent snapshot. Reads WAREHOUSE_URL
    (unset: the embedded warehouse, started if needed).
    """
    import datetime as dt

    from tyndau.export import ExportError, export_marts
    from tyndau.warehouse.embedded import resolve_url

    settings = load_settings()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output = output or settings.state_dir / "exports" / stamp
    try:
        files = export_marts(resolve_url(settings), output, fmt, marts, progress=click.echo)
    except ExportError as error:
        _fail(str(error))
    click.echo(f"tyndau export: {len(files) - 1} mart(s) and the data dictionary in {output}")


@main.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the HTML file (default: report.html in the state dir, TYNDAU_STATE_DIR).",
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also save a PNG of the rendered page, down to the end of the charts (needs "
    "playwright and Debian's chromium: `make browser`). The README's docs/report.png is made "
    "this way.",
)
def report(output: Path | None, screenshot: Path | None) -> None:
    """Write the report: one self-contained HTML page of the published marts.

    The akimats' answer-rate and satisfaction rankings as bar charts with 95% intervals and
    bands, answer rate against unsatisfied share, the monthly answer rate of each akimat, the
    ministries' two rankings, and the open-data and complaint headlines. plotly.js is inlined:
    the file opens offline, anywhere. Each chart's data is written as CSV into a folder beside
    the page (report_data/ for report.html), linked under the chart.
    Reads WAREHOUSE_URL (unset: the embedded warehouse, started if needed); the marts must be
    built (`tyndau demo` or `tyndau run`).
    """
    from tyndau.report import ReportError, data_dir, write_report
    from tyndau.warehouse.embedded import resolve_url

    settings = load_settings()
    output = output or settings.state_dir / "report.html"
    try:
        write_report(resolve_url(settings), output)
    except ReportError as error:
        _fail(str(error))
    click.echo(f"tyndau report: {output.resolve()}")
    click.echo(f"chart data:    {data_dir(output).resolve()}")
    if screenshot:
        from tyndau.report.browser import BrowserMissing
        from tyndau.report.browser import screenshot as take_screenshot

        try:
            take_screenshot(output, screenshot)
        except BrowserMissing as error:
            _fail(f"no screenshot: {error}")
        click.echo(f"screenshot: {screenshot.resolve()}")


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8580,
    show_default=True,
    help="Port to serve on (on 127.0.0.1); 0 takes any free port.",
)
@click.option("--no-serve", is_flag=True, help="Only build both sites and print where they are.")
def docs(port: int, no_serve: bool) -> None:
    """Build the dbt docs and GX Data Docs, then serve both until Ctrl-C.

    dbt docs: every model, column (with its description) and test, and the lineage graph from
    raw to the published marts, with the catalog read from the warehouse (WAREHOUSE_URL; unset:
    the embedded one). Data Docs: Great Expectations' suites and the last validation results
    (the landing checks and the marts gate). Both go under the state dir (dbt) and
    expectations/gx/uncommitted (GX); one local server serves them with an index page.
    """
    from tyndau.docs import DocsError, build_docs, docs_server, server_url
    from tyndau.warehouse.embedded import resolve_url

    settings = load_settings()
    try:
        sites = build_docs(settings, resolve_url(settings))
    except DocsError as error:
        _fail(str(error))
    click.echo(f"dbt docs:  {sites.dbt / 'index.html'}")
    click.echo(f"Data Docs: {sites.data_docs / 'index.html'}")
    if no_serve:
        return
    try:
        server = docs_server(sites, port)
    except OSError as error:
        _fail(f"cannot serve on port {port} ({error.strerror}): --port 0 takes any free port")
    click.echo(f"Serving both at {server_url(server)} (Ctrl-C stops)")
    _interruptible()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()


@main.group()
def probe() -> None:
    """Check a live portal against what tyndau assumes of it (docs/sources.md).

    Each probe reads a handful of pages politely, prints field by field how many items each
    expected field matched and in which variant, lists what it could not read and why, saves
    the answers under <state dir>/probe/<timestamp>/ (they may hold personal data: they stay
    there, never in a repository), and exits 1 when a required field matched nothing. Its
    printout is what to send back to get the [assumed] parts corrected.
    """


#: Both probes are polite the same way.
_probe_delay = click.option(
    "--delay",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds between two requests (on top of robots.txt's Crawl-delay).",
)


@probe.command("dialog")
@click.option(
    "--blog",
    "blog_ids",
    type=int,
    multiple=True,
    metavar="BLOG_ID",
    help="A blog to read (repeatable; default: every blog of DIALOG_BLOGS_FILE).",
)
@click.option(
    "--base-url",
    help="The portal (default: DIALOG_BASE_URL, e.g. https://dialog.egov.kz).",
)
@_probe_delay
def probe_dialog_command(blog_ids: tuple[int, ...], base_url: str | None, delay: float) -> None:
    """Page 1, the last page and the page past it of a few Open Dialogue blogs.

    Reads robots.txt and the language switch, then per blog page 1, the pager's last page and
    the page after it (3 requests a blog), and prints: who the page says the blog belongs to
    beside the registry's name (a wrong id shows here, before a crawl of hours); the pager;
    what the portal serves past the end; on how many cards each field of docs/sources.md section 1
    matched and in which variant (text before or after the info list, bare or in paragraphs;
    answers inside or after the card; № before the number; one or several answers); and every
    card it could not read, with the reason. Exits 1 when a required field matched no card.
    """
    from ingestion.dialog.registry import read_registry
    from tyndau.probe.dialog import probe_dialog

    settings = load_settings()
    url = (base_url or settings.dialog_base_url or "").rstrip("/")
    if not url:
        _fail("no portal to probe: set DIALOG_BASE_URL or give --base-url")
    registry = {}
    if settings.dialog_blogs_file and Path(settings.dialog_blogs_file).is_file():
        registry = {blog.blog_id: blog for blog in read_registry(settings.dialog_blogs_file)}
    if not blog_ids:
        blog_ids = tuple(registry)
    if not blog_ids:
        _fail("no blog to probe: give --blog BLOG_ID (e.g. 294912) or set DIALOG_BLOGS_FILE")
    sys.exit(probe_dialog(url, blog_ids, settings.state_dir, registry=registry, delay=delay))


@probe.command("opendata")
@click.option(
    "--base-url",
    help="The open-data portal (default: OPENDATA_BASE_URL, e.g. https://data.egov.kz).",
)
@click.option(
    "--dataset",
    "api_uri",
    metavar="API_URI",
    help="The dataset whose mapping, passport and one record are read (default: the first "
    "dataset of the catalogue page).",
)
@click.option(
    "--version",
    metavar="VERSION",
    help="Its version, e.g. v2 or data (default: the latest the mapping names; without a key, v1).",
)
@click.option(
    "--count",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="Datasets on the catalogue page read.",
)
@_probe_delay
def probe_opendata_command(
    base_url: str | None, api_uri: str | None, version: str | None, count: int, delay: float
) -> None:
    """One catalogue page, one mapping, one passport and one record of data.egov.kz.

    The key comes from OPENDATA_API_KEY only (never an option: it would show in the process
    list) and is shown as *** everywhere: printout, saved answers, errors. Without a key the
    mapping is skipped and the record is asked from /api/detailed keyless. Prints per request
    the URL, HTTP status and which endpoint answered (GET getdatasets or POST getdatasetsre;
    /api/detailed with the key or keyless), then which fields of docs/sources.md section 2 were
    present or missing: totalCount, datasets[].apiUri, nameRu, createdDate, modifiedDate,
    owner.fullnameRu; the versions; the passport's fields, periodicity, archived and field
    types; the record count; the date formats seen and any unknown periodicity.
    """
    from ingestion.common.secrets import redact
    from tyndau.probe.opendata import probe_opendata

    settings = load_settings()
    url = (base_url or settings.opendata_base_url or "").rstrip("/")
    if not url:
        _fail("no portal to probe: set OPENDATA_BASE_URL or give --base-url")
    secrets = (settings.opendata_api_key,) if settings.opendata_api_key else ()
    try:
        code = probe_opendata(
            url,
            settings.opendata_api_key,
            settings.state_dir,
            api_uri=api_uri,
            version=version,
            count=count,
            delay=delay,
        )
    except Exception as error:  # the key must not reach a traceback either
        _fail(f"probe failed: {redact(f'{type(error).__name__}: {error}', secrets)}")
    sys.exit(code)


@main.group()
def metabase() -> None:
    """Metabase on the compose stack: the marts' dashboards, provisioned (docs/metabase.md)."""


@metabase.command("provision")
@click.option(
    "--dashboards",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The folder of dashboard JSON files (default: bi/metabase/dashboards).",
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="dbt's manifest.json to take the descriptions from (default: `dbt parse` of the "
    "project, marts_schema marts).",
)
@click.option(
    "--no-descriptions", is_flag=True, help="Skip pushing the column descriptions from dbt."
)
@click.option(
    "--sync-timeout",
    type=click.IntRange(0),
    default=30,
    show_default=True,
    help="Seconds to wait for Metabase's sync to show every mart before pushing descriptions.",
)
def metabase_provision(
    folder: Path | None, manifest: Path | None, no_descriptions: bool, sync_timeout: int
) -> None:
    """Set up Metabase (METABASE_URL) with the marts' dashboards, idempotently by name.

    On a fresh Metabase: the admin METABASE_ADMIN_EMAIL / METABASE_ADMIN_PASSWORD, from its
    setup token; afterwards it logs in as that admin. Then the warehouse (WAREHOUSE_URL's host
    and database) as the analysts' role tyndau_reader (TYNDAU_READER_PASSWORD; the role made if
    no publish has made it yet), a collection "tyndau" with the native-SQL cards and dashboards
    of bi/metabase/dashboards/*.json, and the marts' column descriptions from dbt
    (dbt-metabase). A second run updates what the first created and duplicates nothing. The
    compose stack runs it as the one-shot service metabase-provision.
    """
    from tyndau.metabase import DASHBOARDS_DIR, MetabaseError, load_dashboards, provision

    settings = load_settings()
    try:
        outcome = provision(
            settings,
            load_dashboards(folder or DASHBOARDS_DIR),
            manifest=manifest,
            descriptions=not no_descriptions,
            sync_timeout=sync_timeout,
        )
    except (ConfigError, MetabaseError) as error:
        _fail(str(error))
    for verb, done in (("created", outcome.created), ("updated", outcome.updated)):
        for kind, names in done.items():
            click.echo(f"{verb} {len(names)} {kind}(s): {', '.join(names)}")
    if outcome.descriptions:
        click.echo(outcome.descriptions)
    for name, url in outcome.dashboard_urls.items():
        click.echo(f"dashboard {name!r}: {url}")


if __name__ == "__main__":
    main()
