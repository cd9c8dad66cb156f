"""Landing Open Dialogue pages in a real Postgres (pgserver): idempotence, history, ledger."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

from ingestion.common.http import HttpConfig
from ingestion.common.ledger import finish_load, record_progress, start_load
from ingestion.common.raw import content_hash
from ingestion.dialog import LandingCheckFailed, land_dialog
from ingestion.dialog.load import (
    TO_THE_END,
    ObservedPage,
    ensure_raw_schema,
    known_states,
    land_blogs,
    land_pages,
    mask_landed,
)
from ingestion.dialog.masking import MASKING_VERSION, masked_texts
from ingestion.dialog.parse import ListingPage, parse_listing
from ingestion.dialog.registry import Blog

pgserver = pytest.importorskip("pgserver")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dialog"
URL = "http://portal.test/blogs/294912/questions?page=1"
BLOG = 294912


def fixture_page(name: str, url: str = URL) -> ListingPage:
    return parse_listing((FIXTURES / name).read_text(encoding="utf-8"), url)


@pytest.fixture(scope="module")
def warehouse_url():
    # A short path: the server's Unix socket lives in it, and socket paths are length-limited.
    pgdata = Path(tempfile.mkdtemp(prefix="tyndau-pg-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)


@pytest.fixture
def conn(warehouse_url):
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        ensure_raw_schema(connection)
        for table in (
            "dialog_appeals",
            "dialog_masked_texts",
            "dialog_blogs",
            "dialog_rejects",
            "dialog_walks",
            "load_ledger",
        ):
            connection.execute(f"truncate raw.{table}")
        yield connection


def observed(page: ListingPage, blog_id: int = BLOG) -> ObservedPage:
    return ObservedPage(blog_id, page.source_url, page, dt.datetime.now(dt.UTC))


def count(conn, table: str) -> int:
    return conn.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_schema_is_idempotent_and_exactly_as_agreed(conn):
    ensure_raw_schema(conn)
    ensure_raw_schema(conn)
    columns = conn.execute(
        "select table_name, string_agg(column_name, ',' order by ordinal_position) "
        "from information_schema.columns where table_schema = 'raw' group by table_name "
        "order by table_name"
    ).fetchall()
    assert dict(columns) == {
        "dialog_appeals": "load_id,observed_at,source_url,content_hash,number,question_id,"
        "blog_id,payload",
        "dialog_blogs": "load_id,observed_at,source_file,content_hash,blog_id,payload",
        "dialog_masked_texts": "number,content_hash,masking_version,appeal_text,answer_text,"
        "masked_at",
        "dialog_rejects": "load_id,observed_at,source_url,reason,fragment,content_hash",
        "dialog_walks": "load_id,blog_id,walked_at,full_refresh,pages_fetched,requests,"
        "stop_reason,failed_pages,lowest_id,reach_id,lowest_on,reach_on",
        "dialog_walk_progress": "blog_id,load_id,resume_page,updated_at",
        "load_ledger": "load_id,source,started_at,finished_at,status,stats,error",
    }


def test_schema_creation_is_safe_when_loads_start_together(warehouse_url):
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute("drop database if exists race")
        admin.execute("create database race")
    race_url = warehouse_url.replace("/postgres?", "/race?")
    errors: list[BaseException] = []

    def create():
        try:
            with psycopg.connect(race_url, autocommit=True) as connection:
                ensure_raw_schema(connection)
        except BaseException as exc:  # collected: the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_landing_the_same_page_twice_adds_nothing(conn):
    page = fixture_page("listing_normal.html")
    first = land_pages(conn, uuid.uuid4(), [observed(page)])
    second = land_pages(conn, uuid.uuid4(), [observed(page), observed(page)])
    assert (first.appeals, second.appeals) == (10, 0)
    assert count(conn, "dialog_appeals") == 10
    numbers = [c["number"] for c in page.cards]
    assert known_states(conn, numbers) == {
        c["number"]: (c["status"], c["rating"], len(c["answers"])) for c in page.cards
    }
    assert known_states(conn, ["1"]) == {}


def test_every_landed_observation_lands_with_its_masked_texts(conn):
    page = fixture_page("listing_normal.html")
    land_pages(conn, uuid.uuid4(), [observed(page)])
    masked = conn.execute(
        "select a.number, m.masking_version, m.appeal_text, m.answer_text, a.payload"
        " from raw.dialog_appeals as a join raw.dialog_masked_texts as m"
        " using (number, content_hash)"
    ).fetchall()
    assert len(masked) == count(conn, "dialog_masked_texts") == count(conn, "dialog_appeals")
    for _, version, appeal_text, answer_text, payload in masked:
        assert (version, appeal_text, answer_text) == (MASKING_VERSION, *masked_texts(payload))
    # "Уважаемый Серик Болатович!"
    assert any("[NAME]" in (text or "") for *_, text, _ in masked)
    assert mask_landed(conn) == 0  # nothing left for the build's mask step


def test_the_mask_step_masks_what_lacks_masks_under_the_current_rules(conn):
    page = fixture_page("listing_normal.html")
    land_pages(conn, uuid.uuid4(), [observed(page)])
    # as if landed before masking moved to the landing, or under older rules
    conn.execute("delete from raw.dialog_masked_texts where number = %s", [page.cards[0]["number"]])
    conn.execute(
        "update raw.dialog_masked_texts set masking_version = %s, appeal_text = 'old'"
        " where number = %s",
        [MASKING_VERSION - 1, page.cards[1]["number"]],
    )
    seen: list[int] = []
    assert mask_landed(conn, batch_rows=1, progress=seen.append) == 2
    assert seen == [1, 2]  # one batch each, committed one by one
    stale = conn.execute(
        "select count(*) from raw.dialog_masked_texts"
        " where masking_version <> %s or appeal_text = 'old'",
        [MASKING_VERSION],
    ).fetchone()[0]
    assert (stale, count(conn, "dialog_masked_texts")) == (0, 10)
    assert mask_landed(conn, everything=True) == 10


def test_a_changed_appeal_adds_a_row_and_keeps_the_old_one(conn):
    page = fixture_page("listing_normal.html")
    land_pages(conn, uuid.uuid4(), [observed(page)])
    pending = next(c for c in page.cards if c["number"] == "754734")
    answer = {"responder": "Тест Т. Т.", "answered_on": "2021-03-19", "text": "Ответ."}
    answered = {
        **pending,
        "status": "answered",
        "answers": [{**answer, "rating": None}],
        "responder": "Тест Т. Т.",
        "answered_on": "2021-03-19",
        "last_answered_on": "2021-03-19",
        "views": 45,
    }
    changed = ListingPage(URL, 3, cards=[answered])
    assert land_pages(conn, uuid.uuid4(), [observed(changed)]).appeals == 1
    rows = conn.execute(
        "select payload->>'status', content_hash from raw.dialog_appeals "
        "where number = '754734' order by observed_at"
    ).fetchall()
    assert [r[0] for r in rows] == ["pending", "answered"]
    assert rows[1][1] == content_hash(answered)
    assert count(conn, "dialog_appeals") == 11
    assert known_states(conn, ["754734"]) == {"754734": ("answered", None, 1)}  # the latest


def test_payload_round_trips_exactly_through_postgres(conn):
    page = fixture_page("listing_tricky_text.html")
    land_pages(conn, uuid.uuid4(), [observed(page)])
    stored = dict(conn.execute("select number, payload from raw.dialog_appeals").fetchall())
    assert stored == {c["number"]: c for c in page.cards}
    assert conn.execute("select to_regclass('raw.dialog_appeals')").fetchone()[0]  # still here


def test_control_characters_and_a_nul_land_without_failing_the_batch(conn):
    html = (FIXTURES / "listing_tricky_text.html").read_text(encoding="utf-8")
    odd = "\x00\x01\x1f\u200b\ufeff😀\\u0000"
    html = html.replace("Құрметті әкім!", "Құрметті әкім!" + odd, 1)
    page = parse_listing(html, URL)
    assert land_pages(conn, uuid.uuid4(), [observed(page)]).appeals == 3
    stored = dict(conn.execute("select number, payload from raw.dialog_appeals").fetchall())
    assert stored == {c["number"]: c for c in page.cards}
    assert any("\ufffd\x01\x1f\u200b\ufeff😀\\u0000" in c["text"] for c in stored.values())


def test_rejects_are_landed_once(conn):
    page = fixture_page("listing_malformed.html")
    load_id = uuid.uuid4()
    landed = land_pages(conn, load_id, [observed(page)])
    again = land_pages(conn, uuid.uuid4(), [observed(page)])
    assert (landed.appeals, landed.rejects, again.rejects) == (3, 6, 0)
    reasons = [
        r[0]
        for r in conn.execute(
            "select reason from raw.dialog_rejects where load_id = %s order by reason", (load_id,)
        )
    ]
    assert "bad date in submitted_on: '31.02.2020'" in reasons
    fragment = conn.execute(
        "select fragment from raw.dialog_rejects where reason like 'missing required field: st%%'"
    ).fetchone()[0]
    assert "передано в другой государственный орган" in fragment


def test_blog_registry_rows_land_once(conn):
    blogs = [
        Blog(294912, "AKM39", "Акимат Костанайской области", "akimat", "39"),
        Blog(32772, "MJ", "Министерство юстиции", "ministry", None),
    ]
    assert land_blogs(conn, uuid.uuid4(), blogs, "blogs.csv") == 2
    assert land_blogs(conn, uuid.uuid4(), blogs, "blogs.csv") == 0
    payload = conn.execute("select payload from raw.dialog_blogs where blog_id = 32772").fetchone()[
        0
    ]
    assert payload == {
        "blog_id": "32772",
        "gov_body_code": "MJ",
        "gov_body_name_ru": "Министерство юстиции",
        "body_type": "ministry",
        "region_kato": "",
    }


def test_ledger_records_start_and_outcome(conn):
    ok = start_load(conn, "dialog")
    bad = start_load(conn, "dialog")
    assert conn.execute(
        "select status, finished_at from raw.load_ledger where load_id = %s", (ok,)
    ).fetchone() == ("running", None)
    record_progress(conn, ok, {"pages_fetched": 1})
    assert conn.execute(
        "select status, stats from raw.load_ledger where load_id = %s", (ok,)
    ).fetchone() == ("running", {"pages_fetched": 1})
    finish_load(conn, ok, "succeeded", {"pages_fetched": 3})
    record_progress(conn, ok, {"pages_fetched": 9})  # too late: a finished load stays as it is
    finish_load(conn, bad, "failed", {}, error="boom")
    rows = dict(
        (r[0], r[1:])
        for r in conn.execute(
            "select load_id, status, stats, error, finished_at >= started_at from raw.load_ledger"
        )
    )
    assert rows[ok] == ("succeeded", {"pages_fetched": 3}, None, True)
    assert rows[bad] == ("failed", {}, "boom", True)
    with pytest.raises(ValueError):
        finish_load(conn, ok, "running", {})
    with pytest.raises(LookupError):
        finish_load(conn, uuid.uuid4(), "failed", {})


# -- the whole landing against a local stand-in of the portal ---------------------------------


class Portal:
    """Serves saved pages by path; anything else is an empty listing page."""

    def __init__(self, pages: dict[str, tuple[int, str]]):
        empty = (FIXTURES / "listing_empty.html").read_text(encoding="utf-8")
        self.requested: list[str] = []
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                portal.requested.append(self.path)
                status, body = pages.get(self.path, (200, empty))
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def portal():
    def saved(name):
        return 200, (FIXTURES / name).read_text(encoding="utf-8")

    server = Portal(
        {
            "/robots.txt": (
                200,
                "User-agent: *\nDisallow: /search\nDisallow: /blogs/all-questions\n",
            ),
            "/application/changelang?lang=ru": (302, ""),
            "/blogs/294912/questions?page=1": saved("listing_normal.html"),
            # (its pager says 57 pages: here the blog has 3)
            "/blogs/294912/questions?page=2": (
                200,
                saved("listing_malformed.html")[1].replace("totalPages: 57", "totalPages: 3"),
            ),
            "/blogs/294912/questions?page=3": saved("listing_truncated.html"),
            "/blogs/32772/questions?page=1": (404, "no such blog"),
        }
    )
    yield server
    server.close()


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "blogs.csv"
    path.write_text(
        "blog_id,gov_body_code,gov_body_name_ru,body_type,region_kato\n"
        "294912,AKM39,Акимат Костанайской области,akimat,39\n"
        "32772,MJ,Министерство юстиции,ministry,\n",
        encoding="utf-8",
    )
    return path


FAST = HttpConfig(max_attempts=2, backoff_factor=0.01, backoff_jitter=0, read_timeout=5)


def test_land_dialog_end_to_end(conn, warehouse_url, portal, registry):
    seen = []
    report = land_dialog(
        warehouse_url,
        portal.base_url,
        registry,
        http_config=FAST,
        full_refresh=True,
        progress=seen.append,
        max_reject_share=1,  # the malformed page is a third of the cards: landed all the same
    )
    assert report.blogs == 2 and report.blog_rows_inserted == 2
    assert report.pages_fetched == 2  # 1 and 2; 3, the pager's last, stayed truncated
    assert report.cards_seen == 19 and report.rejects == 6
    assert report.rows_inserted == 13 and report.reject_rows_inserted == 6
    failed = dict(report.failed_pages)
    assert set(failed) == {
        portal.base_url + "/blogs/294912/questions?page=3",
        portal.base_url + "/blogs/32772/questions?page=1",
    }
    assert "validation" in failed[portal.base_url + "/blogs/294912/questions?page=3"]
    assert "404" in failed[portal.base_url + "/blogs/32772/questions?page=1"]
    assert report.requests_made == len(portal.requested)
    assert portal.requested[:2] == ["/robots.txt", "/application/changelang?lang=ru"]
    assert [p.page_url.rsplit("=", 1)[1] for p in seen] == ["1", "2"]

    status, stats = conn.execute(
        "select status, stats from raw.load_ledger where load_id = %s", (report.load_id,)
    ).fetchone()
    assert status == "succeeded"
    assert stats["rows_inserted"] == 13 and stats["failed_pages_total"] == 2
    assert stats["reject_reasons"]["bad views 'много'"] == 1
    kostanay, justice = stats["per_blog"]["294912"], stats["per_blog"]["32772"]
    assert kostanay["stop"] == "end of listing" and kostanay["pages_fetched"] == 2
    assert [page for page, _ in kostanay["failed_pages"]] == [3]
    assert justice["stop"] == "failed page 1" and justice["pages_fetched"] == 0
    # Nothing was read after page 3, and blog 32772 was never read: both are owed to the end.
    assert (kostanay["reach_before"], kostanay["reach_after"]) == ("end", "end")
    assert (justice["reach_before"], justice["reach_after"]) == ("end", "end")
    assert kostanay["requests"] + justice["requests"] == report.requests_made - 2
    walks = conn.execute(
        "select blog_id, stop_reason, pages_fetched, lowest_on, reach_on, failed_pages "
        "from raw.dialog_walks order by blog_id"
    ).fetchall()
    assert [w[:5] for w in walks] == [
        (32772, "failed page 1", 0, None, TO_THE_END),
        (294912, "end of listing", 2, dt.date(2020, 11, 2), TO_THE_END),
    ]
    assert walks[1][5][0][0] == 3 and "validation" in walks[1][5][0][1]
    assert conn.execute("select count(distinct load_id) from raw.dialog_appeals").fetchone()[0] == 1

    with pytest.raises(
        LandingCheckFailed, match=r"6 of 19 cards rejected \(31.6%, more than 2.0%\)"
    ):
        land_dialog(warehouse_url, portal.base_url, registry, http_config=FAST, full_refresh=True)
    again = conn.execute(
        "select status, error, stats from raw.load_ledger order by started_at desc limit 1"
    ).fetchone()
    assert again[0] == "failed" and "commonest: " in again[1]
    assert (again[2]["rows_inserted"], again[2]["reject_rows_inserted"]) == (0, 0)
    assert count(conn, "dialog_appeals") == 13


def test_incremental_landing_stops_at_known_settled_pages(conn, warehouse_url, tmp_path):
    registry = tmp_path / "kostanay.csv"
    registry.write_text(
        "blog_id,gov_body_code,gov_body_name_ru,body_type,region_kato\n"
        "294912,AKM39,Акимат Костанайской области,akimat,39\n",
        encoding="utf-8",
    )
    normal = (FIXTURES / "listing_normal.html").read_text(encoding="utf-8")

    def older(prefix: str, year: str) -> tuple[int, str]:
        """The same page with other ids, a year older, nothing pending any more."""
        html = normal.replace("754", prefix).replace(".2021", "." + year)
        return 200, html.replace("находится на рассмотрении у ГО", f"отклонено ГО 01.01.{year}")

    portal = Portal(
        {
            "/robots.txt": (404, ""),
            "/blogs/294912/questions?page=1": (200, normal),
            "/blogs/294912/questions?page=2": older("654", "2020"),
            "/blogs/294912/questions?page=3": older("554", "2019"),
        }
    )
    try:
        first = land_dialog(warehouse_url, portal.base_url, registry, http_config=FAST)
        # nothing known yet: a full crawl (and a look past the full last page: empty)
        assert first.pages_fetched == 4 and first.rows_inserted == 30
        before = len(portal.requested)
        second = land_dialog(warehouse_url, portal.base_url, registry, http_config=FAST)
        # page 1 holds recent appeals; page 2 only known, settled ones a year older: stop there
        assert second.pages_fetched == 2 and second.rows_inserted == 0
        assert "/blogs/294912/questions?page=3" not in portal.requested[before:]
        full = land_dialog(
            warehouse_url, portal.base_url, registry, http_config=FAST, full_refresh=True
        )
        assert full.pages_fetched == 4 and full.full_refresh
    finally:
        portal.close()


def test_a_failed_run_is_recorded_and_reraised(conn, warehouse_url, portal, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("blog_id,oops\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header must be"):
        land_dialog(warehouse_url, portal.base_url, bad, http_config=FAST)
    status, error = conn.execute(
        "select status, error from raw.load_ledger order by started_at desc limit 1"
    ).fetchone()
    assert status == "failed" and error.startswith("RegistryError: ")


def test_an_appeal_on_two_blogs_lands_on_each_and_a_move_lands_on_the_new_one(conn):
    page = fixture_page("listing_normal.html")
    numbers = {card["number"] for card in page.cards}
    on_x = land_pages(conn, uuid.uuid4(), [observed(page, blog_id=1)])
    on_y = land_pages(conn, uuid.uuid4(), [observed(page, blog_id=2)])  # the same cards
    assert on_x.appeals == on_y.appeals == len(numbers)  # not dropped as seen already
    again = land_pages(conn, uuid.uuid4(), [observed(page, blog_id=1), observed(page, blog_id=2)])
    assert again.appeals == 0  # each blog's history settles: no flip-flop between the two
    land_pages(conn, uuid.uuid4(), [observed(page, blog_id=3)])  # moved to blog 3
    latest = dict(
        conn.execute(
            "select distinct on (number) number, blog_id from raw.dialog_appeals "
            "order by number, observed_at desc, content_hash"
        ).fetchall()
    )
    assert latest == dict.fromkeys(numbers, 3)


def test_tyndau_warehouse_remask_masks_what_is_landed_again(conn, warehouse_url, monkeypatch):
    from click.testing import CliRunner

    from tyndau.cli import main

    land_pages(conn, uuid.uuid4(), [observed(fixture_page("listing_normal.html"))])
    conn.execute("update raw.dialog_masked_texts set appeal_text = 'old'")
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    unchanged = CliRunner().invoke(main, ["warehouse", "remask"])
    assert (unchanged.exit_code, unchanged.stdout) == (
        0,
        f"0 observations masked under the rules' version {MASKING_VERSION}.\n",
    ), unchanged.output
    assert count(conn, "dialog_masked_texts where appeal_text = 'old'") == 10
    everything = CliRunner().invoke(main, ["warehouse", "remask", "--all"])
    assert everything.exit_code == 0, everything.output
    assert everything.stdout.startswith("10 observations masked")
    assert count(conn, "dialog_masked_texts where appeal_text = 'old'") == 0
