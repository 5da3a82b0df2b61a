"""The pipeline's own short reads of the warehouse, over a read-only connection that waits out
a writer.

DuckDB refuses a read-only connection while another process holds the file read-write. A
load holds it for seconds, so ``reading`` retries with linear backoff (``READ_ATTEMPTS``
attempts, about 7 s in all) before it gives up with ``RuntimeError`` naming the file and what
was to be read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

READ_ATTEMPTS = 8
READ_BACKOFF_SECONDS = 0.25


@contextmanager
def reading(path: Path, purpose: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection (``TimeZone = 'UTC'``) to the existing warehouse at ``path``, closed
    on exit; ``purpose`` names the read in the log and in the error."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.IOException as exc:
            if attempt == READ_ATTEMPTS:
                raise RuntimeError(f"{path}: cannot read {purpose}; another process writes it ({exc})") from None
            delay = READ_BACKOFF_SECONDS * attempt
            log.warning("%s is being written; reading %s again in %.2fs", path, purpose, delay)
            time.sleep(delay)
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()
