"""A staged batch of account ``beta`` (export files imported, a full extraction, the
transform; not loaded), built once, and a private copy of it per test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liquid_sync.transform.batch import batch_dir, read_manifest, table_path
from liquid_sync.validate.datasets import BATCH_TABLES, Dataset, to_frame
from tests.liquid_sync.emulator import BETA, running_emulator
from tests.liquid_sync.pipeline import Pipeline

# The emulator's history ends at 2021-10-01; a validation "now" a day later.
NOW = datetime(2021, 10, 2, tzinfo=UTC)


@dataclass
class Staged:
    root: Path
    batch_id: str

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def batch_dir(self) -> Path:
        return batch_dir(self.data_dir, self.batch_id)

    @property
    def manifest(self) -> dict:
        return read_manifest(self.batch_dir)

    def table(self, name: str) -> pa.Table:
        return pq.read_table(table_path(self.batch_dir, name))

    def frame(self, name: str) -> pd.DataFrame:
        """The batch table ``name`` as the validation reads it, to be altered by a test."""
        return to_frame(self.table(name))


    def rewrite(self, name: str, sql: str) -> None:
        """Replace batch table ``name`` by ``sql`` over it (as ``t``), keeping its column types."""
        path = table_path(self.batch_dir, name)
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')")
            con.execute(sql)
            con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
        finally:
            con.close()


@pytest.fixture(scope="session")
def staged_original(tmp_path_factory) -> Staged:
    root = tmp_path_factory.mktemp("staged")
    with running_emulator(accounts=(BETA,), tokens_per_account=1) as emulator:
        pipeline = Pipeline(emulator, root)
        pipeline.import_files("beta", pipeline.export("beta"))
        manifest = pipeline.transform([pipeline.extract("beta", "full")])
    staged = Staged(root, manifest["batch_id"])
    assert all(staged.manifest["counts"][name] > 0 for name in BATCH_TABLES)
    return staged


@pytest.fixture
def staged(staged_original, tmp_path) -> Staged:
    """A private copy of the staged batch, its raw pages and its warehouse."""
    shutil.copytree(staged_original.root, tmp_path / "staged")
    return Staged(tmp_path / "staged", staged_original.batch_id)


def crafted(name: str, frame: pd.DataFrame, suite: str | None = None) -> Dataset:
    return Dataset(name, suite or name, lambda: frame, ("account",), "crafted")
