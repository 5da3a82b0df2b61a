"""What validation reads: ``Dataset``s, the batch's tables and raw pages as pandas frames.

A dataset reads its frame when it is validated (``read``), so that only one frame is in
memory at a time. Frames keep every value exact and every null a null: Arrow decimals stay Arrow decimals
(``pd.ArrowDtype``), integers and booleans become pandas' nullable types (never float NaN),
strings pandas' ``str``, timestamps ``datetime64`` with their zone.

Raw pages are read from the extraction runs the batch was built from. Pages are grouped by
their Parquet schema and each group is one dataset, so a page with a missing column or a
column of another type shows up as such instead of failing to be read with the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from liquid_sync.extract.layout import Layout
from liquid_sync.extract.raw_pages import RAW_SCHEMA
from liquid_sync.transform.batch import TABLES_BY_NAME, table_path
from liquid_sync.transform.runs import open_runs

RAW_PAGES = "raw_pages"
BATCH_TABLES = ("orders", "api_executions", "trades", "withdrawals", "deposits")
RAW_KEY = ("account", "endpoint", "run_id", "product_id", "page", "record_id")

_NULLABLE = {
    pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
}


@dataclass(frozen=True)
class Dataset:
    """The frame ``read()`` returns, validated by suite ``suite``; ``name`` is how summaries and
    Data Docs call it, ``example_columns`` the columns an example bad row shows besides the
    checked ones (the row's key; None: every column), ``source`` where the rows come from."""

    name: str
    suite: str
    read: Callable[[], pd.DataFrame]
    example_columns: tuple[str, ...] | None
    source: str


def _pandas_type(arrow_type: pa.DataType) -> object:
    if pa.types.is_decimal(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return _NULLABLE.get(arrow_type)


def to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_pandas_type)


def _read_parquet(paths: list[Path]) -> pd.DataFrame:
    return to_frame(pads.dataset([str(path) for path in paths], format="parquet").to_table())


def batch_datasets(directory: Path) -> list[Dataset]:
    """The batch's transformed tables that reach analysts or carry the API's records."""
    return [
        Dataset(name, name, partial(_read_parquet, [table_path(directory, name)]), TABLES_BY_NAME[name].key,
                f"the batch's {table_path(directory, name).name}")
        for name in BATCH_TABLES
    ]


def raw_page_files(data_dir: Path, runs: list[dict]) -> list[Path]:
    """The raw page files of ``runs`` (the batch manifest's), as the transform read them."""
    layout = Layout(data_dir)
    return [path for run in open_runs(layout, runs) for paths in run.files(layout).values() for path in paths]


def raw_page_datasets(files: list[Path]) -> list[Dataset]:
    """One dataset per distinct schema among ``files``: ``raw_pages`` for the extraction's own
    schema, ``raw_pages[2]``, ``raw_pages[3]``, ... for any other, in the order first seen. With
    no files, one empty ``raw_pages``."""
    groups: dict[pa.Schema, list[Path]] = {RAW_SCHEMA: []}
    for path in files:
        groups.setdefault(pq.read_schema(path).remove_metadata(), []).append(path)
    datasets = []
    for number, (schema, paths) in enumerate(groups.items(), start=1):
        if paths or not files:
            name = RAW_PAGES if number == 1 else f"{RAW_PAGES}[{number}]"
            read = partial(_read_parquet, paths) if paths else partial(to_frame, schema.empty_table())
            source = f"{len(paths)} raw page file(s)" + (f", the first {paths[0]}" if paths else "")
            datasets.append(Dataset(name, RAW_PAGES, read, RAW_KEY, source))
    return datasets
