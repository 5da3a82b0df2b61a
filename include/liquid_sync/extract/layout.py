"""Where the extraction keeps its files under ``<LIQUID_DATA_DIR>``.

::

    raw/<account>/<endpoint>/run=<run_id>/[product=<id>/|<part>/]page-00001.parquet
    raw/<account>/_runs/run=<run_id>.jsonl      per-run manifest (append-only)
    raw/<account>/_state.json                   committed cursors of the account
    keys/<account>.json                         key status (present only when disabled)
    locks/token-<token_id>.lock                 held while an extraction uses the token
    locks/token-<token_id>.pacing.json          recent request times and last nonce

Account names, run ids and token ids are percent-encoded into single path components.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

_SAFE = "-_.:+@="


def component(value: str) -> str:
    """``value`` as one safe path component (percent-encoded, never ``.``/``..``/empty)."""
    if value in ("", ".", ".."):
        raise ValueError(f"not usable as a name: {value!r}")
    return quote(value, safe=_SAFE)


@dataclass(frozen=True)
class Layout:
    data_dir: Path

    def account_dir(self, account: str) -> Path:
        return self.data_dir / "raw" / component(account)

    def run_dir(self, account: str, endpoint: str, run_id: str) -> Path:
        return self.account_dir(account) / endpoint / f"run={component(run_id)}"

    def page_path(self, account: str, endpoint: str, run_id: str, part: str | None, page: int) -> Path:
        """``part`` is ``product=<id>`` for per-product streams, another sub-partition name, or
        None."""
        base = self.run_dir(account, endpoint, run_id)
        if part is not None:
            base = base / part
        return base / f"page-{page:05d}.parquet"

    def manifest_path(self, account: str, run_id: str) -> Path:
        return self.account_dir(account) / "_runs" / f"run={component(run_id)}.jsonl"

    def state_path(self, account: str) -> Path:
        return self.account_dir(account) / "_state.json"

    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def key_status_path(self, account: str) -> Path:
        return self.keys_dir() / f"{component(account)}.json"

    def lock_path(self, token_id: str) -> Path:
        return self.data_dir / "locks" / f"token-{component(token_id)}.lock"

    def pacing_path(self, token_id: str) -> Path:
        return self.data_dir / "locks" / f"token-{component(token_id)}.pacing.json"
