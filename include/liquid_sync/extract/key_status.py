"""Which accounts' API keys are disabled, and why.

When Liquid rejects a key (401: deleted, revoked, or a permission removed), the account is
marked disabled in ``<LIQUID_DATA_DIR>/keys/<account>.json`` with Liquid's reason. Runs skip a
disabled account until a person fixes the key and calls ``enable_key`` (the
``liquid-sync keys enable ACCOUNT`` command), which removes the mark.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from liquid_sync import config
from liquid_sync.extract.files import atomic_write_text, fsync_dir, read_json_file
from liquid_sync.extract.layout import Layout


@dataclass(frozen=True)
class DisabledKey:
    account: str
    token_id: str
    reason: str
    endpoint: str
    run_id: str
    disabled_at: str

    def describe(self) -> str:
        return (
            f"account {self.account!r}: API key {self.token_id} disabled since {self.disabled_at} "
            f"({self.endpoint}: {self.reason}); fix the key, then run `liquid-sync keys enable {self.account}`"
        )


def disabled_key(layout: Layout, account: str) -> DisabledKey | None:
    data = read_json_file(layout.key_status_path(account), "key status")
    return None if data is None else DisabledKey(**data)


def disable_key(layout: Layout, account: str, token_id: str, reason: str, endpoint: str, run_id: str) -> DisabledKey:
    mark = DisabledKey(account, token_id, reason, endpoint, run_id, datetime.now(UTC).isoformat(timespec="seconds"))
    atomic_write_text(layout.key_status_path(account), json.dumps(asdict(mark), indent=1) + "\n")
    return mark


def disabled_keys(data_dir: Path | None = None) -> list[DisabledKey]:
    """Every disabled key, by account name (for ``liquid-sync keys list``)."""
    layout = _layout(data_dir)
    statuses = (read_json_file(path, "key status") for path in layout.keys_dir().glob("*.json"))
    marks = [DisabledKey(**data) for data in statuses if data is not None]
    return sorted(marks, key=lambda m: m.account)


def enable_key(account: str, data_dir: Path | None = None) -> DisabledKey | None:
    """Re-enable ``account``'s key; returns the mark removed, None if the key was not disabled."""
    layout = _layout(data_dir)
    mark = disabled_key(layout, account)
    if mark is not None:
        path = layout.key_status_path(account)
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)
    return mark


def _layout(data_dir: Path | None) -> Layout:
    return Layout(data_dir if data_dir is not None else config.data_dir())
