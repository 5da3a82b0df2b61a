from __future__ import annotations

from liquid_sync.extract.key_status import disable_key, disabled_key, disabled_keys, enable_key
from liquid_sync.extract.layout import Layout


def test_disable_then_enable(tmp_path, monkeypatch):
    layout = Layout(tmp_path)
    assert disabled_key(layout, "demo") is None
    mark = disable_key(layout, "demo", "3001", "This token does not allow GET executions", "/executions/me", "r1")
    assert disabled_key(layout, "demo") == mark
    assert "liquid-sync keys enable demo" in mark.describe() and "does not allow GET executions" in mark.describe()
    assert disabled_key(layout, "other") is None
    other = disable_key(layout, "a/b", "3002", "API Authentication failed", "/orders", "r1")
    assert disabled_keys(tmp_path) == [other, mark]

    monkeypatch.setenv("LIQUID_DATA_DIR", str(tmp_path))
    assert enable_key("demo") == mark
    assert disabled_key(layout, "demo") is None
    assert enable_key("demo") is None
    assert disabled_keys(tmp_path) == [other]
