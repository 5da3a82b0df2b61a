from __future__ import annotations

import pytest

from liquid_sync.extract.manifest import Manifest, PageEvent, RunStart

START = RunStart("r", "demo", "full", "window", "2021-10-01T00:00:00+00:00", None, None, None)


def page(n: int, last: bool = False) -> PageEvent:
    return PageEvent("orders", "orders", None, n, 1000, 1000, f"orders/run=r/page-{n:05d}.parquet", last,
                     {"max_id": n})


def test_events_survive_reopening(tmp_path):
    path = tmp_path / "_runs" / "run=r.jsonl"
    manifest = Manifest.open(path)
    assert manifest.start is None and manifest.pages == []
    manifest.begin(START)
    manifest.add_page(page(1))
    manifest.add_page(page(2, last=True))
    reopened = Manifest.open(path)
    assert reopened.start == START
    assert reopened.pages == [page(1), page(2, last=True)]
    assert reopened.partition_pages("orders")[-1].last and reopened.finished is None
    reopened.finish({"status": "completed"})
    assert Manifest.open(path).finished == {"status": "completed"}


def test_a_torn_last_line_is_dropped_and_appending_continues(tmp_path):
    path = tmp_path / "run=r.jsonl"
    manifest = Manifest.open(path)
    manifest.begin(START)
    manifest.add_page(page(1))
    with open(path, "ab") as handle:
        handle.write(b'{"event":"page","partition":"ord')
    reopened = Manifest.open(path)
    assert reopened.pages == [page(1)]
    reopened.add_page(page(2))
    assert Manifest.open(path).pages == [page(1), page(2)]


def test_corrupt_lines_are_reported_with_their_line_number(tmp_path):
    path = tmp_path / "run=r.jsonl"
    path.write_text('{"event":"nonsense"}\n')
    with pytest.raises(ValueError, match=r"run=r.jsonl:1: unknown manifest event"):
        Manifest.open(path)
    path.write_text("not json\n")
    with pytest.raises(ValueError, match=r":1: not a manifest event"):
        Manifest.open(path)


def test_begin_twice_is_refused(tmp_path):
    manifest = Manifest.open(tmp_path / "m.jsonl")
    manifest.begin(START)
    with pytest.raises(ValueError, match="already started"):
        manifest.begin(START)
