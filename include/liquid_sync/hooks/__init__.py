"""Airflow hooks of Liquid Sync."""

from __future__ import annotations

from liquid_sync.hooks.liquid import LiquidHook, extract_account_from_connection

__all__ = ["LiquidHook", "extract_account_from_connection"]
