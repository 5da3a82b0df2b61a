"""LiquidHook reads an Airflow Connection (here from ``AIRFLOW_CONN_*`` variables) lazily and
builds the Liquid client from it."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowNotFoundException

from liquid_sync.hooks import LiquidHook, extract_account_from_connection
from tests.liquid_sync.emulator import BETA, running_emulator

SECRET = "token-secret-for-the-hook-tests-0123456789"


def set_connection(monkeypatch, conn_id: str, value: dict | str) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", text)


def test_connection_is_read_only_when_the_client_is_needed(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_LIQUID_DEFAULT", raising=False)
    hook = LiquidHook()
    assert hook.liquid_conn_id == "liquid_default"
    with pytest.raises(AirflowNotFoundException):
        hook.get_conn()


def test_client_from_a_json_connection(monkeypatch):
    set_connection(monkeypatch, "liquid_default", {
        "conn_type": "http", "host": "http://127.0.0.1:8999/", "login": "3001", "password": SECRET,
        "extra": {"rate_limit": 600, "account": "alpha"},
    })
    hook = LiquidHook()
    client = hook.get_conn()
    assert client is hook.get_conn()
    assert client.base_url == "http://127.0.0.1:8999"
    assert client.token_id == "3001"
    assert (client.limiter.limit, client.limiter.window) == (600, 300.0)
    assert hook.account == "alpha" and client.account == "alpha"
    assert SECRET not in repr(client) and SECRET not in repr(hook)


def test_defaults_and_uri_connections(monkeypatch):
    set_connection(monkeypatch, "liquid_main", f"http://3001:{SECRET}@api.liquid.com")
    hook = LiquidHook("liquid_main")
    client = hook.get_conn()
    assert client.base_url == "https://api.liquid.com"
    assert (client.limiter.limit, client.limiter.window) == (300, 300.0)
    assert hook.account == "liquid_main"


@pytest.mark.parametrize(
    "connection, message",
    [
        ({"conn_type": "http", "host": "http://x", "login": "3001"}, "Token Secret"),
        ({"conn_type": "http", "host": "", "login": "3001", "password": SECRET}, "base URL"),
        ({"conn_type": "http", "host": "http://x", "login": "3001", "password": SECRET,
          "extra": {"rate_limit": "fast"}}, "rate_limit"),
        ({"conn_type": "http", "host": "http://x", "login": "3001", "password": SECRET,
          "extra": {"rate_window_seconds": 0}}, "rate_window_seconds"),
    ],
)
def test_unusable_connections_are_named(monkeypatch, connection, message):
    set_connection(monkeypatch, "liquid_bad", connection)
    with pytest.raises(ValueError, match=message) as caught:
        LiquidHook("liquid_bad").get_conn()
    assert "liquid_bad" in str(caught.value) and SECRET not in str(caught.value)


def test_ui_fields_are_relabelled():
    behaviour = LiquidHook.get_ui_field_behaviour()
    assert behaviour["relabeling"] == {"host": "Base URL", "login": "Token ID", "password": "Token Secret"}


def test_extract_account_from_connection(monkeypatch, tmp_path):
    with running_emulator(accounts=(BETA,), tokens_per_account=1) as emulator:
        token = emulator.token("beta")
        set_connection(monkeypatch, "liquid_beta", {
            "conn_type": "http", "host": emulator.url, "login": token.token_id, "password": token.secret,
            "extra": {"account": "beta", "rate_limit": 600},
        })
        summary = extract_account_from_connection("liquid_beta", "full", "from-conn", tmp_path)
    assert summary["status"] == "completed" and summary["account"] == "beta"
    assert summary["records"]["executions"] == BETA.executions
    assert token.secret not in json.dumps(summary)
