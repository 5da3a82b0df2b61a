"""Extraction of Liquid accounts into the raw Parquet layer (see ``extraction``)."""

from __future__ import annotations

from liquid_sync.extract.extraction import MODES, StateConflict, extract_account
from liquid_sync.extract.key_status import disabled_keys, enable_key
from liquid_sync.extract.token_lock import TokenBusy

__all__ = ["MODES", "StateConflict", "TokenBusy", "disabled_keys", "enable_key", "extract_account"]
