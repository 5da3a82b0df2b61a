"""What the ``liquid_sync`` DAG reads from the environment when it is parsed, and the run plan.

* ``LIQUID_ACCOUNTS``: the accounts, comma-separated names (default ``default``). Account
  ``NAME`` is synced with the API key of Airflow Connection ``liquid_NAME`` (``liquid_default``
  for a single account); names are lowercase letters, digits and ``_``, so the connection can
  also come from the environment variable ``AIRFLOW_CONN_LIQUID_NAME``. The trigger form offers
  exactly these names.
* ``LIQUID_SYNC_RETRIES``: retries of each task (default 2; tests set 0).
* ``LIQUID_SYNC_RETRY_DELAY_SECONDS``: the wait before a retry (default 300).

Standard library only: the DAG file imports this module at parse time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta

ACCOUNTS_VARIABLE = "LIQUID_ACCOUNTS"
RETRIES_VARIABLE = "LIQUID_SYNC_RETRIES"
RETRY_DELAY_VARIABLE = "LIQUID_SYNC_RETRY_DELAY_SECONDS"
DEFAULT_ACCOUNT = "default"
DEFAULT_RETRIES = 2
DEFAULT_RETRY_DELAY_SECONDS = 300

MODES = ("incremental", "full", "since_last_transaction")
"""Sync modes (``liquid_sync.extract.MODES``), scheduled runs' mode first."""

WAREHOUSE_TABLES = ("trades", "orders", "withdrawals", "deposits", "ledger")
"""The warehouse tables (``ledger`` is a view) each load updates, published as Airflow Assets."""

_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")


def account_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """The configured account names, in the order given; ``ValueError`` names a bad one."""
    environ = os.environ if environ is None else environ
    text = environ.get(ACCOUNTS_VARIABLE, "").strip() or DEFAULT_ACCOUNT
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if not _NAME.fullmatch(name):
            raise ValueError(
                f"{ACCOUNTS_VARIABLE}={text!r}: account name {name!r} must be lowercase letters, digits and _ "
                "(it names the Airflow Connection liquid_<name>)"
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{ACCOUNTS_VARIABLE}={text!r}: account names appear twice: {', '.join(duplicates)}")
    return names


def connection_id(name: str) -> str:
    """The Airflow Connection holding account ``name``'s API key."""
    return f"liquid_{name}"


def asset_uri(table: str) -> str:
    """The URI of the Airflow Asset for warehouse table ``table``; a downstream DAG scheduled on
    ``Asset(asset_uri("trades"))`` runs after each load."""
    return f"duckdb://liquid-sync/{table}"


def retries(environ: Mapping[str, str] | None = None) -> int:
    return _number(environ, RETRIES_VARIABLE, DEFAULT_RETRIES, int)


def retry_delay(environ: Mapping[str, str] | None = None) -> timedelta:
    return timedelta(seconds=_number(environ, RETRY_DELAY_VARIABLE, DEFAULT_RETRY_DELAY_SECONDS, float))


def _number(environ: Mapping[str, str] | None, variable: str, default: int, kind: type) -> int | float:
    environ = os.environ if environ is None else environ
    text = environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{variable}={text!r}: expected a number >= 0")
    return value


def plan_accounts(configured: Iterable[str], selected: Iterable[str], reenable: Iterable[str]) -> list[dict]:
    """The accounts a run extracts, in configured order: the selected ones and the ones to
    re-enable (re-enabling retries the account). Each is ``{name, conn_id, reenable}``.
    ``ValueError`` names an account that is not configured."""
    configured, selected, reenable = list(configured), set(selected), set(reenable)
    unknown = sorted((selected | reenable) - set(configured))
    if unknown:
        raise ValueError(
            f"accounts {unknown} are not configured; {ACCOUNTS_VARIABLE} has {configured}"
        )
    return [
        {"name": name, "conn_id": connection_id(name), "reenable": name in reenable}
        for name in configured
        if name in selected or name in reenable
    ]
