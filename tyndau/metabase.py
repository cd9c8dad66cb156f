"""Metabase for the compose stack: one idempotent provisioning run through Metabase's
open-source REST API, as the image docker-compose.yml pins (METABASE_VERSION) speaks it.

1. the first admin: `GET /api/session/properties` gives the setup token of a fresh Metabase,
   `POST /api/setup` creates the admin (and logs in); once set up, `POST /api/session` logs in;
2. the warehouse as the analysts' role: `tyndau_reader` made if no publish has made it yet
   (tyndau.warehouse.roles, as publishing does), then `GET/POST/PUT /api/database` (engine
   postgres, schema filter `marts`) and `POST /api/database/:id/sync_schema`;
3. a collection `tyndau` (`GET/POST /api/collection`) holding every card and dashboard;
4. native-SQL cards and dashboards from the committed JSON (bi/metabase/dashboards/*.json):
   `POST/PUT /api/card`, `POST /api/dashboard`, `PUT /api/dashboard/:id` with `dashcards`
   (the way since v0.47; `POST /api/dashboard/:id/cards` is gone since v0.50);
5. the marts' table and column descriptions from dbt's manifest, pushed by dbt-metabase
   (`PUT /api/table/:id`, `PUT /api/field/:id`).

Idempotent by name: a second run logs in, finds the database, the collection and, inside it,
the cards and dashboards by name, and updates them; nothing is duplicated. Secrets (the admin's
and the reader's passwords) are registered with ingestion.common.secrets and never shown.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingestion.common.secrets import RedactedError, redact
from tyndau.publish import PUBLISHED_SCHEMA as MARTS_SCHEMA
from tyndau.settings import PROJECT_DIR, Settings, env_name

log = logging.getLogger(__name__)

#: the Metabase image docker-compose.yml pins; the request and answer shapes here are its
METABASE_VERSION = "v0.52.5"
DASHBOARDS_DIR = PROJECT_DIR / "bi" / "metabase" / "dashboards"
DATABASE_NAME = "tyndau warehouse"
COLLECTION_NAME = "tyndau"
GRID_WIDTH = 24  # columns of a Metabase dashboard's grid (since v0.46)
DISPLAYS = frozenset({"table", "bar", "row", "line", "scalar", "scatter", "combo", "area", "pie"})
TIMEOUT = 60  # seconds per request: sync_schema and a card's save run a query against Postgres


class MetabaseError(RedactedError):
    """Metabase refused a step, or the committed dashboards or the settings are unusable."""


# --- the committed dashboards ---


@dataclass(frozen=True)
class Card:
    name: str
    sql: str
    display: str
    description: str
    visualization_settings: dict
    col: int
    row: int
    size_x: int
    size_y: int


@dataclass(frozen=True)
class Dashboard:
    name: str
    description: str
    cards: tuple[Card, ...]
    source: Path


def load_dashboards(folder: Path = DASHBOARDS_DIR) -> list[Dashboard]:
    """The dashboards of `folder`'s JSON files, checked: names unique (cards across every
    dashboard, since they share the collection), SQL reading `marts` only, cards on the grid."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise MetabaseError(f"no dashboards (*.json) in {folder}")
    dashboards, card_names = [], set()
    for path in files:
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
            cards = tuple(_card(c) for c in spec["cards"])
            dashboard = Dashboard(spec["name"], spec.get("description", ""), cards, path)
        except (ValueError, KeyError, TypeError) as error:
            raise MetabaseError(f"{path.name}: not a dashboard ({error!r})") from None
        if not cards:
            raise MetabaseError(f"{path.name}: a dashboard without cards")
        for card in cards:
            if card.name in card_names:
                raise MetabaseError(f"{path.name}: card {card.name!r} is named twice")
            card_names.add(card.name)
        if dashboard.name in {d.name for d in dashboards}:
            raise MetabaseError(f"{path.name}: dashboard {dashboard.name!r} is named twice")
        dashboards.append(dashboard)
    return dashboards


def _card(spec: dict) -> Card:
    card = Card(
        name=spec["name"],
        sql=spec["sql"].strip(),
        display=spec.get("display", "table"),
        description=spec.get("description", ""),
        visualization_settings=spec.get("visualization_settings", {}),
        col=int(spec["col"]),
        row=int(spec["row"]),
        size_x=int(spec["size_x"]),
        size_y=int(spec["size_y"]),
    )
    if card.display not in DISPLAYS:
        raise ValueError(f"card {card.name!r}: display {card.display!r} is none of {DISPLAYS}")
    if not (card.col >= 0 and card.size_x > 0 and card.col + card.size_x <= GRID_WIDTH):
        raise ValueError(f"card {card.name!r} does not fit the {GRID_WIDTH}-column grid")
    if f"{MARTS_SCHEMA}." not in card.sql:
        raise ValueError(f"card {card.name!r}: its SQL reads no {MARTS_SCHEMA}.* table")
    return card


# --- the API ---


class Api:
    """Metabase's REST API: JSON in and out, the session header once logged in, and errors
    that say which step Metabase refused and why (redacted)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.http = requests.Session()
        # only what cannot have changed anything is retried: a refused connection, a 502-504
        # from a proxy while Metabase starts, a GET
        retry = Retry(
            total=4,
            read=0,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            backoff_factor=1,
        )
        self.http.mount(self.url, HTTPAdapter(max_retries=retry))
        self.http.headers["User-Agent"] = "tyndau-metabase-provision"

    def login(self, session_id: str) -> None:
        self.http.headers["X-Metabase-Session"] = session_id

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        try:
            answer = self.http.request(
                method, self.url + path, json=body, params=params or None, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            raise MetabaseError(
                f"{method} {path}: Metabase at {self.url} unreachable ({error})"
            ) from None
        if answer.status_code == 401:
            raise MetabaseError(
                f"{method} {path}: Metabase refused the login (401): check METABASE_ADMIN_EMAIL "
                "and METABASE_ADMIN_PASSWORD (the admin the first provisioning created)"
            )
        if not answer.ok:
            raise MetabaseError(
                f"{method} {path}: Metabase answered {answer.status_code}: {_gist(answer)}"
            )
        return answer.json() if answer.content else None

    def listing(self, path: str, **params: Any) -> list[dict]:
        """A list endpoint's items: since v0.40 some wrap them in {"data": [...]}, others not."""
        answer = self.call("GET", path, **params)
        return answer["data"] if isinstance(answer, dict) else answer


def _gist(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return redact(answer.text[:300])
    if isinstance(body, dict):
        body = body.get("errors") or body.get("message") or body
    return redact(json.dumps(body, ensure_ascii=False)[:300])


# --- provisioning ---


@dataclass
class Outcome:
    """What a run did: names created and updated per kind, and where each dashboard is."""

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    dashboard_urls: dict[str, str] = field(default_factory=dict)
    descriptions: str = ""

    def note(self, kind: str, name: str, created: bool) -> None:
        (self.created if created else self.updated).setdefault(kind, []).append(name)
        log.info("metabase: %s %s %r", "created" if created else "updated", kind, name)


def require(settings: Settings) -> None:
    needed = (
        "metabase_url",
        "metabase_admin_email",
        "metabase_admin_password",
        "reader_password",
        "warehouse_url",  # the embedded warehouse listens on a socket Metabase cannot reach
    )
    missing = [env_name(name) for name in needed if not getattr(settings, name)]
    if missing:
        raise MetabaseError(f"tyndau metabase provision needs {', '.join(missing)} set")


def provision(
    settings: Settings,
    dashboards: list[Dashboard] | None = None,
    *,
    manifest: Path | None = None,
    descriptions: bool = True,
    sync_timeout: int = 30,
) -> Outcome:
    """Bring Metabase at METABASE_URL to the committed state (module docstring)."""
    require(settings)
    dashboards = load_dashboards() if dashboards is None else dashboards
    api = Api(settings.metabase_url)
    outcome = Outcome()
    log_in(api, settings, outcome)
    ensure_reader(settings)
    database_id = ensure_database(api, settings, outcome)
    collection_id = ensure_collection(api, outcome)
    items = {
        (item["model"], item["name"]): item["id"]
        for item in api.listing(
            f"/api/collection/{collection_id}/items", models=["card", "dashboard"]
        )
    }
    for dashboard in dashboards:
        card_ids = {
            card.name: ensure_card(api, card, database_id, collection_id, items, outcome)
            for card in dashboard.cards
        }
        dashboard_id = ensure_dashboard(api, dashboard, card_ids, collection_id, items, outcome)
        outcome.dashboard_urls[dashboard.name] = f"{api.url}/dashboard/{dashboard_id}"
    if descriptions:
        outcome.descriptions = push_descriptions(settings, manifest, sync_timeout)
    return outcome


def log_in(api: Api, settings: Settings, outcome: Outcome) -> None:
    properties = api.call("GET", "/api/session/properties")
    if properties.get("has-user-setup"):
        session = api.call(
            "POST",
            "/api/session",
            {
                "username": settings.metabase_admin_email,
                "password": settings.metabase_admin_password,
            },
        )
        api.login(session["id"])
        return
    token = properties.get("setup-token")
    if not token:
        raise MetabaseError("Metabase is not set up yet but offers no setup token")
    try:
        session = api.call(
            "POST",
            "/api/setup",
            {
                "token": token,
                "user": {
                    "first_name": "tyndau",
                    "last_name": "admin",
                    "email": settings.metabase_admin_email,
                    "password": settings.metabase_admin_password,
                },
                "prefs": {"site_name": "tyndau", "site_locale": "en", "allow_tracking": False},
            },
        )
    except MetabaseError as error:
        raise MetabaseError(f"Metabase's first set-up failed: {error}") from None
    api.login(session["id"])
    outcome.note("admin", settings.metabase_admin_email, created=True)


def ensure_reader(settings: Settings) -> None:
    """The analysts' role, so that Metabase can connect before the first publish has made it
    (publishing makes it the same way, and grants it `marts`)."""
    import psycopg

    from tyndau.warehouse.roles import ensure_reader_role

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        ensure_reader_role(conn, settings.reader_password, settings.reader_statement_timeout)


def database_details(settings: Settings) -> dict:
    from tyndau.warehouse.roles import READER_ROLE
    from tyndau.warehouse.url import url_parts

    parts = url_parts(settings.warehouse_url)
    return {
        "host": parts["host"],
        "port": int(parts["port"]),
        "dbname": parts["dbname"],
        "user": READER_ROLE,
        "password": settings.reader_password,
        "ssl": False,
        "tunnel-enabled": False,
        # the reader sees nothing else; the filter keeps Metabase from even looking
        "schema-filters-type": "inclusion",
        "schema-filters-patterns": MARTS_SCHEMA,
    }


def ensure_database(api: Api, settings: Settings, outcome: Outcome) -> int:
    body = {"name": DATABASE_NAME, "engine": "postgres", "details": database_details(settings)}
    found = [d for d in api.listing("/api/database") if d["name"] == DATABASE_NAME]
    if found:
        database_id = found[0]["id"]
        api.call("PUT", f"/api/database/{database_id}", body)  # a changed reader password too
    else:
        database_id = api.call("POST", "/api/database", body | {"is_full_sync": True})["id"]
    outcome.note("database", DATABASE_NAME, created=not found)
    api.call("POST", f"/api/database/{database_id}/sync_schema")
    return database_id


def ensure_collection(api: Api, outcome: Outcome) -> int:
    found = [
        c
        for c in api.listing("/api/collection")
        if c.get("name") == COLLECTION_NAME
        and not c.get("archived")
        and not c.get("personal_owner_id")
    ]
    if found:
        return found[0]["id"]
    body = {
        "name": COLLECTION_NAME,
        "description": "The tyndau marts' dashboards, provisioned by `tyndau metabase provision` "
        "from bi/metabase/dashboards/: edits here are overwritten on its next run.",
        "parent_id": None,
    }
    collection_id = api.call("POST", "/api/collection", body)["id"]
    outcome.note("collection", COLLECTION_NAME, created=True)
    return collection_id


def ensure_card(
    api: Api, card: Card, database_id: int, collection_id: int, items: dict, outcome: Outcome
) -> int:
    body = {
        "name": card.name,
        "description": card.description or None,
        "display": card.display,
        "collection_id": collection_id,
        "dataset_query": {
            "type": "native",
            "database": database_id,
            "native": {"query": card.sql, "template-tags": {}},
        },
        "visualization_settings": card.visualization_settings,
    }
    card_id = items.get(("card", card.name))
    if card_id:
        api.call("PUT", f"/api/card/{card_id}", body)
    else:
        card_id = api.call("POST", "/api/card", body)["id"]
    outcome.note("card", card.name, created=("card", card.name) not in items)
    return card_id


def ensure_dashboard(
    api: Api,
    dashboard: Dashboard,
    card_ids: dict[str, int],
    collection_id: int,
    items: dict,
    outcome: Outcome,
) -> int:
    dashboard_id = items.get(("dashboard", dashboard.name))
    created = not dashboard_id
    if created:
        body = {
            "name": dashboard.name,
            "description": dashboard.description,
            "collection_id": collection_id,
            "parameters": [],
        }
        dashboard_id = api.call("POST", "/api/dashboard", body)["id"]
    # the dashcards replace the dashboard's whole layout: an existing one keeps its id, a new one
    # gets a negative id, and one the JSON no longer has is dropped
    current = api.call("GET", f"/api/dashboard/{dashboard_id}")
    kept = {d["card_id"]: d["id"] for d in current.get("dashcards", []) if d.get("card_id")}
    dashcards = [
        {
            "id": kept.get(card_ids[card.name], -(n + 1)),
            "card_id": card_ids[card.name],
            "dashboard_tab_id": None,
            "row": card.row,
            "col": card.col,
            "size_x": card.size_x,
            "size_y": card.size_y,
            "parameter_mappings": [],
            "visualization_settings": {},
            "series": [],
        }
        for n, card in enumerate(dashboard.cards)
    ]
    api.call(
        "PUT",
        f"/api/dashboard/{dashboard_id}",
        {
            "name": dashboard.name,
            "description": dashboard.description,
            "collection_id": collection_id,
            "dashcards": dashcards,
            "tabs": [],
        },
    )
    outcome.note("dashboard", dashboard.name, created=created)
    return dashboard_id


# --- column descriptions from dbt ---


def dbt_manifest(settings: Settings) -> Path:
    """dbt's manifest of the published marts (`dbt parse`, `marts_schema: marts`): models,
    columns and their descriptions, as dbt-metabase reads them. Parsing connects to nothing."""
    from tyndau.docs import DocsError, dbt_on_published_marts

    target = settings.state_dir / "metabase" / "dbt"
    try:
        dbt_on_published_marts(["parse"], settings.warehouse_url, target)
    except DocsError as error:
        raise MetabaseError(str(error)) from None
    return target / "manifest.json"


def push_descriptions(settings: Settings, manifest: Path | None, sync_timeout: int) -> str:
    """The marts' table and column descriptions (and keys) from dbt into Metabase, by
    dbt-metabase. Before the first publish the marts are not there to describe: that is a
    warning, not a failure (run provisioning again after the first `tyndau run`)."""
    from dbtmetabase import DbtMetabase, Filter
    from dbtmetabase.errors import MetabaseStateError

    manifest = manifest or dbt_manifest(settings)
    try:
        dbt_metabase = DbtMetabase(
            manifest_path=manifest,
            metabase_url=settings.metabase_url,
            metabase_username=settings.metabase_admin_email,
            metabase_password=settings.metabase_admin_password,
            http_timeout=TIMEOUT,
        )
        dbt_metabase.export_models(
            metabase_database=DATABASE_NAME,
            schema_filter=Filter(include=[MARTS_SCHEMA]),
            skip_sources=True,
            sync_timeout=sync_timeout,
        )
    except MetabaseStateError as error:
        message = (
            f"column descriptions not pushed: {error} (are the marts published yet? run "
            "`tyndau metabase provision` again after the first pipeline run)"
        )
        log.warning("metabase: %s", message)
        return message
    except requests.RequestException as error:
        raise MetabaseError(f"pushing the column descriptions failed: {error}") from None
    return f"column descriptions of the {MARTS_SCHEMA} tables pushed from {manifest}"


def search_url(base_url: str, name: str) -> str:
    """A Metabase URL that finds a dashboard by name (its id is known only once created)."""
    return f"{base_url.rstrip('/')}/search?q={quote(name)}&type=dashboard"
