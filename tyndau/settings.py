"""Configuration: the environment, read in one place into one typed object.

Each setting is declared once, as a field of `Settings`: its environment variable (the field's
name in capitals unless an alias says otherwise), its type and validation, its default, and how
it reaches the Airflow tasks (`Variable()` or `Connection(...)` in its annotation), from which
tyndau.airflow_env builds Airflow's environment and a task rebuilds its settings
(tyndau.orchestration.airflow_settings).
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingestion.common.http import MAX_BODY_MB
from ingestion.common.secrets import register_secret
from ingestion.complaints.land import DEFAULT_SETTLE_SECONDS
from ingestion.complaints.parse import ReportLimits
from ingestion.dialog.land import DEFAULT_MAX_REJECT_SHARE

#: how long one query of the analysts' role may run (Postgres's statement_timeout syntax)
DEFAULT_READER_STATEMENT_TIMEOUT = "60s"

_PACKAGE_DIR = Path(__file__).resolve().parent
#: the checkout's folders the runtime reads, as an installed wheel carries them (setup.py)
_BUNDLED_PROJECT_DIR = _PACKAGE_DIR / "_project"
#: an installed wheel, not a checkout: its project files live inside the package
INSTALLED = _BUNDLED_PROJECT_DIR.is_dir()
#: where dbt_project/, dags/ and registries/ are: the checkout's root, or the wheel's copies
PROJECT_DIR = _BUNDLED_PROJECT_DIR if INSTALLED else _PACKAGE_DIR.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DAGS_DIR = PROJECT_DIR / "dags"
#: the sandbox scenario's registry: invented blog ids, for `tyndau demo` and the sandbox only
#: (sandbox is tyndau's sibling package in a checkout and in site-packages alike)
SANDBOX_BLOGS_FILE = _PACKAGE_DIR.parent / "sandbox" / "data" / "dialog_blogs.csv"
#: a starter registry of real blogs on the live portal, to copy and extend (registries/README.md)
LIVE_BLOGS_FILE = PROJECT_DIR / "registries" / "dialog_blogs.live.csv"
#: the regions a registry's KATO must name: the dbt seed, wherever the dbt project is
REGIONS_SEED = DBT_PROJECT_DIR / "seeds" / "regions.csv"
#: local state without TYNDAU_STATE_DIR: beside the checkout, never inside site-packages
DEFAULT_STATE_DIR = Path.home() / ".tyndau" if INSTALLED else PROJECT_DIR / ".tyndau"
#: a task still running after this long is failed (and alerts): a hung source cannot hold a slot
DEFAULT_TASK_TIMEOUT_MINUTES = 180.0
#: a long-running Airflow's (`tyndau airflow`, the stack's) tries of a failed task after the
#: first, and the wait before each: a worker that died, a warehouse restarting. `tyndau run`
#: does not retry: its one process is the run, and a re-run is the retry
DEFAULT_TASK_RETRIES = 2
DEFAULT_TASK_RETRY_DELAY_SECONDS = 30
#: a Celery cluster's running task that sent no heartbeat for this long is failed (and retried)
DEFAULT_TASK_HEARTBEAT_TIMEOUT_SECONDS = 60

OPENDATA_CONN_ID = "tyndau_opendata"  # http: host = base URL, password = API key
ALERT_WEBHOOK_CONN_ID = "tyndau_alert_webhook"  # http: host = the URL alerts are POSTed to
ALERT_SMTP_CONN_ID = "tyndau_alert_smtp"  # smtp: the server alert e-mails go through


class ConfigError(RuntimeError):
    """The environment does not describe a runnable set-up."""


# --- carriers: how a setting reaches the Airflow tasks ---


@dataclass(frozen=True)
class Variable:
    """Carried as the Airflow variable named like the field (`AIRFLOW_VAR_<FIELD>`)."""


@dataclass(frozen=True)
class Connection:
    """Carried in an Airflow connection: as its `part` (host or password), or as its whole
    `uri`."""

    conn_id: str
    conn_type: str
    part: str  # "host", "password" or "uri"


# --- types: each raises the gist of its one-line ConfigError (load_settings adds the name) ---


def _number(kind: type, *, zero: bool):
    def check(value: Any) -> float:
        try:
            number = kind(value)
        except (TypeError, ValueError):
            number = -1
        if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
            raise ValueError(f"must be a positive number{' (or 0)' if zero else ''}")
        return number

    return BeforeValidator(check)


def _share(value: Any) -> float:
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = -1.0
    if not 0 <= share <= 1:
        raise ValueError("must be a share from 0 to 1")
    return share


def _duration(value: Any) -> str:
    """A Postgres duration (`60s`, `500ms`, `5min`; a bare number is milliseconds, 0 none),
    checked here so a typo stops the run before the build, not at publishing."""
    value = str(value).strip() or DEFAULT_READER_STATEMENT_TIMEOUT
    if not re.fullmatch(r"\d+\s*(us|ms|s|min|h|d)?", value):
        raise ValueError("must be a duration such as 60s, 500ms or 5min")
    return value


Positive = Annotated[float, _number(float, zero=False)]
PositiveOrZero = Annotated[float, _number(float, zero=True)]
PositiveCount = Annotated[int, _number(int, zero=False)]
Count = Annotated[int, _number(int, zero=True)]
Share = Annotated[float, BeforeValidator(_share)]
Duration = Annotated[str, BeforeValidator(_duration)]
BaseUrl = Annotated[str | None, AfterValidator(lambda url: (url or "").rstrip("/") or None)]
ResolvedPath = Annotated[Path | None, AfterValidator(lambda path: path and path.resolve())]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, validate_default=True)

    state_dir: Annotated[
        Path, Field(DEFAULT_STATE_DIR, alias="TYNDAU_STATE_DIR"), AfterValidator(Path.resolve)
    ]
    warehouse_url: str | None = None  # None: the embedded warehouse under state_dir
    dialog_base_url: Annotated[BaseUrl, Variable()] = None
    # None: unset (a crawl needs one; the demo uses the sandbox's)
    dialog_blogs_file: Annotated[ResolvedPath, Variable()] = None
    # least seconds between requests; robots' Crawl-delay wins if longer
    dialog_min_delay: Annotated[PositiveOrZero, Variable()] = 0.0
    # more of the cards read rejected fails the landing
    dialog_max_reject_share: Annotated[Share, Variable()] = DEFAULT_MAX_REJECT_SHARE
    # login password of the read-only analysts' role (Airflow masks variables named so)
    reader_password: Annotated[str | None, Field(alias="TYNDAU_READER_PASSWORD"), Variable()] = None
    # a query of that role is cancelled after this long
    reader_statement_timeout: Annotated[Duration, Variable()] = DEFAULT_READER_STATEMENT_TIMEOUT
    # data.egov.kz, or a server speaking its API
    opendata_base_url: Annotated[BaseUrl, Connection(OPENDATA_CONN_ID, "http", "host")] = None
    # a secret: never logged, never in the repo
    opendata_api_key: Annotated[str | None, Connection(OPENDATA_CONN_ID, "http", "password")] = None
    # datasets whose records land (apiUri[,version] per line)
    opendata_watch_file: Annotated[ResolvedPath, Variable()] = None
    complaints_inbox: Annotated[ResolvedPath, Variable()] = None  # where report files are dropped
    # a file is taken once unchanged for this long
    complaints_settle_seconds: Annotated[PositiveOrZero, Variable()] = DEFAULT_SETTLE_SECONDS
    # the largest report file and sheet taken (complaints_limits)
    complaints_max_file_mb: Annotated[Positive, Variable()] = ReportLimits().max_file_bytes / 2**20
    complaints_max_sheet_rows: Annotated[PositiveCount, Variable()] = ReportLimits().max_sheet_rows
    complaints_max_sheet_cols: Annotated[PositiveCount, Variable()] = ReportLimits().max_sheet_cols
    # failures and stale sources are POSTed here as JSON
    alert_webhook_url: Annotated[str | None, Connection(ALERT_WEBHOOK_CONN_ID, "http", "host")] = (
        None
    )
    # and/or mailed to these addresses (comma-separated) …
    alert_email: Annotated[str | None, Variable()] = None
    # … through this server: an Airflow smtp:// connection URI
    alert_smtp_url: Annotated[str | None, Connection(ALERT_SMTP_CONN_ID, "smtp", "uri")] = None
    airflow_base_url: BaseUrl = None  # the Airflow UI as alerts link to it (log links)
    # the `admin` login of `tyndau airflow` (unset: generated)
    airflow_password: Annotated[str | None, Field(alias="TYNDAU_AIRFLOW_PASSWORD")] = None
    # the `admin` login of `tyndau bi`, Superset (unset: generated)
    bi_password: Annotated[str | None, Field(alias="TYNDAU_BI_PASSWORD")] = None
    # Airflow's own database (unset: SQLite under state_dir); a deployment
    # (docker-compose.yml) sets Airflow's own variable to its Postgres
    airflow_metadata_url: Annotated[
        str | None, Field(alias="AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    ] = None
    # Metabase's API, for `tyndau metabase provision` (the compose stack: http://metabase:3000)
    metabase_url: BaseUrl = None
    # the admin that provisioning creates on a fresh Metabase, and logs in as ever after
    metabase_admin_email: str | None = None
    metabase_admin_password: str | None = None  # a secret: never logged
    # a larger HTTP response body fails the request
    http_max_body_mb: Annotated[Positive, Variable()] = MAX_BODY_MB
    task_timeout_minutes: Positive = DEFAULT_TASK_TIMEOUT_MINUTES  # a task running longer fails
    task_retries: Count = DEFAULT_TASK_RETRIES  # `tyndau airflow`'s retries of a failed task
    task_retry_delay_seconds: Count = DEFAULT_TASK_RETRY_DELAY_SECONDS
    task_heartbeat_timeout_seconds: PositiveCount = DEFAULT_TASK_HEARTBEAT_TIMEOUT_SECONDS

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_sources):
        # only what load_settings passes: the environment it was given (a test's, a task's
        # rebuilt from Airflow), never the process's own behind its back
        return (init_settings,)

    def replace(self, **changes) -> Settings:
        """These settings with `changes` (typed values already: the demo's sandboxes, a test's)."""
        return self.model_copy(update=changes)

    @property
    def embedded_pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    @property
    def complaints_limits(self) -> ReportLimits:
        return ReportLimits(
            max_file_bytes=int(self.complaints_max_file_mb * 2**20),
            max_sheet_rows=self.complaints_max_sheet_rows,
            max_sheet_cols=self.complaints_max_sheet_cols,
        )

    def require_sources(self) -> None:
        """At least one source configured, and each configured one usable."""
        from tyndau.sources import SOURCES

        configured = [source for source in SOURCES if source.configured(self)]
        if not configured:
            wanted = [f"{env_name(s.configured_by)} ({s.title})" for s in SOURCES]
            raise ConfigError(
                f"nothing to run: set {', '.join(wanted[:-1])} or {wanted[-1]}; "
                "`tyndau demo` runs every source on its sandbox."
            )
        for source in configured:
            if source.require:
                source.require(self)

    def require_blog_registry(self) -> None:
        """A crawl of DIALOG_BASE_URL needs the registry of that portal's blogs, readable and
        valid: never a default, since blog ids of one portal name other blogs on another."""
        from ingestion.dialog.registry import RegistryError, read_registry

        if self.dialog_blogs_file is None:
            raise ConfigError(
                f"DIALOG_BASE_URL is set ({self.dialog_base_url}) but DIALOG_BLOGS_FILE is not: "
                "set it to the registry of the blogs to crawl on that portal; a starter registry "
                f"of the live portal's blogs is {LIVE_BLOGS_FILE} (see docs/configuration.md, "
                '"Pointing tyndau at the real portals")'
            )
        if not self.dialog_blogs_file.is_file():
            raise ConfigError(f"DIALOG_BLOGS_FILE {self.dialog_blogs_file} does not exist")
        try:
            read_registry(self.dialog_blogs_file)
        except RegistryError as error:
            raise ConfigError(f"DIALOG_BLOGS_FILE {error}") from None

    def require_inbox(self) -> None:
        if not self.complaints_inbox.is_dir():
            raise ConfigError(f"COMPLAINTS_INBOX {self.complaints_inbox} is not a folder")


def kept_secret(path: Path, nbytes: int = 12) -> str:
    """A secret generated on first use and kept in `path` (mode 600): a login's password, a
    server's signing key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def env_name(field: str) -> str:
    """The environment variable of a setting."""
    return Settings.model_fields[field].alias or field.upper()


def carrier(field: str) -> Variable | Connection | None:
    """How a setting reaches the Airflow tasks, if it does."""
    marks = Settings.model_fields[field].metadata
    return next((m for m in marks if isinstance(m, Variable | Connection)), None)


def load_settings(env: Mapping[str, Any] | None = None) -> Settings:
    """The settings the environment `env` (default: this process's) describes; a bad value is a
    one-line ConfigError naming its variable."""
    env = os.environ if env is None else env
    # a field's keyword is its alias if it has one; an empty variable is an unset one
    keywords = {env_name(name): info.alias or name for name, info in Settings.model_fields.items()}
    values = {keyword: env.get(name) for name, keyword in keywords.items()}
    values = {keyword: value for keyword, value in values.items() if value}
    try:
        settings = Settings(**values)
    except ValidationError as invalid:
        error = invalid.errors()[0]
        name = str(error["loc"][0])
        why = error.get("ctx", {}).get("error", error["msg"])
        raise ConfigError(f"{env_name_of(name)} {why}, not {error['input']!r}") from None
    register_secret(  # masked in every log line, error, ledger row and alert of this process
        settings.opendata_api_key,
        settings.reader_password,
        settings.airflow_password,
        settings.metabase_admin_password,
        settings.bi_password,
        *(_url_password(url) for url in (settings.warehouse_url, settings.alert_smtp_url)),
    )
    return settings


def env_name_of(key: str) -> str:
    """The environment variable of a validation error's location (an alias or a field)."""
    return env_name(key) if key in Settings.model_fields else key


def _url_password(url: str | None) -> str | None:
    return unquote(urlsplit(url).password or "") or None if url else None
