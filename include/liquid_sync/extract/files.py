"""Atomic file replacement: a reader sees the old file or the whole new one, even after a crash.
And reading such a JSON file back."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Have ``write(tmp)`` fill a temporary file beside ``path``, flush it to disk, then rename
    it over ``path`` and flush the directory entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_temporaries(directory: Path) -> int:
    """Delete temporary files ``atomic_write`` left under ``directory`` when its process was
    killed; returns how many. Only call it while no writer is active there."""
    removed = 0
    for stale in directory.rglob(".*.tmp") if directory.exists() else ():
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def read_json_file(path: Path, what: str) -> dict | None:
    """The JSON object at ``path``, or None when there is no file; ``ValueError`` naming the
    file and ``what`` it holds when it cannot be parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ValueError(f"{path}: unreadable {what} ({exc})") from None
