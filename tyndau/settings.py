"""Configuration: the environment, read in one place into one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SANDBOX_BLOGS_FILE = PROJECT_DIR / "sandbox" / "data" / "dialog_blogs.csv"
REAL_DIALOG_BASE_URL = "https://dialog.egov.kz"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable set-up."""


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    warehouse_url: str | None  # None: the embedded warehouse under state_dir
    dialog_base_url: str | None
    dialog_blogs_file: Path
    dialog_min_delay: float  # seconds between requests, on top of robots.txt's Crawl-delay
    reader_password: str | None  # login password of the read-only analysts' role
    opendata_base_url: str | None  # data.egov.kz, or a server speaking its API
    opendata_api_key: str | None  # a secret: never logged, never in the repo
    opendata_watch_file: Path | None  # datasets whose records land (apiUri[,version] per line)
    complaints_inbox: Path  # folder where report files are dropped

    @property
    def embedded_pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    def require_dialog(self) -> str:
        if not self.dialog_base_url:
            raise ConfigError(
                "DIALOG_BASE_URL is not set: point it at the portal "
                f"({REAL_DIALOG_BASE_URL}) or a server speaking its protocol; "
                "`tyndau demo` starts the sandbox for you."
            )
        if not self.dialog_blogs_file.is_file():
            raise ConfigError(f"DIALOG_BLOGS_FILE {self.dialog_blogs_file} does not exist")
        return self.dialog_base_url


def load_settings(env: os._Environ | dict | None = None) -> Settings:
    env = os.environ if env is None else env
    return Settings(
        state_dir=Path(env.get("TYNDAU_STATE_DIR") or PROJECT_DIR / ".tyndau").resolve(),
        warehouse_url=env.get("WAREHOUSE_URL") or None,
        dialog_base_url=(env.get("DIALOG_BASE_URL") or "").rstrip("/") or None,
        dialog_blogs_file=Path(env.get("DIALOG_BLOGS_FILE") or SANDBOX_BLOGS_FILE).resolve(),
        dialog_min_delay=float(env.get("DIALOG_MIN_DELAY") or 0),
        reader_password=env.get("TYNDAU_READER_PASSWORD") or None,
        opendata_base_url=(env.get("OPENDATA_BASE_URL") or "").rstrip("/") or None,
        opendata_api_key=env.get("OPENDATA_API_KEY") or None,
        opendata_watch_file=Path(env["OPENDATA_WATCH_FILE"]).resolve()
        if env.get("OPENDATA_WATCH_FILE")
        else None,
        complaints_inbox=Path(
            env.get("COMPLAINTS_INBOX")
            or Path(env.get("TYNDAU_STATE_DIR") or PROJECT_DIR / ".tyndau") / "inbox"
        ).resolve(),
    )
