"""Airflow hook for one Liquid account's API key, stored in an Airflow Connection.

Connection fields: ``host`` = the API base URL (``https://api.liquid.com``, or the emulator's
``http://127.0.0.1:PORT``), ``login`` = Token ID, ``password`` = Token Secret (a read-only
key). Optional ``extra`` JSON: ``account`` (the account's name in the warehouse; default the
connection id), ``rate_limit`` (requests per window; default 300) and
``rate_window_seconds`` (default 300). A host without a scheme gets ``schema`` (default
``https``) and ``port``, for connections written as URIs.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook

from liquid_sync.liquid_client import DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW_SECONDS, LiquidClient


class LiquidHook(BaseHook):
    conn_name_attr = "liquid_conn_id"
    default_conn_name = "liquid_default"
    conn_type = "http"
    hook_name = "Liquid"

    def __init__(self, liquid_conn_id: str = default_conn_name, **client_options: Any):
        super().__init__()
        self.liquid_conn_id = liquid_conn_id
        self.client_options = client_options
        self._client: LiquidClient | None = None
        self._account: str | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "port"],
            "relabeling": {"host": "Base URL", "login": "Token ID", "password": "Token Secret"},
            "placeholders": {
                "host": "https://api.liquid.com",
                "extra": '{"account": "my-liquid", "rate_limit": 300}',
            },
        }

    @property
    def account(self) -> str:
        """The account name the connection's key belongs to (reads the Connection)."""
        self.get_conn()
        assert self._account is not None
        return self._account

    def get_conn(self) -> LiquidClient:
        """The client for the connection's key, built on first use."""
        if self._client is None:
            conn = self.get_connection(self.liquid_conn_id)
            extra = conn.extra_dejson
            account = str(extra.get("account") or self.liquid_conn_id)
            if not conn.login or not conn.password:
                raise ValueError(
                    f"connection {self.liquid_conn_id!r}: set login to the Token ID and password to the Token Secret"
                )
            self._client = LiquidClient(
                base_url(conn.host or "", conn.schema, conn.port, self.liquid_conn_id),
                conn.login,
                conn.password,
                account=account,
                rate_limit=_positive(extra, "rate_limit", DEFAULT_RATE_LIMIT, int, self.liquid_conn_id),
                rate_window_seconds=_positive(
                    extra, "rate_window_seconds", DEFAULT_RATE_WINDOW_SECONDS, float, self.liquid_conn_id
                ),
                **self.client_options,
            )
            self._account = account
        return self._client


def base_url(host: str, schema: str | None, port: int | None, conn_id: str) -> str:
    host = host.strip().rstrip("/")
    if not host:
        raise ValueError(f"connection {conn_id!r}: set host to the API base URL, e.g. https://api.liquid.com")
    if "://" in host:
        return host
    url = f"{schema or 'https'}://{host}"
    return f"{url}:{port}" if port else url


def _positive(extra: dict, name: str, default: Any, kind: type, conn_id: str) -> Any:
    value = extra.get(name, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number <= 0:
        raise ValueError(f"connection {conn_id!r}: extra {name!r} must be a positive number, got {value!r}")
    return number


def extract_account_from_connection(
    conn_id: str,
    mode: str,
    run_id: str,
    data_dir: Path | None = None,
    start_date: datetime | date | str | None = None,
    **options: Any,
) -> dict:
    """``extract.extract_account`` for the account of Airflow Connection ``conn_id``.

    The extraction package (pyarrow, duckdb) is imported on call, so DAG files can import this
    module cheaply.
    """
    from liquid_sync.extract import extract_account

    hook = LiquidHook(conn_id)
    return extract_account(hook.account, hook.get_conn(), mode, run_id, data_dir, start_date, **options)
