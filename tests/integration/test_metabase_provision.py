"""`tyndau metabase provision` against a stand-in of Metabase's API.

Metabase cannot run where tyndau is developed (no Docker, no JVM image), so this is a stand-in,
and only that: a small real HTTP server (stdlib, in a thread) that serves the exchanges of
tests/fixtures/metabase/api_v0.52.json, written from Metabase v0.52's API reference. It checks
each request's method, path, session and the body fields the fixture names, and answers with
state: what one run creates, the next finds by name. Its "sync" reads the tables the way
Metabase's would, connecting as the analysts' role with the details provisioning gave it, to a
real Postgres holding the marts' contract tables (published by the real publish step).
Everything else is real: the provisioning code, the committed dashboards, `dbt parse`,
dbt-metabase, the reader role, and each card's SQL, run against those tables as the reader.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import dbtmetabase._models
import psycopg
import pytest
import yaml
from click.testing import CliRunner
from psycopg import sql

from tyndau.cli import main as cli
from tyndau.metabase import (
    COLLECTION_NAME,
    DATABASE_NAME,
    METABASE_VERSION,
    MetabaseError,
    dbt_manifest,
    load_dashboards,
    provision,
    search_url,
)
from tyndau.publish import publish_marts
from tyndau.settings import DBT_PROJECT_DIR, PROJECT_DIR, load_settings
from tyndau.warehouse.url import url_parts

FIXTURE = json.loads((PROJECT_DIR / "tests/fixtures/metabase/api_v0.52.json").read_text())
ADMIN = {"email": "admin@tyndau.example", "password": "admin-pass-7f3a9c"}
READER_PASSWORD = "reader-pass-5e1b2d"


def _get(body, dotted: str):
    for key in dotted.split("."):
        if not isinstance(body, dict) or key not in body:
            raise KeyError(dotted)
        body = body[key]
    return body


class Refused(Exception):
    def __init__(self, status: int, body):
        self.status, self.body = status, body


class StandIn:
    """Metabase's state and the fixture's exchanges."""

    def __init__(self, warehouse_tables):
        self.lock = threading.Lock()
        self.ids = itertools.count(100)
        self.setup_token = str(uuid.uuid4())
        self.users: dict[str, str] = {}
        self.sessions: set[str] = set()
        self.collections = copy.deepcopy(FIXTURE["seed"]["collections"])
        self.databases = copy.deepcopy(FIXTURE["seed"]["databases"])
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.tables: dict[int, list[dict]] = {}  # database id → its synced tables
        self.warehouse_tables = warehouse_tables  # reads the warehouse as Metabase's sync does
        self.requests: list[tuple[str, str, dict | None]] = []
        self.unexpected: list[str] = []

    # the fixture: which exchange, what the request must carry, the answer's shape
    def exchange(self, method: str, path: str) -> tuple[str, list[str]]:
        for key in FIXTURE["exchanges"]:
            verb, pattern = key.split(" ", 1)
            regex = "^" + re.sub(r":id", r"(\\d+)", pattern) + "/?$"
            if verb == method and (match := re.match(regex, path)):
                return key, list(match.groups())
        raise Refused(404, "API endpoint does not exist.")

    def check(self, key: str, body) -> None:
        rules = FIXTURE["exchanges"][key].get("request", {})
        for dotted in rules.get("present", []):
            try:
                _get(body, dotted)
            except KeyError:
                raise Refused(400, {"errors": {dotted: "value must be present"}}) from None
        for dotted, value in rules.get("equal", {}).items():
            if _get(body, dotted) != value:
                raise Refused(400, {"errors": {dotted: f"must be {value!r}"}})
        for listed, fields in rules.get("each", {}).items():
            for item in body[listed]:
                missing = [f for f in fields if f not in item]
                if missing:
                    raise Refused(400, {"errors": {listed: f"missing {missing}"}})

    def answer(self, key: str, **state):
        shape = copy.deepcopy(FIXTURE["exchanges"][key]["response"]["body"])
        if isinstance(shape, dict):
            shape.update(state)
        return shape

    def error(self, key: str, which: str):
        recorded = FIXTURE["exchanges"][key]["errors"][which]
        return Refused(recorded["status"], recorded["body"])

    def handle(self, method: str, path: str, query: dict, body, session: str | None):
        key, ids = self.exchange(method, path)
        spec = FIXTURE["exchanges"][key]
        if spec.get("auth", True) and session not in self.sessions:
            raise Refused(FIXTURE["unauthenticated"]["status"], FIXTURE["unauthenticated"]["body"])
        self.check(key, body)
        ident = int(ids[0]) if ids else None
        return getattr(self, "on_" + re.sub(r"\W+", "_", key).strip("_").lower())(
            key, ident, query, body
        )

    def new_session(self, key: str) -> dict:
        session = str(uuid.uuid4())
        self.sessions.add(session)
        return self.answer(key, id=session)

    # --- one method per exchange ---
    def on_get_api_session_properties(self, key, _id, _q, _b):
        return self.answer(
            key, **{"setup-token": self.setup_token, "has-user-setup": bool(self.users)}
        )

    def on_post_api_setup(self, key, _id, _q, body):
        if self.users:
            raise self.error(key, "already set up")
        if body["token"] != self.setup_token:
            raise self.error(key, "bad token")
        self.users[body["user"]["email"]] = body["user"]["password"]
        self.setup_token = None  # as since v0.46.6.1: used once, then gone
        return self.new_session(key)

    def on_post_api_session(self, key, _id, _q, body):
        if self.users.get(body["username"]) != body["password"]:
            raise self.error(key, "bad password")
        return self.new_session(key)

    def on_get_api_database(self, key, _id, _q, _b):
        return self.answer(key, data=self.databases, total=len(self.databases))

    def _database(self, ident: int) -> dict:
        found = [d for d in self.databases if d["id"] == ident]
        if not found:
            raise Refused(404, "Not found.")
        return found[0]

    def _public(self, database: dict) -> dict:
        # Metabase never returns a password it holds
        details = dict(database["details"]) | {"password": "**MetabasePass**"}
        return database | {"details": details}

    def on_post_api_database(self, key, _id, _q, body):
        database = {"id": next(self.ids), **body}
        self.databases.append(database)
        return self.answer(key, **self._public(database))

    def on_put_api_database_id(self, key, ident, _q, body):
        database = self._database(ident)
        database.update(body)
        return self.answer(key, **self._public(database))

    def on_post_api_database_id_sync_schema(self, key, ident, _q, _b):
        database = self._database(ident)
        known = {(t["schema"], t["name"]): t for t in self.tables.get(ident, [])}
        tables = []
        for (schema, name), columns in self.warehouse_tables(database["details"]).items():
            table = known.get((schema, name)) or {
                "id": next(self.ids),
                "db_id": ident,
                "schema": schema,
                "name": name,
                "display_name": name.replace("_", " ").title(),
                "description": None,
                "visibility_type": None,
                "fields": [],
            }
            have = {f["name"]: f for f in table["fields"]}
            table["fields"] = [
                have.get(column)
                or {
                    "id": next(self.ids),
                    "table_id": table["id"],
                    "name": column,
                    "display_name": column.replace("_", " ").title(),
                    "description": None,
                    "semantic_type": None,
                    "fk_target_field_id": None,
                    "visibility_type": "normal",
                    "has_field_values": "list",
                    "coercion_strategy": None,
                    "settings": None,
                }
                for column in columns
            ]
            tables.append(table)
        self.tables[ident] = tables
        return self.answer(key)

    def on_get_api_database_id_metadata(self, key, ident, _q, _b):
        database = self._public(self._database(ident))
        return self.answer(key, **database, tables=copy.deepcopy(self.tables.get(ident, [])))

    def _find(self, kind: str, ident: int) -> dict:
        for table in itertools.chain.from_iterable(self.tables.values()):
            if kind == "table" and table["id"] == ident:
                return table
            for field in table["fields"]:
                if kind == "field" and field["id"] == ident:
                    return field
        raise Refused(404, "Not found.")

    def on_put_api_table_id(self, key, ident, _q, body):
        table = self._find("table", ident)
        table.update(body)
        return self.answer(key, **{k: v for k, v in table.items() if k != "fields"})

    def on_put_api_field_id(self, key, ident, _q, body):
        field = self._find("field", ident)
        field.update(body)
        return self.answer(key, **field)

    def on_get_api_collection(self, key, _id, _q, _b):
        return self.collections

    def on_post_api_collection(self, key, _id, _q, body):
        collection = self.answer(key, id=next(self.ids), **body)
        self.collections.append(collection)
        return collection

    def on_get_api_collection_id_items(self, key, ident, query, _b):
        models = query.get("models", ["card", "dashboard"])
        items = [
            {"id": i, "name": o["name"], "model": model}
            for model, store in (("card", self.cards), ("dashboard", self.dashboards))
            if model in models
            for i, o in store.items()
            if o["collection_id"] == ident and not o.get("archived")
        ]
        return self.answer(key, data=items, total=len(items))

    def on_post_api_card(self, key, _id, _q, body):
        self._database(body["dataset_query"]["database"])
        card = self.answer(
            key, id=next(self.ids), database_id=body["dataset_query"]["database"], **body
        )
        self.cards[card["id"]] = card
        return card

    def on_put_api_card_id(self, key, ident, _q, body):
        if ident not in self.cards:
            raise Refused(404, "Not found.")
        self.cards[ident].update(body)
        return self.cards[ident]

    def on_post_api_dashboard(self, key, _id, _q, body):
        dashboard = self.answer(key, id=next(self.ids), dashcards=[], tabs=[], **body)
        self.dashboards[dashboard["id"]] = dashboard
        return dashboard

    def on_get_api_dashboard_id(self, key, ident, _q, _b):
        if ident not in self.dashboards:
            raise Refused(404, "Not found.")
        return self.dashboards[ident]

    def on_put_api_dashboard_id(self, key, ident, _q, body):
        dashboard = self.on_get_api_dashboard_id(key, ident, _q, body)
        existing = {d["id"] for d in dashboard["dashcards"]}
        dashcards = []
        for dashcard in body["dashcards"]:
            if dashcard["card_id"] not in self.cards:
                raise Refused(400, {"errors": {"card_id": "no such card"}})
            if dashcard["id"] >= 0 and dashcard["id"] not in existing:
                raise Refused(400, {"errors": {"id": "a dashcard of another dashboard"}})
            new_id = dashcard["id"] if dashcard["id"] >= 0 else next(self.ids)
            dashcards.append(dashcard | {"id": new_id, "dashboard_id": ident})
        dashboard.update(body | {"dashcards": dashcards})
        return dashboard


def serve(standin: StandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(url.query)
            with standin.lock:
                standin.requests.append((self.command, url.path, body))
                try:
                    status, answer = (
                        200,
                        standin.handle(
                            self.command,
                            url.path,
                            query,
                            body,
                            self.headers.get("X-Metabase-Session"),
                        ),
                    )
                except Refused as refused:
                    status, answer = refused.status, refused.body
                    if status == 404:
                        standin.unexpected.append(f"{self.command} {self.path}")
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the warehouse: the marts' contract tables, published, read as the reader ---


def _contracts() -> dict[str, list[tuple[str, str]]]:
    marts = {}
    for path in sorted((DBT_PROJECT_DIR / "models" / "marts").glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            marts[model["name"]] = [(c["name"], c["data_type"]) for c in model["columns"]]
    return marts


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """dbt's manifest, from the real `dbt parse` (it connects to nothing): once per module."""
    state = tmp_path_factory.mktemp("state")
    env = {"TYNDAU_STATE_DIR": str(state), "WAREHOUSE_URL": "postgresql://nobody@localhost/none"}
    return dbt_manifest(load_settings(env))


@pytest.fixture
def warehouse(fresh_database):
    """The marts as empty tables of their contracts' columns and types, published by the real
    publish step (which confines the reader to them)."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create schema marts_candidate")
        for name, columns in _contracts().items():
            conn.execute(
                sql.SQL("create table marts_candidate.{} ({})").format(
                    sql.Identifier(name),
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns
                    ),
                )
            )
    publish_marts(fresh_database, READER_PASSWORD)
    return fresh_database


def read_as_metabase(details: dict) -> dict[tuple[str, str], list[str]]:
    """What Metabase's sync would see, connecting with the details it was given."""
    with psycopg.connect(
        host=details["host"],
        port=details["port"],
        dbname=details["dbname"],
        user=details["user"],
        password=details["password"],
    ) as conn:
        rows = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema = %s order by table_schema, table_name, ordinal_position",
            [details["schema-filters-patterns"]],
        ).fetchall()
    tables: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        tables.setdefault((schema, table), []).append(column)
    return tables


@pytest.fixture
def metabase():
    standin = StandIn(read_as_metabase)
    server = serve(standin)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_sync_pause(monkeypatch):
    # dbt-metabase sleeps 5 s before each look at Metabase's sync; the stand-in syncs at once
    monkeypatch.setattr(dbtmetabase._models, "_SYNC_PERIOD", 0)


def _env(metabase, warehouse, tmp_path) -> dict[str, str]:
    return {
        "TYNDAU_STATE_DIR": str(tmp_path / "state"),
        "WAREHOUSE_URL": warehouse,
        "TYNDAU_READER_PASSWORD": READER_PASSWORD,
        "METABASE_URL": metabase.url,
        "METABASE_ADMIN_EMAIL": ADMIN["email"],
        "METABASE_ADMIN_PASSWORD": ADMIN["password"],
    }


def _settings(metabase, warehouse, tmp_path):
    return load_settings(_env(metabase, warehouse, tmp_path))


def _posts(requests, path: str) -> int:
    return sum(1 for method, p, _ in requests if method == "POST" and p == path)


def test_first_run_creates_everything_second_updates_and_duplicates_nothing(
    metabase, warehouse, manifest, tmp_path, caplog
):
    dashboards = load_dashboards()
    cards = [card for d in dashboards for card in d.cards]
    settings = _settings(metabase, warehouse, tmp_path)
    caplog.set_level(logging.INFO)

    first = provision(settings, dashboards, manifest=manifest, sync_timeout=1)
    assert first.created["admin"] == [ADMIN["email"]]
    assert first.created["database"] == [DATABASE_NAME]
    assert first.created["collection"] == [COLLECTION_NAME]
    assert first.created["card"] == [c.name for c in cards]
    assert first.created["dashboard"] == [d.name for d in dashboards]
    assert not first.updated
    assert "pushed" in first.descriptions
    assert metabase.unexpected == []
    assert _posts(metabase.requests, "/api/setup") == 1
    assert len(metabase.cards) == len(cards) and len(metabase.dashboards) == len(dashboards)
    # each dashboard shows its own cards where its JSON puts them
    names = {i: c["name"] for i, c in metabase.cards.items()}
    for dashboard in dashboards:
        (stored,) = [d for d in metabase.dashboards.values() if d["name"] == dashboard.name]
        placed = {names[d["card_id"]]: (d["col"], d["row"]) for d in stored["dashcards"]}
        assert placed == {c.name: (c.col, c.row) for c in dashboard.cards}
        assert first.dashboard_urls[dashboard.name] == f"{metabase.url}/dashboard/{stored['id']}"
    # the cards are native SQL on the warehouse as the reader
    (database,) = [d for d in metabase.databases if d["name"] == DATABASE_NAME]
    assert database["details"]["user"] == "tyndau_reader"
    assert database["details"]["host"] == url_parts(warehouse)["host"]
    assert {c["dataset_query"]["database"] for c in metabase.cards.values()} == {database["id"]}
    # dbt's descriptions reached the marts' tables and fields
    tables = {t["name"]: t for t in metabase.tables[database["id"]]}
    assert set(tables) == set(_contracts())
    ranking = {f["name"]: f for f in tables["akimat_ranking"]["fields"]}
    assert tables["akimat_ranking"]["description"].startswith("Ranking of the regional akimats")
    assert ranking["answer_band"]["description"].startswith("Band of answer_rank")
    assert all(f["description"] for t in tables.values() for f in t["fields"])

    # a second run: logs in, finds everything by name, updates it
    dashcard_ids = {i: [d["id"] for d in x["dashcards"]] for i, x in metabase.dashboards.items()}
    before = len(metabase.requests)
    second = provision(settings, dashboards, manifest=manifest, sync_timeout=1)
    again = metabase.requests[before:]
    assert not second.created
    assert second.updated["card"] == [c.name for c in cards]
    assert second.updated["dashboard"] == [d.name for d in dashboards]
    assert second.updated["database"] == [DATABASE_NAME]
    assert _posts(again, "/api/setup") == 0
    assert _posts(again, "/api/card") == _posts(again, "/api/dashboard") == 0
    assert _posts(again, "/api/database") == _posts(again, "/api/collection") == 0
    assert len(metabase.cards) == len(cards) and len(metabase.dashboards) == len(dashboards)
    assert [c["name"] for c in metabase.collections].count(COLLECTION_NAME) == 1
    # the layout's dashcards were updated in place, not replaced
    assert {i: [d["id"] for d in x["dashcards"]] for i, x in metabase.dashboards.items()} == (
        dashcard_ids
    )
    assert second.dashboard_urls == first.dashboard_urls
    # the descriptions are current: none is sent again (dbt-metabase may re-send a key type:
    # akimat_ranking.region_kato is both a primary key and the target of other marts' keys)
    described = [
        p
        for m, p, body in again
        if m == "PUT" and p.startswith(("/api/table", "/api/field")) and "description" in body
    ]
    assert described == []
    assert metabase.unexpected == []
    # the reader's and the admin's passwords went to Metabase, never to the log
    assert READER_PASSWORD not in caplog.text and ADMIN["password"] not in caplog.text


def test_each_card_runs_on_the_marts_as_the_reader(warehouse):
    """The committed SQL names only what the marts' contracts have, and the reader may read it."""
    parts = url_parts(warehouse)
    with psycopg.connect(
        host=parts["host"],
        port=parts["port"],
        dbname=parts["dbname"],
        user="tyndau_reader",
        password=READER_PASSWORD,
    ) as conn:
        for dashboard in load_dashboards():
            for card in dashboard.cards:
                conn.execute(f"select * from ({card.sql}) as card limit 0")


def test_a_wrong_setup_token_is_a_clear_error(metabase, warehouse, tmp_path, caplog):
    settings = _settings(metabase, warehouse, tmp_path)
    real = metabase.setup_token
    metabase.on_get_api_session_properties = lambda key, *_: metabase.answer(
        key, **{"setup-token": "not-" + real, "has-user-setup": False}
    )
    with pytest.raises(MetabaseError, match="first set-up failed.*400.*does not match the setup"):
        provision(settings, descriptions=False)
    assert not metabase.users and not metabase.cards


def test_a_refused_login_is_a_clear_error_without_the_passwords(
    metabase, warehouse, tmp_path, caplog
):
    metabase.users[ADMIN["email"]] = "another-password"  # set up before, by someone else
    settings = _settings(metabase, warehouse, tmp_path)
    with pytest.raises(MetabaseError) as caught:
        provision(settings, descriptions=False)
    message = str(caught.value)
    assert "401" in message and "METABASE_ADMIN_PASSWORD" in message
    assert ADMIN["password"] not in message and READER_PASSWORD not in message
    assert not metabase.cards


def test_a_metabase_error_quoting_the_reader_password_is_redacted(
    metabase, warehouse, tmp_path, caplog
):
    """Metabase echoing a connection error (with the password it was given) shows it masked."""
    settings = _settings(metabase, warehouse, tmp_path)

    def refuse(key, _id, _q, body):
        raise Refused(400, {"message": f"FATAL: password {body['details']['password']} refused"})

    metabase.on_post_api_database = refuse
    with pytest.raises(MetabaseError) as caught:
        provision(settings, descriptions=False)
    assert "refused" in str(caught.value) and READER_PASSWORD not in str(caught.value)
    assert "***" in str(caught.value)


def test_the_cli_provisions_and_prints_the_dashboards(metabase, warehouse, tmp_path, monkeypatch):
    for name, value in _env(metabase, warehouse, tmp_path).items():
        monkeypatch.setenv(name, value)
    done = CliRunner().invoke(cli, ["metabase", "provision", "--no-descriptions"])
    assert done.exit_code == 0, done.output
    for dashboard in load_dashboards():
        assert f"dashboard {dashboard.name!r}: {metabase.url}/dashboard/" in done.output
    assert READER_PASSWORD not in done.output and ADMIN["password"] not in done.output
    monkeypatch.delenv("METABASE_ADMIN_PASSWORD")
    done = CliRunner().invoke(cli, ["metabase", "provision"])
    assert done.exit_code == 1 and "METABASE_ADMIN_PASSWORD" in done.output


def test_the_exposures_name_the_provisioned_dashboards():
    exposures = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/_exposures.yml").read_text())
    ours = [e for e in exposures["exposures"] if e["name"].startswith("metabase_")]
    dashboards = load_dashboards()
    assert [e["label"] for e in ours] == [d.name for d in dashboards]
    for exposure, dashboard in zip(ours, dashboards, strict=True):
        assert exposure["url"] == search_url("http://localhost:3000", dashboard.name)
        # what the dashboard's SQL reads, exactly
        read = {m for c in dashboard.cards for m in re.findall(r"marts\.(\w+)", c.sql)}
        assert {re.fullmatch(r"ref\('(\w+)'\)", d)[1] for d in exposure["depends_on"]} == read
    assert FIXTURE["metabase_version"] == METABASE_VERSION


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["cards"].append(dict(d["cards"][0])), "named twice"),
        (lambda d: d["cards"][0].update(col=20, size_x=8), "24-column grid"),
        (lambda d: d["cards"][0].update(sql="select 1"), "reads no marts"),
        (lambda d: d["cards"][0].update(display="sparkles"), "display 'sparkles'"),
        (lambda d: d.pop("cards"), "not a dashboard"),
    ],
)
def test_a_bad_dashboard_file_is_a_clear_error(tmp_path, change, error):
    spec = json.loads(load_dashboards()[0].source.read_text())
    change(spec)
    (tmp_path / "bad.json").write_text(json.dumps(spec))
    with pytest.raises(MetabaseError, match=f"bad.json: .*{error}"):
        load_dashboards(tmp_path)
