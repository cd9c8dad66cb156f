"""Configuration: the environment, read in one place into one typed object."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
REAL_DIALOG_BASE_URL = "https://dialog.egov.kz"
#: a task still running after this long is failed (and alerts): a hung source cannot hold a slot
DEFAULT_TASK_TIMEOUT_MINUTES = 180.0


class ConfigError(RuntimeError):
    """The environment does not describe a runnable set-up."""


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    warehouse_url: str | None  # None: the embedded warehouse under state_dir
    dialog_base_url: str | None
    dialog_blogs_file: Path | None  # None: unset (a crawl needs one; the demo uses the sandbox's)
    dialog_min_delay: float  # least seconds between requests; robots' Crawl-delay wins if longer
    dialog_max_reject_share: float  # more of the cards read rejected fails the landing
    reader_password: str | None  # login password of the read-only analysts' role
    reader_statement_timeout: str  # a query of that role is cancelled after this long
    opendata_base_url: str | None  # data.egov.kz, or a server speaking its API
    opendata_api_key: str | None  # a secret: never logged, never in the repo
    opendata_watch_file: Path | None  # datasets whose records land (apiUri[,version] per line)
    complaints_inbox: Path | None  # folder where report files are dropped
    complaints_settle_seconds: float  # a file is taken once unchanged for this long
    complaints_limits: ReportLimits  # the largest report file and sheet taken
    alert_webhook_url: str | None  # failures and stale sources are POSTed here as JSON
    alert_email: str | None  # and/or mailed to these addresses (comma-separated) …
    alert_smtp_url: str | None  # … through this server: an Airflow smtp:// connection URI
    airflow_base_url: str | None  # the Airflow UI as alerts link to it (log links)
    airflow_password: str | None  # the `admin` login of `tyndau airflow` (unset: generated)
    airflow_metadata_url: str | None  # Airflow's own database (unset: SQLite under state_dir)
    http_max_body_mb: float = MAX_BODY_MB  # a larger HTTP response body fails the request
    task_timeout_minutes: float = DEFAULT_TASK_TIMEOUT_MINUTES  # a task running longer fails

    @property
    def embedded_pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    def require_sources(self) -> None:
        """At least one source configured, and each configured one usable."""
        if not (self.dialog_base_url or self.opendata_base_url or self.complaints_inbox):
            raise ConfigError(
                "nothing to run: set DIALOG_BASE_URL (Open Dialogue, e.g. "
                f"{REAL_DIALOG_BASE_URL}), OPENDATA_BASE_URL or COMPLAINTS_INBOX; "
                "`tyndau demo` runs all three on the sandboxes."
            )
        if self.dialog_base_url:
            self.require_blog_registry()
        if self.complaints_inbox and not self.complaints_inbox.is_dir():
            raise ConfigError(f"COMPLAINTS_INBOX {self.complaints_inbox} is not a folder")

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


def _share(value: str | None, default: float) -> float:
    if not value:
        return default
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ConfigError(f"DIALOG_MAX_REJECT_SHARE must be a share from 0 to 1, not {value!r}")
    return share


def _positive(
    env: os._Environ | dict, name: str, default: float, kind: type = float, *, zero: bool = False
) -> float:
    """The setting ``name`` as a positive ``kind`` (or 0, when ``zero`` means something)."""
    value = env.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = -1
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        raise ConfigError(
            f"{name} must be a positive number{' (or 0)' if zero else ''}, not {value!r}"
        )
    return number


def _complaints_limits(env: os._Environ | dict) -> ReportLimits:
    default = ReportLimits()
    megabytes = _positive(env, "COMPLAINTS_MAX_FILE_MB", default.max_file_bytes / 2**20)
    return ReportLimits(
        max_file_bytes=int(megabytes * 2**20),
        max_sheet_rows=_positive(env, "COMPLAINTS_MAX_SHEET_ROWS", default.max_sheet_rows, int),
        max_sheet_cols=_positive(env, "COMPLAINTS_MAX_SHEET_COLS", default.max_sheet_cols, int),
    )


def _duration(name: str, value: str | None, default: str) -> str:
    """A Postgres duration (`60s`, `500ms`, `5min`; a bare number is milliseconds, 0 none),
    checked here so a typo stops the run before the build, not at publishing."""
    value = (value or "").strip() or default
    if not re.fullmatch(r"\d+\s*(us|ms|s|min|h|d)?", value):
        raise ConfigError(f"{name} must be a duration such as 60s, 500ms or 5min, not {value!r}")
    return value


def _optional_path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def load_settings(env: os._Environ | dict | None = None) -> Settings:
    env = os.environ if env is None else env
    settings = _read(env)
    register_secret(  # masked in every log line, error, ledger row and alert of this process
        settings.opendata_api_key,
        settings.reader_password,
        settings.airflow_password,
        *(_url_password(url) for url in (settings.warehouse_url, settings.alert_smtp_url)),
    )
    return settings


def _url_password(url: str | None) -> str | None:
    return unquote(urlsplit(url).password or "") or None if url else None


def _read(env: os._Environ | dict) -> Settings:
    return Settings(
        state_dir=Path(env.get("TYNDAU_STATE_DIR") or DEFAULT_STATE_DIR).resolve(),
        warehouse_url=env.get("WAREHOUSE_URL") or None,
        dialog_base_url=(env.get("DIALOG_BASE_URL") or "").rstrip("/") or None,
        dialog_blogs_file=_optional_path(env.get("DIALOG_BLOGS_FILE")),
        dialog_min_delay=_positive(env, "DIALOG_MIN_DELAY", 0.0, zero=True),
        dialog_max_reject_share=_share(
            env.get("DIALOG_MAX_REJECT_SHARE"), DEFAULT_MAX_REJECT_SHARE
        ),
        reader_password=env.get("TYNDAU_READER_PASSWORD") or None,
        reader_statement_timeout=_duration(
            "READER_STATEMENT_TIMEOUT",
            env.get("READER_STATEMENT_TIMEOUT"),
            DEFAULT_READER_STATEMENT_TIMEOUT,
        ),
        opendata_base_url=(env.get("OPENDATA_BASE_URL") or "").rstrip("/") or None,
        opendata_api_key=env.get("OPENDATA_API_KEY") or None,
        opendata_watch_file=_optional_path(env.get("OPENDATA_WATCH_FILE")),
        complaints_inbox=_optional_path(env.get("COMPLAINTS_INBOX")),
        complaints_settle_seconds=_positive(
            env, "COMPLAINTS_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS, zero=True
        ),
        complaints_limits=_complaints_limits(env),
        alert_webhook_url=env.get("ALERT_WEBHOOK_URL") or None,
        alert_email=env.get("ALERT_EMAIL") or None,
        alert_smtp_url=env.get("ALERT_SMTP_URL") or None,
        airflow_base_url=(env.get("AIRFLOW_BASE_URL") or "").rstrip("/") or None,
        airflow_password=env.get("TYNDAU_AIRFLOW_PASSWORD") or None,
        # Airflow's own variable: a deployment (docker-compose.yml) sets it to its Postgres
        airflow_metadata_url=env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or None,
        http_max_body_mb=_positive(env, "HTTP_MAX_BODY_MB", MAX_BODY_MB),
        task_timeout_minutes=_positive(env, "TASK_TIMEOUT_MINUTES", DEFAULT_TASK_TIMEOUT_MINUTES),
    )
