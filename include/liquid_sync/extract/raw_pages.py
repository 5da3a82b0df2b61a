"""Raw layer: one Parquet file per fetched page, written atomically.

Each row is one record as received (``record``: its JSON text, decimals with their digits,
strings as strings) plus fetch metadata. ``record_id`` is the record's ``id``; a self-matched
execution has two rows with the same ``record_id`` (``my_side`` tells them apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liquid_sync.extract.files import atomic_write
from liquid_sync.extract.records import to_json_text

RAW_SCHEMA = pa.schema(
    [
        pa.field("account", pa.string(), nullable=False),
        pa.field("endpoint", pa.string(), nullable=False),
        pa.field("product_id", pa.int64()),
        pa.field("page", pa.int32(), nullable=False),
        pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("record_id", pa.int64(), nullable=False),
        pa.field("record", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class PageMeta:
    """Fetch metadata shared by every row of one page; ``fetched_at`` must be timezone-aware."""

    account: str
    endpoint: str
    product_id: int | None
    page: int
    fetched_at: datetime
    run_id: str


def page_table(records: list[dict], record_ids: list[int], meta: PageMeta) -> pa.Table:
    if meta.fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    n = len(records)
    return pa.table(
        {
            "account": pa.array([meta.account] * n, pa.string()),
            "endpoint": pa.array([meta.endpoint] * n, pa.string()),
            "product_id": pa.array([meta.product_id] * n, pa.int64()),
            "page": pa.array([meta.page] * n, pa.int32()),
            "fetched_at": pa.array([meta.fetched_at] * n, pa.timestamp("us", tz="UTC")),
            "run_id": pa.array([meta.run_id] * n, pa.string()),
            "record_id": pa.array(record_ids, pa.int64()),
            "record": pa.array([to_json_text(r) for r in records], pa.string()),
        },
        schema=RAW_SCHEMA,
    )


def write_page(path: Path, records: list[dict], record_ids: list[int], meta: PageMeta) -> None:
    """Write one page's records to ``path`` atomically (replacing an earlier partial attempt)."""
    table = page_table(records, record_ids, meta)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
