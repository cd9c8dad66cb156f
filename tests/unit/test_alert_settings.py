"""The alert channels, from the environment to Airflow connections and a variable."""

from __future__ import annotations

import json

import pytest

from tyndau.airflow_env import airflow_environment
from tyndau.settings import ConfigError, load_settings

URL = "postgresql://tyndau:pw@localhost:5432/tyndau"


def test_no_alert_settings_no_channels(tmp_path):
    env = airflow_environment(load_settings({"TYNDAU_STATE_DIR": str(tmp_path)}), URL)
    assert not [k for k in env if "ALERT" in k]
    assert "AIRFLOW__API__BASE_URL" not in env


def test_webhook_and_email_become_connections_and_a_variable(tmp_path):
    settings = load_settings(
        {
            "TYNDAU_STATE_DIR": str(tmp_path),
            "ALERT_WEBHOOK_URL": "https://hooks.example.org/T000/B000/secret",
            "ALERT_EMAIL": "oncall@example.org, data@example.org",
            "ALERT_SMTP_URL": "smtp://u:p@mail.example.org:587?from_email=tyndau%40example.org",
            "AIRFLOW_BASE_URL": "https://airflow.example.org/",
        }
    )
    env = airflow_environment(settings, URL)
    webhook = json.loads(env["AIRFLOW_CONN_TYNDAU_ALERT_WEBHOOK"])
    assert webhook == {"conn_type": "http", "host": "https://hooks.example.org/T000/B000/secret"}
    assert env["AIRFLOW_CONN_TYNDAU_ALERT_SMTP"].startswith("smtp://u:p@mail.example.org:587")
    assert env["AIRFLOW_VAR_ALERT_EMAIL"] == "oncall@example.org, data@example.org"
    assert env["AIRFLOW__API__BASE_URL"] == "https://airflow.example.org"


def test_email_without_a_mail_server_is_a_clear_error(tmp_path):
    settings = load_settings(
        {"TYNDAU_STATE_DIR": str(tmp_path), "ALERT_EMAIL": "oncall@example.org"}
    )
    with pytest.raises(ConfigError, match="ALERT_SMTP_URL"):
        airflow_environment(settings, URL)
