"""Loading transform batches into the warehouse, the single writer (see ``loading``)."""

from __future__ import annotations

from liquid_sync.load.loading import StaleBatch, load_batch
from liquid_sync.load.merge import BatchMismatch

__all__ = ["BatchMismatch", "StaleBatch", "load_batch"]
