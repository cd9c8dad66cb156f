"""Alerts: a failed task (a failed quality gate included) or a stale source tells someone.

Two channels, each on when its Airflow connection exists (tyndau.airflow_env builds them from
ALERT_WEBHOOK_URL, ALERT_EMAIL and ALERT_SMTP_URL): a JSON POST to a webhook, and an e-mail
through the SMTP provider's own `SmtpNotifier`. Every DAG's tasks carry `FAILURE_ALERTS` as
their `on_failure_callback`; a task that fails sends one alert per channel, the tasks it left
`upstream_failed` send none.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import Any

from airflow.configuration import conf
from airflow.sdk import BaseHook, BaseNotifier
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

from ingestion.common.secrets import redact
from tyndau.settings import ALERT_SMTP_CONN_ID, ALERT_WEBHOOK_CONN_ID, DEFAULT_TASK_TIMEOUT_MINUTES

log = logging.getLogger(__name__)


class QualityGateFailed(AirflowFailException):
    """A GX checkpoint failed: the alert links its Data Docs. Not retried."""

    def __init__(self, summary: str, data_docs: str | None):
        super().__init__(summary + (f"\nData Docs: {data_docs}" if data_docs else ""))
        self.data_docs = data_docs


def failure_alert(context: dict) -> dict[str, Any]:
    """What an operator needs to act: where, why, and where to read more."""
    ti = context["ti"]
    error = context.get("exception")
    return {
        "kind": "task_failed",
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "run_id": ti.run_id,
        "try_number": ti.try_number,
        "reason": redact(f"{type(error).__name__}: {error}") if error else "unknown (see the log)",
        "log_url": ti.log_url,
        "data_docs": getattr(error, "data_docs", None),
    }


def stale_sources_alert(context: dict, stale: list[dict]) -> dict[str, Any]:
    ti = context["ti"]
    return {
        "kind": "sources_stale",
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "run_id": ti.run_id,
        "reason": "; ".join(f"{s['source']}: {s['status']}, {s['age']}" for s in stale),
        "stale": stale,
        "log_url": ti.log_url,
    }


def _connection(conn_id: str):
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None  # that channel is not configured


class WebhookNotifier(BaseNotifier):
    """POST the alert as JSON to the URL of the connection `tyndau_alert_webhook` (if any)."""

    def __init__(self, alert: dict | None = None, conn_id: str = ALERT_WEBHOOK_CONN_ID):
        super().__init__()
        self.alert = alert
        self.conn_id = conn_id

    def notify(self, context) -> None:
        import requests

        conn = _connection(self.conn_id)
        if conn is None or not conn.host:
            return
        alert = self.alert or failure_alert(context)
        requests.post(conn.host, json=alert, timeout=10).raise_for_status()
        log.info("alert posted to the webhook: %s %s", alert["kind"], alert["reason"][:200])


class EmailNotifier(BaseNotifier):
    """Mail the alert to the Variable `alert_email` through the connection `tyndau_alert_smtp`,
    with the SMTP provider's notifier."""

    def __init__(self, alert: dict | None = None, smtp_conn_id: str = ALERT_SMTP_CONN_ID):
        super().__init__()
        self.alert = alert
        self.smtp_conn_id = smtp_conn_id

    def notify(self, context) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        from tyndau.orchestration import airflow_settings

        recipients = airflow_settings(("alert_email",)).alert_email
        if not recipients or _connection(self.smtp_conn_id) is None:
            return
        alert = self.alert or failure_alert(context)
        where = f"{alert['dag_id']}.{alert['task_id']}"
        subject = f"[tyndau] {alert['kind'].replace('_', ' ')}: {where}"
        links = [f'<a href="{html.escape(alert["log_url"])}">the log</a>']
        if alert.get("data_docs"):
            links.append(f'<a href="{html.escape(alert["data_docs"])}">Data Docs</a>')
        body = (
            f"<p>{html.escape(where)} (run {html.escape(alert['run_id'])})</p>"
            f"<pre>{html.escape(alert['reason'])}</pre><p>See {' and '.join(links)}.</p>"
        )
        # rendered already: call notify, not the notifier (which would render Jinja in the text)
        SmtpNotifier(
            to=[a.strip() for a in recipients.split(",") if a.strip()],
            smtp_conn_id=self.smtp_conn_id,
            subject=subject,
            html_content=body,
        ).notify(context)
        log.info("alert mailed to %s: %s", recipients, subject)


#: every task's on_failure_callback (set through each DAG's default_args)
FAILURE_ALERTS = [WebhookNotifier(), EmailNotifier()]


def task_timeout() -> timedelta:
    """Every task's execution_timeout: Airflow's [core] default_task_execution_timeout, which
    tyndau.airflow_env sets from TASK_TIMEOUT_MINUTES. A hung source fails (and alerts) instead
    of holding its run for ever."""
    seconds = conf.get("core", "default_task_execution_timeout", fallback="") or ""
    return timedelta(seconds=int(seconds) if seconds.strip() else DEFAULT_TASK_TIMEOUT_MINUTES * 60)


#: every DAG's default_args: alerts on failure, and a time limit
DEFAULT_ARGS = {"on_failure_callback": FAILURE_ALERTS, "execution_timeout": task_timeout()}


def send(alert: dict, context: dict) -> None:
    """Send an alert that is not a task failure (e.g. stale sources) through every channel."""
    for notifier in (WebhookNotifier(alert), EmailNotifier(alert)):
        try:
            notifier.notify(context)
        except Exception:  # an alert that cannot be sent must not fail the build
            log.exception("could not send the %s alert", alert["kind"])
