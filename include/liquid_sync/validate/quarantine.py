"""The quarantine: where a batch that failed validation goes, whole, instead of the load.

``quarantine_batch`` renames the batch folder from ``staging/`` to
``<LIQUID_DATA_DIR>/quarantine/<batch_id>/`` (``<batch_id>.2``, ``.3``, ... when a batch of
that id is already there) in one atomic rename, so the load finds nothing to load for it, and
then writes the failure summary next to its tables (``validation-summary.txt``). A batch in
quarantine stays there, untouched, for a person to inspect.
"""

from __future__ import annotations

import os
from pathlib import Path

from liquid_sync.extract.files import atomic_write_text, fsync_dir

SUMMARY = "validation-summary.txt"


def quarantine_dir(data_dir: Path) -> Path:
    return data_dir / "quarantine"


def quarantine_batch(batch_dir: Path, data_dir: Path) -> Path:
    """Move ``batch_dir`` into the quarantine; returns where it is now."""
    root = quarantine_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    target, copy = root / batch_dir.name, 1
    while target.exists():
        copy += 1
        target = root / f"{batch_dir.name}.{copy}"
    os.rename(batch_dir, target)
    fsync_dir(root)
    fsync_dir(batch_dir.parent)
    return target


def write_summary(quarantined: Path, summary: str) -> None:
    atomic_write_text(quarantined / SUMMARY, summary + "\n")


def quarantined_summary(data_dir: Path, batch_id: str) -> str | None:
    """The failure summary of batch ``batch_id`` if it is in quarantine, else None."""
    held = quarantine_dir(data_dir) / batch_id
    if not held.is_dir():
        return None
    summary = held / SUMMARY
    return summary.read_text(encoding="utf-8").rstrip("\n") if summary.exists() else (
        f"batch {batch_id} failed validation and is in quarantine at {held}")
