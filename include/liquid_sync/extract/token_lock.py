"""One process at a time per API token: an exclusive ``flock`` on a file under ``locks/``.

Two processes using one token would send interleaved nonces and share one rate limit, so a
second extraction of the same token fails fast instead of waiting. The kernel releases the
lock when the holder exits, even on SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class TokenBusy(RuntimeError):
    """Another process holds the token's lock."""


@contextmanager
def token_lock(path: Path, account: str, token_id: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", errors="replace").strip() or "unknown"
            raise TokenBusy(
                f"account {account!r}: API token {token_id} is in use by another extraction "
                f"(pid {holder}, lock {path}); wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)
