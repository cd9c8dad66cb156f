"""Alerts through real Airflow runs: a failed quality gate, a failed task and a stale source each
reach a local webhook receiver and a local SMTP server, once, and the published marts stay."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tyndau.pipeline import PipelineError, run_pipeline


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class _Mailbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receivers():
    """A webhook receiver and an SMTP server on localhost: (posts, mails, alert settings)."""
    web = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    web.received = []
    threading.Thread(target=web.serve_forever, daemon=True).start()
    mailbox = _Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    alert_settings = {
        "alert_webhook_url": f"http://127.0.0.1:{web.server_port}/hooks/tyndau",
        "alert_email": "oncall@example.org",
        "alert_smtp_url": (
            f"smtp://127.0.0.1:{smtp.port}"
            "?from_email=tyndau%40example.org&disable_tls=true&disable_ssl=true"
        ),
        "airflow_base_url": "http://airflow.example.org:8080",
    }
    try:
        yield web.received, mailbox.messages, alert_settings
    finally:
        web.shutdown()
        smtp.stop()


def test_failing_gate_alerts_once_and_keeps_marts(
    pipeline, receivers, marts_fingerprint, corrupt_observation
):
    settings, url, _ = pipeline
    posts, mails, alert_settings = receivers
    settings = settings.replace(**alert_settings)
    before = marts_fingerprint(url)
    # a card number the portal never writes: dbt's tests let it through, GX's gate does not
    # (on a pending card: one with a question id would reuse it, which staging's unique index
    # on question_id refuses before the gate is reached — a finding of its own)
    odd_number = lambda p: p | {"number": "No. " + p["number"]}  # noqa: E731
    started = time.time()
    with corrupt_observation(url, odd_number, "payload->>'status' = 'pending'"):
        with pytest.raises(PipelineError):
            run_pipeline(settings, url, ["warehouse_build"])
        assert marts_fingerprint(url) == before

    assert len(posts) == 1, posts
    alert = posts[0]
    assert (alert["kind"], alert["dag_id"], alert["task_id"]) == (
        "task_failed",
        "warehouse_build",
        "marts_gate",
    )
    assert "QualityGateFailed" in alert["reason"] and "FAILED" in alert["reason"]
    assert "expect_column_values_to_match_regex" in alert["reason"]  # the failed expectation
    assert "'number'" in alert["reason"]
    assert alert["log_url"].startswith("http://airflow.example.org:8080/dags/warehouse_build/runs/")
    assert alert["log_url"].split("?")[0].endswith("/tasks/marts_gate")
    assert alert["data_docs"] and alert["data_docs"].endswith("index.html")
    # the Data Docs the alert links hold this run's failed validation
    site = Path(unquote(urlsplit(alert["data_docs"]).path)).parent
    pages = list((site / "validations" / "marts_fct_appeals").rglob("*.html"))
    assert any(p.stat().st_mtime >= started for p in pages), pages
    assert "marts_fct_appeals" in (site / "index.html").read_text()
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "oncall@example.org" and mail["From"] == "tyndau@example.org"
    assert mail["Subject"] == "[tyndau] task failed: warehouse_build.marts_gate"
    body = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(
        decode=True
    )
    assert b"Data Docs" in body and alert["log_url"].encode() in body


def test_failing_task_alerts_once_and_keeps_marts(pipeline, receivers, marts_fingerprint):
    """The open-data portal is down: the landing fails, one alert says why, marts stay."""
    settings, url, _ = pipeline
    posts, mails, alert_settings = receivers
    dead_portal = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    settings = settings.replace(opendata_base_url=dead_portal, **alert_settings)
    before = marts_fingerprint(url)
    with pytest.raises(PipelineError):
        run_pipeline(settings, url, ["opendata_ingest", "warehouse_build"])
    assert marts_fingerprint(url) == before
    assert [(p["dag_id"], p["task_id"]) for p in posts] == [("opendata_ingest", "land")]
    assert "127.0.0.1" in posts[0]["reason"] and posts[0]["data_docs"] is None
    assert [m["Subject"] for m in mails] == ["[tyndau] task failed: opendata_ingest.land"]


def test_stale_source_warns_without_failing_the_build(pipeline, receivers):
    """The crawler's last good load is three days old: the build publishes and warns."""
    settings, url, _ = pipeline
    posts, mails, alert_settings = receivers
    settings = settings.replace(**alert_settings)
    shift = "update raw.load_ledger set finished_at = finished_at {} interval '3 days'"
    where = " where source = 'dialog'"
    with psycopg.connect(url) as conn:
        conn.execute(shift.format("-") + where)
    try:
        result = run_pipeline(settings, url, ["warehouse_build"])
    finally:
        with psycopg.connect(url) as conn:
            conn.execute(shift.format("+") + where)
    (build,) = result.dag_results
    assert build["state"] == "success"
    state, returned = build["tasks"]["source_freshness"]
    assert state == "success" and returned["stale"] == ["dialog.load_ledger"]
    assert returned["checked"] >= 3
    assert len(posts) == 1 and posts[0]["kind"] == "sources_stale"
    assert posts[0]["stale"][0]["source"] == "dialog.load_ledger"
    assert posts[0]["stale"][0]["status"] == "warn"
    assert [m["Subject"] for m in mails] == [
        "[tyndau] sources stale: warehouse_build.source_freshness"
    ]
