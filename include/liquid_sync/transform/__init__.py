"""Raw API pages and imported export files into a batch for the load (see ``transformation``)."""

from __future__ import annotations

from liquid_sync.transform.records import RecordError
from liquid_sync.transform.transformation import transform

__all__ = ["RecordError", "transform"]
