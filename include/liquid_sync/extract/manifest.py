"""The per-run manifest of one account: an append-only JSON-lines file.

Line 1 is the ``run`` event (mode, cutoff, the committed state the run started from). Each
completed page appends one ``page`` event, after its Parquet file is in place; the last line
is the ``finished`` event with the run summary. A line is appended with one write and an
fsync, so a crash leaves at most a torn last line, which ``open`` discards. A rerun with the
same run id therefore resumes after the last completed page.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from liquid_sync.extract.files import fsync_dir


@dataclass(frozen=True)
class RunStart:
    run_id: str
    account: str
    mode: str  # as requested
    strategy: str  # "window" (everything since ``cutoff``, all when None) or "incremental"
    started_at: str
    cutoff: int | None  # Unix seconds
    scan_from: int | None  # Unix seconds; window scans stop at records created before it
    base_state: dict | None
    warehouse: str | None = None  # the warehouse that owns the cursors; None: ``_state.json``

    @classmethod
    def from_json(cls, data: dict) -> RunStart:
        return cls(**{k: v for k, v in data.items() if k != "event"})


@dataclass(frozen=True)
class PageEvent:
    """One completed page of a partition (``orders``, ``executions/product=5``, ...).

    ``last`` says the partition needs no further page. ``summary`` holds what the state and
    the rest of the run need from the page (ids, open records, traded products).
    """

    partition: str
    endpoint: str
    product_id: int | None
    page: int
    received: int
    kept: int
    file: str | None
    last: bool
    summary: dict = field(default_factory=dict)


class Manifest:
    def __init__(self, path: Path, start: RunStart | None, pages: list[PageEvent], finished: dict | None):
        self.path = path
        self.start = start
        self.pages = pages
        self.finished = finished

    @classmethod
    def open(cls, path: Path) -> Manifest:
        """Read the manifest at ``path`` (empty if absent), dropping a torn last line."""
        if not path.exists():
            return cls(path, None, [], None)
        raw = path.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1]
        if len(complete) != len(raw):
            with open(path, "r+b") as handle:
                handle.truncate(len(complete))
                os.fsync(handle.fileno())
        start, pages, finished = None, [], None
        for number, line in enumerate(complete.decode("utf-8").splitlines(), start=1):
            try:
                event = json.loads(line)
                kind = event["event"]
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path}:{number}: not a manifest event") from None
            if kind == "run":
                start = RunStart.from_json(event)
            elif kind == "page":
                pages.append(PageEvent(**{k: v for k, v in event.items() if k != "event"}))
            elif kind == "finished":
                finished = event["summary"]
            else:
                raise ValueError(f"{path}:{number}: unknown manifest event {kind!r}")
        if (pages or finished) and start is None:
            raise ValueError(f"{path}: manifest has no run event")
        return cls(path, start, pages, finished)

    def begin(self, start: RunStart) -> None:
        if self.start is not None:
            raise ValueError(f"{self.path}: run already started")
        self._append({"event": "run", **asdict(start)})
        self.start = start

    def add_page(self, event: PageEvent) -> None:
        self._append({"event": "page", **asdict(event)})
        self.pages.append(event)

    def finish(self, summary: dict) -> None:
        self._append({"event": "finished", "summary": summary})
        self.finished = summary

    def partition_pages(self, partition: str) -> list[PageEvent]:
        return [p for p in self.pages if p.partition == partition]

    def _append(self, event: dict[str, Any]) -> None:
        line = (json.dumps(event, separators=(",", ":"), sort_keys=False) + "\n").encode("utf-8")
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
