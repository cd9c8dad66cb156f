"""What the DAGs share: the settings and the warehouse as the tasks read them, the sources'
Assets, the quality gate, masking, publishing, and dbt's configuration for Cosmos. The ingest
DAGs themselves are built from the source registry by `tyndau.orchestration.ingest`.

Kept out of `dags/` so the DAG files stay a few lines of wiring, and out of `ingestion/` so the
ingestion library never imports Airflow.
"""

from __future__ import annotations

import functools
import logging
import operator
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from airflow.sdk import Asset, BaseHook
from airflow.sdk import Variable as AirflowVariable
from airflow.sdk.exceptions import AirflowNotFoundException

from expectations.gate import MARTS_GATE as MARTS_GATE  # the DAGs take gate names from here
from ingestion.common.secrets import register_secret
from tyndau.airflow_env import WAREHOUSE_CONN_ID
from tyndau.settings import (
    DBT_PROJECT_DIR,
    Connection,
    Settings,
    Variable,
    carrier,
    env_name,
    load_settings,
)
from tyndau.sources import SOURCES, Source
from tyndau.warehouse.url import make_url

log = logging.getLogger(__name__)

# Assets name tables in the warehouse; the warehouse is whatever the connection points at.
PUBLISHED_MARTS = Asset(name="marts", group="marts")


def raw_asset(source: Source) -> Asset:
    """The Asset a source's checked landing updates."""
    return Asset(name=source.asset, group="raw")


def any_raw_asset():
    """Any source's Asset: the warehouse build's schedule."""
    return functools.reduce(operator.or_, (raw_asset(source) for source in SOURCES))


def warehouse_url() -> str:
    """The warehouse's URL, from the Airflow connection built from WAREHOUSE_URL: what every
    task hands psycopg and GX (Cosmos's dbt profile reads the same connection)."""
    conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
    register_secret(conn.password)  # masked in every log line, error, ledger row and alert
    return make_url(
        host=conn.host, port=conn.port, user=conn.login, password=conn.password, dbname=conn.schema
    )


def airflow_settings(fields: Iterable[str]) -> Settings:
    """The settings `fields`, rebuilt from the Airflow variables and connections that
    tyndau.airflow_env made of them, and validated as the environment was; the others keep
    their defaults."""
    env = {env_name(field): _carried(field) for field in fields}
    return load_settings({name: value for name, value in env.items() if value is not None})


def _carried(field: str) -> str | None:
    how = carrier(field)
    if isinstance(how, Variable):
        return AirflowVariable.get(field, default=None)
    if not isinstance(how, Connection):
        raise ValueError(f"the setting {field} does not reach Airflow's tasks")
    try:
        conn = BaseHook.get_connection(how.conn_id)
    except AirflowNotFoundException:
        return None
    if how.part == "uri":
        return conn.get_uri()
    if how.part == "password":
        return conn.password
    host = (conn.host or "").strip().rstrip("/")
    if host and "://" not in host:  # a connection given as a URI: the scheme is its schema
        host = f"{conn.schema or 'https'}://{host}" + (f":{conn.port}" if conn.port else "")
    return host


def prepare_raw() -> None:
    """Every source's raw tables exist before dbt reads them, landed or not."""
    from tyndau.warehouse.raw import ensure_raw_tables

    ensure_raw_tables(warehouse_url())


def quality_gate(checkpoint: str) -> dict:
    """Run a committed GX checkpoint; a failure fails the task, with every failed expectation
    and the Data Docs (which the alert links)."""
    from expectations.gate import run_checkpoint
    from tyndau.orchestration.alerts import QualityGateFailed

    result = run_checkpoint(checkpoint, warehouse_url())
    log.info("%s\nData Docs: %s", result.summary(), result.data_docs)
    if not result.success:
        raise QualityGateFailed(result.summary(), result.data_docs)
    return {"checkpoint": checkpoint, "evaluated": result.evaluated}


def mask_personal_data(everything: bool = False) -> dict:
    """Mask the texts of the landed appeals that lack masked texts under the current rules (all
    of them with ``everything``): what staging reads. The landing masks as it lands; this
    covers a change of the rules and a warehouse landed before masking moved there."""
    import psycopg

    from ingestion.dialog.load import mask_landed
    from ingestion.dialog.masking import MASKING_VERSION

    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        masked = mask_landed(
            conn, everything=everything, progress=lambda n: log.info("masked %d observations", n)
        )
    log.info("personal data masked in %d observations (rules version %d)", masked, MASKING_VERSION)
    return {"masked": masked, "masking_version": MASKING_VERSION}


def publish() -> list[str]:
    from tyndau.publish import publish_marts

    reader = airflow_settings(("reader_password", "reader_statement_timeout"))
    tables = publish_marts(warehouse_url(), reader.reader_password, reader.reader_statement_timeout)
    log.info("published marts: %s", ", ".join(tables))
    return tables


def source_freshness(parse_cache: str | None = None) -> dict:
    """`dbt source freshness` over raw: a stale source (dbt's warn or error) is logged and sent
    through the alert channels, and never fails the build (stale data is still the best data).

    ``parse_cache``: the Cosmos cache folder of the build's dbt project, whose partial parse
    (written by Cosmos's `dbt ls` and each build) saves dbt a full parse here; without it, or
    where it is stale, dbt parses the project in full.
    """
    from airflow.sdk import get_current_context
    from cosmos.dbt.project import get_partial_parse_path
    from dbt.cli.main import dbtRunner

    from tyndau.orchestration import alerts

    profile_config = dbt_profile_config()
    with (
        profile_config.ensure_profile() as (profile, profile_env),
        tempfile.TemporaryDirectory(prefix="tyndau-freshness-") as scratch,
    ):
        cached = get_partial_parse_path(Path(parse_cache)) if parse_cache else None
        if cached and cached.exists():
            shutil.copyfile(cached, Path(scratch, cached.name))
        os.environ.update(profile_env)  # the password rides in the environment, as Cosmos does
        args = ["source", "freshness", "--project-dir", str(DBT_PROJECT_DIR)]
        # the profile and target named as Cosmos names them: dbt's partial parse checks both
        args += ["--profiles-dir", str(profile.parent), "--profile", profile_config.profile_name]
        args += ["--target", profile_config.target_name]
        args += ["--target-path", scratch, "--log-path", scratch]
        result = dbtRunner().invoke(args)
    if result.result is None:  # dbt could not even start: that is a broken set-up, not staleness
        raise RuntimeError(f"dbt source freshness did not run: {result.exception}")
    stale, never_loaded = [], []
    for r in result.result.results:
        name = f"{r.node.source_name}.{r.node.name}"
        loaded_at = getattr(r, "max_loaded_at", None)
        if loaded_at is not None and loaded_at.year == 1:  # dbt's "no row at all"
            never_loaded.append(name)  # a source not configured here: nothing to warn about
        elif str(r.status) != "pass":
            age = getattr(r, "age", None)
            stale.append(
                {
                    "source": name,
                    "status": str(r.status),
                    "age": f"{age / 3600:.1f} h" if age else "unknown",
                    "max_loaded_at": str(loaded_at),
                }
            )
    if never_loaded:
        log.info("never loaded (not configured?): %s", ", ".join(never_loaded))
    for source in stale:
        log.warning("source %(source)s is stale (%(status)s): last load %(age)s ago", source)
    if stale:
        context = get_current_context()
        alerts.send(alerts.stale_sources_alert(context, stale), context)
    return {
        "checked": len(result.result.results),
        "stale": [s["source"] for s in stale],
        "never_loaded": never_loaded,
    }


def dbt_profile_config():
    """dbt's profile, made by Cosmos from the Airflow connection; its threads run the build's
    independent models side by side."""
    from cosmos import ProfileConfig

    return ProfileConfig(
        profile_name="tyndau",
        target_name="airflow",
        profile_mapping=_libpq_profile_mapping()(
            conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": "public", "threads": DBT_THREADS}
        ),
    )


def _libpq_profile_mapping():
    """Cosmos's user-and-password Postgres mapping, but with the password optional, as libpq
    has it: a WAREHOUSE_URL without one (trust or peer authentication, a password file,
    PGPASSWORD) gives dbt PGPASSWORD or an empty password, and an empty one makes libpq read
    the password file (PGPASSFILE, ~/.pgpass). Cosmos's own refuses to make the profile."""
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    class LibpqProfileMapping(PostgresUserPasswordProfileMapping):
        required_fields = ["host", "user", "dbname"]

        @property
        def secret_fields(self) -> list[str]:
            return ["password"] if self.conn.password else []

        @property
        def profile(self) -> dict:
            profile = super().profile
            if not self.conn.password:
                # dbt's password is mandatory, libpq's is not: "" lets libpq look for it
                profile["password"] = "{{ env_var('PGPASSWORD', '') }}"
            return profile

    return LibpqProfileMapping


#: dbt's threads in the one `dbt build` of a warehouse build (as profiles.yml gives the CLI)
DBT_THREADS = 4


def dbt_task_group_args() -> dict:
    """Cosmos configuration of the dbt project: profile from the Airflow connection.

    Watcher mode: one `dbt build` (the producer task) does the work, started once, and every
    model and its tests keep a task of their own that reports dbt's result for it, with its
    log — rather than ~2 s of dbt start-up per node."""
    from cosmos import ExecutionConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    from tyndau.airflow_env import dbt_executable

    return {
        "project_config": ProjectConfig(DBT_PROJECT_DIR),
        "profile_config": dbt_profile_config(),
        "execution_config": ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            dbt_executable_path=dbt_executable(),
            # a process of its own: in the task's interpreter dbt shares the GIL (docs/design.md)
            invocation_mode=InvocationMode.SUBPROCESS,
        ),
        # a model's tests report in a task after it; a test with two parents (relationships)
        # gets its own task after both, since it belongs to neither alone
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_LS,
            test_behavior=TestBehavior.AFTER_EACH,
            should_detach_multiple_parents_tests=True,
            # `dbt ls` parses with the real profile, so the producer's `dbt build` reuses its
            # partial parse (dbt parses anew when the connection's fields differ: ~9 s)
            enable_mock_profile=False,
        ),
        # the DAG's full_refresh param; Cosmos reads the rendered "True"/"False"
        "operator_args": {"install_deps": False, "full_refresh": "{{ params.full_refresh }}"},
    }


def report_after_the_build(group, *upstream) -> None:
    """Let the model tasks of a watcher `DbtTaskGroup` start once its `dbt build` is over.

    Cosmos starts them beside the build, as sensors that wait for their node's result; but
    `dag.test()` (`tyndau run`) runs one task at a time, and a sensor that ran first would wait
    for ever on a build that cannot start. After the build, each reads its result at once. A
    failed build still lets them report which node failed ("all done, one success": the build
    failed but `upstream` did not); a failed `upstream` holds them back, as it holds the build.

    They wait on Cosmos's `…_done` task rather than on the producer itself, because a retried
    producer is *skipped* (Cosmos runs no second `dbt build`: a worker killed mid-build), and
    a skipped parent would skip every model task, the gate and the publish: a run "succeeding"
    with nothing published. `…_done` is done then (none failed), and each model task whose node
    the lost build had not finished builds it itself (Cosmos's fallback, `dbt run --select`).
    A failed build makes `…_done` upstream-failed: the model tasks still report their nodes.
    """
    from airflow.task.trigger_rule import TriggerRule
    from cosmos.constants import PRODUCER_WATCHER_DONE_TASK_ID, PRODUCER_WATCHER_TASK_ID

    producer = group.children[f"{group.group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    built = group.children[f"{group.group_id}.{PRODUCER_WATCHER_DONE_TASK_ID}"]
    for task in group.get_roots():
        if task is producer:
            continue
        for parent in (built, *upstream):
            parent >> task
        task.trigger_rule = TriggerRule.ALL_DONE_MIN_ONE_SUCCESS
