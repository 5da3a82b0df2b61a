"""The DAG's parse-time settings: accounts, retries, modes, the run plan."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liquid_sync.extract import MODES
from liquid_sync.orchestration import settings


def test_one_account_by_default_uses_liquid_default():
    assert settings.account_names({}) == ["default"]
    assert settings.account_names({"LIQUID_ACCOUNTS": "  "}) == ["default"]
    assert settings.connection_id("default") == "liquid_default"


def test_accounts_in_the_order_given():
    assert settings.account_names({"LIQUID_ACCOUNTS": "bob, alice,carol_2"}) == ["bob", "alice", "carol_2"]
    assert settings.connection_id("carol_2") == "liquid_carol_2"


@pytest.mark.parametrize("text, problem", [
    ("alice,Bob", "'Bob'"),
    ("alice,,bob", "''"),
    ("my-account", "'my-account'"),
    ("alice,bob,alice", "appear twice: alice"),
])
def test_bad_account_names_are_refused_with_the_variable_and_the_name(text, problem):
    with pytest.raises(ValueError) as error:
        settings.account_names({"LIQUID_ACCOUNTS": text})
    assert "LIQUID_ACCOUNTS" in str(error.value) and problem in str(error.value)


def test_modes_are_the_extractions_with_incremental_first():
    assert sorted(settings.MODES) == sorted(MODES)
    assert settings.MODES[0] == "incremental"


def test_retries_and_delay_come_from_the_environment():
    assert settings.retries({}) == 2
    assert settings.retry_delay({}) == timedelta(seconds=300)
    assert settings.retries({"LIQUID_SYNC_RETRIES": "0"}) == 0
    assert settings.retry_delay({"LIQUID_SYNC_RETRY_DELAY_SECONDS": "1.5"}) == timedelta(seconds=1.5)


@pytest.mark.parametrize("variable, value", [
    ("LIQUID_SYNC_RETRIES", "-1"), ("LIQUID_SYNC_RETRIES", "1.5"), ("LIQUID_SYNC_RETRY_DELAY_SECONDS", "soon"),
])
def test_bad_retry_settings_are_refused(variable, value):
    read = settings.retries if variable == "LIQUID_SYNC_RETRIES" else settings.retry_delay
    with pytest.raises(ValueError, match=variable):
        read({variable: value})


def test_plan_extracts_selected_and_reenabled_accounts_in_configured_order():
    plan = settings.plan_accounts(["alice", "bob", "carol"], selected=["carol", "alice"], reenable=["bob"])
    assert plan == [
        {"name": "alice", "conn_id": "liquid_alice", "reenable": False},
        {"name": "bob", "conn_id": "liquid_bob", "reenable": True},
        {"name": "carol", "conn_id": "liquid_carol", "reenable": False},
    ]
    assert settings.plan_accounts(["alice"], selected=[], reenable=[]) == []


def test_plan_refuses_accounts_that_are_not_configured():
    with pytest.raises(ValueError, match=r"\['dave'\] are not configured"):
        settings.plan_accounts(["alice"], selected=["alice"], reenable=["dave"])


def test_asset_uris_name_the_warehouse_tables():
    uris = [settings.asset_uri(table) for table in settings.WAREHOUSE_TABLES]
    assert uris == [f"duckdb://liquid-sync/{t}" for t in ("trades", "orders", "withdrawals", "deposits", "ledger")]
