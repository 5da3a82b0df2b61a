from __future__ import annotations

from pathlib import Path

import pytest

from liquid_sync.extract.layout import Layout, component


def test_paths_follow_the_documented_layout():
    layout = Layout(Path("/data"))
    assert layout.page_path("demo", "executions", "manual__2021-10-01T00:00:00+00:00", "product=5", 3) == Path(
        "/data/raw/demo/executions/run=manual__2021-10-01T00:00:00+00:00/product=5/page-00003.parquet"
    )
    assert layout.page_path("demo", "orders", "r", None, 1) == Path("/data/raw/demo/orders/run=r/page-00001.parquet")
    assert layout.manifest_path("demo", "r") == Path("/data/raw/demo/_runs/run=r.jsonl")
    assert layout.state_path("demo") == Path("/data/raw/demo/_state.json")
    assert layout.lock_path("3001") == Path("/data/locks/token-3001.lock")


@pytest.mark.parametrize("name", ["a/b", "../x", "my account", "ü"])
def test_names_become_one_safe_component(name):
    encoded = component(name)
    assert "/" not in encoded and encoded not in (".", "..")


@pytest.mark.parametrize("name", ["", ".", ".."])
def test_unusable_names_are_refused(name):
    with pytest.raises(ValueError):
        component(name)
