"""Atomic JSON state files: written whole, read back, named when unreadable."""

from __future__ import annotations

import pytest

from liquid_sync.extract.files import atomic_write_text, read_json_file


def test_a_written_file_reads_back_and_a_missing_one_is_none(tmp_path):
    path = tmp_path / "deep" / "state.json"
    assert read_json_file(path, "state") is None
    atomic_write_text(path, '{"cursor": 7}')
    assert read_json_file(path, "state") == {"cursor": 7}
    assert [p.name for p in path.parent.iterdir()] == ["state.json"], "no temporary file is left behind"


def test_an_unreadable_file_is_named_with_what_it_holds(tmp_path):
    path = tmp_path / "alpha.json"
    path.write_text('{"account": "alpha", ', encoding="utf-8")
    with pytest.raises(ValueError, match=r"alpha\.json: unreadable key status \("):
        read_json_file(path, "key status")
