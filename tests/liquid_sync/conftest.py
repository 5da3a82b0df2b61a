"""Fixtures for the pipeline tests: a ``Pipeline`` on the fresh emulator (``tests/conftest.py``)
and a fresh warehouse, and a fresh data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.liquid_sync.pipeline import Pipeline


@pytest.fixture
def pipeline(emulator, tmp_path):
    return Pipeline(emulator, tmp_path)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A fresh ``LIQUID_DATA_DIR`` holding the default warehouse."""
    monkeypatch.setenv("LIQUID_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LIQUID_WAREHOUSE", raising=False)
    return tmp_path / "data"
