from __future__ import annotations

import pytest


@pytest.fixture
def warehouse_path(tmp_path):
    return tmp_path / "warehouse.duckdb"
