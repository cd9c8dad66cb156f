"""The polite HTTP session against a tiny local server that plays scripted answers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

import pytest

from ingestion.common.http import (
    USER_AGENT,
    DisallowedByRobots,
    FetchError,
    HttpConfig,
    PoliteSession,
)

ROBOTS = """User-agent: *
Disallow: /search
Disallow: /blogs/search/
Disallow: /blogs/all-questions
"""
PAGE = "<html><body><p>Сәлем, мир</p><footer>f</footer></body></html>"


@dataclass
class Answer:
    status: int = 200
    body: str = PAGE
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (read timeouts)
    cut_at: int | None = None  # send only this many bytes of a longer body, then hang up
    content_type: str = "text/html; charset=utf-8"
    raw: bytes | None = None  # the body's bytes as sent, instead of ``body`` in UTF-8


@dataclass
class Seen:
    path: str
    user_agent: str
    at: float


class ScriptedServer:
    """Serves robots.txt and, per path, a list of answers played in order (the last repeats)."""

    def __init__(self, robots: Answer | None = None):
        self.routes: dict[str, list[Answer]] = {"/robots.txt": [robots or Answer(body=ROBOTS)]}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (stdlib name)
                with server._lock:
                    server.seen.append(
                        Seen(self.path, self.headers.get("User-Agent", ""), time.monotonic())
                    )
                    answers = server.routes.get(self.path, [Answer(404, "not found")])
                    answer = answers.pop(0) if len(answers) > 1 else answers[0]
                time.sleep(answer.delay)
                body = answer.body.encode("utf-8") if answer.raw is None else answer.raw
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body if answer.cut_at is None else body[: answer.cut_at])

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def route(self, path: str, *answers: Answer) -> str:
        self.routes[path] = list(answers)
        return self.base + path

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = ScriptedServer()
    yield srv
    srv.close()


#: how late the test server may stamp an arrival on a loaded machine
JITTER = 0.02


FAST = HttpConfig(
    max_attempts=4,
    max_total_seconds=10,
    backoff_factor=0.01,
    backoff_jitter=0,
    connect_timeout=2,
    read_timeout=2,
)


def test_reads_robots_once_first_and_sends_the_user_agent(server):
    url = server.route("/blogs/1/questions?page=1", Answer())
    with PoliteSession(FAST) as session:
        assert session.fetch_text(url) == PAGE
        session.fetch_text(url)
    assert [s.path for s in server.seen] == ["/robots.txt"] + ["/blogs/1/questions?page=1"] * 2
    assert {s.user_agent for s in server.seen} == {USER_AGENT}
    assert USER_AGENT.startswith("tyndau/") and "+https://" in USER_AGENT


def test_disallowed_paths_are_refused_without_a_request(server):
    with PoliteSession(FAST) as session:
        for path in ("/blogs/all-questions/754733", "/search?q=x", "/blogs/search/?q=1"):
            with pytest.raises(DisallowedByRobots):
                session.fetch_text(server.base + path)
        assert session.stats.refused_by_robots == 3
    assert [s.path for s in server.seen] == ["/robots.txt"]


def test_a_redirect_to_a_disallowed_path_is_not_followed(server):
    url = server.route("/go", Answer(302, "", {"Location": "/blogs/all-questions/1"}))
    with PoliteSession(FAST) as session, pytest.raises(DisallowedByRobots):
        session.fetch_text(url)
    assert not server.hits("/blogs/all-questions/1")


def test_crawl_delay_from_robots_spaces_requests():
    srv = ScriptedServer(robots=Answer(body="User-agent: *\nCrawl-delay: 1\nDisallow: /search\n"))
    try:
        url = srv.route("/p", Answer())
        with PoliteSession(FAST) as session:
            for _ in range(2):
                session.fetch_text(url)
            assert session.crawl_delay(url) == 1
        times = [s.at for s in srv.seen]  # robots.txt, then two pages
        assert all(b - a >= 1.0 for a, b in pairwise(times)), times
    finally:
        srv.close()


def test_min_delay_holds_across_threads(server):
    url = server.route("/p", Answer())
    with PoliteSession(FAST, min_delay=0.2) as session:
        session.fetch_text(url)  # reads robots.txt first
        threads = [threading.Thread(target=session.fetch_text, args=(url,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert session.stats.requests == 6
    times = sorted(s.at for s in server.seen)
    # the server stamps arrivals, not the client's sends: on a loaded box one arrival can be
    # stamped a few ms late (0.193 s seen); without the delay the gaps would be ~0
    assert all(b - a >= 0.2 - JITTER for a, b in pairwise(times)), times


def test_503_is_retried_and_every_attempt_counted(server):
    url = server.route("/p", Answer(503, "busy"), Answer(502, "bad"), Answer())
    with PoliteSession(FAST) as session:
        assert session.fetch_text(url) == PAGE
        stats = session.stats
    assert len(server.hits("/p")) == 3
    assert stats.requests == 4 and stats.retries == 2  # robots.txt + 3 attempts
    assert stats.by_status[503] == 1 and stats.by_status[502] == 1


def test_429_waits_for_retry_after(server):
    url = server.route("/p", Answer(429, "slow down", {"Retry-After": "1"}), Answer())
    with PoliteSession(FAST) as session:
        assert session.fetch_text(url) == PAGE
    first, second = server.hits("/p")
    assert second.at - first.at >= 0.95


def test_exhausted_attempts_raise_with_url_and_reason(server):
    url = server.route("/p", Answer(503, "busy"))
    with PoliteSession(FAST, max_attempts=3) as session:
        with pytest.raises(FetchError) as caught:
            session.fetch_text(url)
        assert session.stats.failures == 1
    assert len(server.hits("/p")) == 3
    error = caught.value
    assert error.url == url and error.status == 503 and error.attempts == 3
    assert "HTTP 503" in str(error) and url in str(error)


def test_time_budget_is_not_exceeded_by_a_long_retry_after(server):
    url = server.route("/p", Answer(503, "busy", {"Retry-After": "30"}))
    started = time.monotonic()
    with PoliteSession(FAST, max_total_seconds=2) as session, pytest.raises(FetchError) as caught:
        session.fetch_text(url)
    assert time.monotonic() - started < 2
    assert "budget" in caught.value.reason
    assert len(server.hits("/p")) == 1


def test_truncated_page_is_retried_through_the_validator(server):
    url = server.route("/p", Answer(body=PAGE[:30]), Answer())
    with PoliteSession(FAST) as session:
        assert session.fetch_text(url, validate=lambda text: "</html>" in text) == PAGE
    assert len(server.hits("/p")) == 2


def test_a_body_that_stays_invalid_fails_with_the_reason(server):
    url = server.route("/p", Answer(body=PAGE[:30]))
    with PoliteSession(FAST, max_attempts=2) as session, pytest.raises(FetchError) as caught:
        session.fetch_text(url, validate=lambda text: "</html>" in text)
    assert "validation" in caught.value.reason
    assert len(server.hits("/p")) == 2


CYRILLIC_PAGE = (
    "<html><head><title>Открытый диалог</title></head><body>"
    + "<p>Жалоба на ЖКХ: прошу разобраться с отоплением в доме.</p>" * 20
    + "</body></html>"
)


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (CYRILLIC_PAGE.encode("windows-1251"), "text/html"),  # no charset at all
        (CYRILLIC_PAGE.encode("windows-1251"), "text/html; charset=utf-8"),  # declared wrongly
        (CYRILLIC_PAGE.encode("windows-1251"), "text/html; charset=iso-8859-1"),
        (CYRILLIC_PAGE.encode("utf-8"), "text/html; charset=windows-1251"),
        (
            CYRILLIC_PAGE.replace("<head>", '<head><meta charset="windows-1251">').encode("cp1251"),
            "text/html",
        ),
    ],
    ids=["1251 undeclared", "1251 as utf-8", "1251 as latin-1", "utf-8 as 1251", "1251 in meta"],
)
def test_a_page_in_another_charset_than_declared_is_read_as_its_text(server, raw, content_type):
    url = server.route("/p", Answer(raw=raw, content_type=content_type))
    with PoliteSession(FAST) as session:
        text = session.fetch_text(url)
    assert "Жалоба на ЖКХ: прошу разобраться" in text
    assert "Р–" not in text and "Ð" not in text
    assert len(server.hits("/p")) == 1


def test_a_body_that_reads_as_no_plausible_text_is_retried_then_fails_with_why(server):
    noise = bytes((i * 37 + 11) % 128 + 128 for i in range(4000))  # no charset makes text of it
    url = server.route("/p", Answer(raw=noise, content_type="text/html"))
    with PoliteSession(FAST, max_attempts=2) as session, pytest.raises(FetchError) as caught:
        session.fetch_text(url)
    assert "no plausible text" in caught.value.reason
    assert len(server.hits("/p")) == 2


def test_connection_dropped_mid_body_is_retried(server):
    url = server.route("/p", Answer(cut_at=20), Answer())
    with PoliteSession(FAST) as session:
        assert session.fetch_text(url) == PAGE
    assert len(server.hits("/p")) == 2


def test_read_timeout_is_retried(server):
    url = server.route("/p", Answer(delay=1.0), Answer())
    with PoliteSession(FAST, read_timeout=0.3) as session:
        assert session.fetch_text(url) == PAGE
        assert session.stats.retries == 1


def test_client_errors_are_not_retried(server):
    url = server.route("/p", Answer(404, "gone"))
    with PoliteSession(FAST) as session, pytest.raises(FetchError) as caught:
        session.fetch_text(url)
    assert caught.value.status == 404
    assert len(server.hits("/p")) == 1


def test_missing_robots_allows_everything():
    srv = ScriptedServer(robots=Answer(404, "no robots here"))
    try:
        url = srv.route("/blogs/all-questions/1", Answer())
        with PoliteSession(FAST) as session:
            assert session.fetch_text(url) == PAGE
    finally:
        srv.close()


def test_unreachable_robots_allows_nothing():
    srv = ScriptedServer(robots=Answer(500, "down"))
    try:
        url = srv.route("/p", Answer())
        with PoliteSession(FAST, max_attempts=2) as session, pytest.raises(DisallowedByRobots) as e:
            session.fetch_text(url)
        assert "unreachable" in e.value.reason
        assert not srv.hits("/p")
    finally:
        srv.close()


def test_an_unreachable_host_fails_within_the_budget():
    with PoliteSession(FAST, max_attempts=2) as session, pytest.raises(FetchError) as caught:
        session.fetch_text("http://127.0.0.1:9/p")  # port 9 (discard): nothing listens
    assert "Connection refused" in caught.value.reason or "connect" in caught.value.reason.lower()
    assert session.stats.requests == 2  # robots.txt, twice; the page itself never


def test_a_fractional_crawl_delay_is_rounded_up_never_ignored():
    srv = ScriptedServer(robots=Answer(body="User-agent: *\nCrawl-delay: 0.5\n"))
    try:
        with PoliteSession(FAST) as session:
            assert session.crawl_delay(srv.base + "/p") == 1
    finally:
        srv.close()


def test_slow_answers_cannot_stretch_the_time_budget(server):
    url = server.route("/p", Answer(delay=3.0))
    started = time.monotonic()
    session = PoliteSession(FAST, read_timeout=5, max_total_seconds=1.5)
    with session, pytest.raises(FetchError) as caught:
        session.fetch_text(url)
    assert time.monotonic() - started < 2.5
    assert "ReadTimeoutError" in caught.value.reason


def test_a_body_declared_over_the_cap_is_refused_unread(server):
    url = server.route("/big", Answer(body="x" * 5000))
    with PoliteSession(FAST, max_body_bytes=4096) as session, pytest.raises(FetchError) as caught:
        session.fetch_text(url)
    assert "too large (5,000 bytes declared" in caught.value.reason
    assert session.stats.bytes_received < 5000 and len(server.hits("/big")) == 1


def test_a_floor_on_the_minimum_delay_keeps_the_longer():
    assert HttpConfig(min_delay=0.5).at_least(0.2).min_delay == 0.5
    assert HttpConfig(min_delay=0.1).at_least(0.2).min_delay == 0.2
    assert HttpConfig(min_delay=0.1, max_attempts=2).at_least(0).max_attempts == 2
