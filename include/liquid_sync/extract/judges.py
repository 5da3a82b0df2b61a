"""What to keep from a fetched page, when to stop paging, and what the state needs from it.

A judge looks at one page of one partition and returns a ``Verdict``: the records to write
(new or changed ones), the record ids, whether the partition needs no further page, and the
page summary that ``state.state_after_run`` folds into the cursors. Judges are pure: the same
page, base state and cutoff always give the same verdict, so a resumed run decides exactly as
an uninterrupted one.

Two strategies:

* ``window``: everything whose time is at or after ``cutoff`` (everything when None); lists
  are read newest first until records created before ``scan_from`` appear.
* ``incremental``: records newer than the cursors, plus open orders and non-final
  withdrawals whose status moved since the base state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from liquid_sync.extract.records import RecordReader
from liquid_sync.extract.streams import Stream


@dataclass(frozen=True)
class Verdict:
    kept: list[dict]
    kept_ids: list[int]
    stop: bool
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """``cutoff``: keep records changed at or after it; ``scan_from``: stop at records created
    before it (both Unix seconds, None: no bound)."""

    cutoff: int | None
    scan_from: int | None


@dataclass(frozen=True)
class _Row:
    record: dict
    id: int
    created_at: int
    updated_at: int
    status: str | None


def _rows(reader: RecordReader, stream: Stream, records: list[dict]) -> list[_Row]:
    rows = []
    for record in records:
        created = reader.integer(record, stream.time_field)
        rows.append(
            _Row(
                record,
                reader.integer(record, stream.cursor_field),
                created,
                reader.integer(record, stream.updated_field) if stream.updated_field else created,
                reader.text(record, stream.status_field) if stream.status_field else None,
            )
        )
    return rows


def _bounds(rows: list[_Row]) -> dict:
    if not rows:
        return {}
    return {
        "max_id": max(r.id for r in rows),
        "min_id": min(r.id for r in rows),
        "max_created_at": max(r.created_at for r in rows),
        "min_created_at": min(r.created_at for r in rows),
    }


def _verdict(kept: list[_Row], stop: bool, summary: dict) -> Verdict:
    return Verdict([r.record for r in kept], [r.id for r in kept], stop, summary)


class OrderJudge:
    """Orders: open ones (not final) are tracked with their fill so later runs re-check them.

    ``traded_products`` of a page: products of kept orders whose fill grew since the base
    state; executions are fetched for those products only.
    """

    def __init__(self, reader: RecordReader, stream: Stream, base_orders: dict):
        self.reader = reader
        self.stream = stream
        self.newest_id = base_orders["newest_id"]
        self.base_open = base_orders["open"]

    def listing(self, records: list[dict], window: Window | None) -> Verdict:
        """A page of ``/orders`` (all statuses, newest first)."""
        rows = _rows(self.reader, self.stream, records)
        if window is None:
            kept = [r for r in rows if self._is_new(r) or self._changed(r)]
            stop = self.newest_id is not None and any(r.id <= self.newest_id for r in rows)
        else:
            kept = [r for r in rows if window.cutoff is None or r.updated_at >= window.cutoff]
            stop = window.scan_from is not None and any(r.created_at < window.scan_from for r in rows)
        summary = {**self._tracking(rows, kept), **_bounds(rows)}
        return _verdict(kept, stop, summary)

    def status_listing(self, records: list[dict], unseen: set[str]) -> Verdict:
        """A page of ``/orders?status=...``: only base-open orders the main listing did not show
        (``unseen``) count; new orders come from the main listing."""
        rows = [r for r in _rows(self.reader, self.stream, records) if str(r.id) in unseen]
        kept = [r for r in rows if self._changed(r)]
        return _verdict(kept, False, self._tracking(rows, kept))

    def single(self, record: dict | None, order_id: int) -> Verdict:
        """``GET /orders/{id}`` of an order the base state holds open (None: not found)."""
        if record is None:
            return Verdict([], [], True, {"open": {}, "closed": [order_id], "traded_products": []})
        rows = _rows(self.reader, self.stream, [record])
        kept = [r for r in rows if self._changed(r)]
        return _verdict(kept, True, self._tracking(rows, kept))

    def seen_open_ids(self, summary: dict) -> set[str]:
        """Ids of base-open orders a page showed (open or now final)."""
        return {i for i in summary.get("open", {}) if i in self.base_open} | {str(i) for i in summary.get("closed", [])}

    def _is_new(self, row: _Row) -> bool:
        return self.newest_id is None or row.id > self.newest_id

    def _changed(self, row: _Row) -> bool:
        before = self.base_open.get(str(row.id))
        return before is not None and before != self._open_entry(row)

    def _open_entry(self, row: _Row) -> dict:
        return {
            "status": row.status,
            "updated_at": row.updated_at,
            "filled_quantity": str(self.reader.decimal(row.record, "filled_quantity")),
            "product_id": self.reader.integer(row.record, "product_id"),
        }

    def _tracking(self, rows: list[_Row], kept: list[_Row]) -> dict:
        open_orders = {str(r.id): self._open_entry(r) for r in rows if not self.stream.is_final(r.status)}
        closed = [r.id for r in rows if self.stream.is_final(r.status) and str(r.id) in self.base_open]
        traded = set()
        for row in kept:
            filled = self.reader.decimal(row.record, "filled_quantity")
            before = self.base_open.get(str(row.id))
            if filled > (Decimal(before["filled_quantity"]) if before else 0):
                traded.add(self.reader.integer(row.record, "product_id"))
        return {"open": open_orders, "closed": closed, "traded_products": sorted(traded)}


class ExecutionJudge:
    """One product's executions, newest first; ``newest_id`` is the product's cursor."""

    def __init__(self, reader: RecordReader, stream: Stream, newest_id: int | None):
        self.reader = reader
        self.stream = stream
        self.newest_id = newest_id

    def listing(self, records: list[dict], window: Window | None) -> Verdict:
        rows = _rows(self.reader, self.stream, records)
        if window is None:
            kept = [r for r in rows if self.newest_id is None or r.id > self.newest_id]
            stop = self.newest_id is not None and any(r.id <= self.newest_id for r in rows)
        else:
            kept = [r for r in rows if window.cutoff is None or r.created_at >= window.cutoff]
            stop = window.cutoff is not None and any(r.created_at < window.cutoff for r in rows)
        return _verdict(kept, stop, _bounds(rows))


class WithdrawalJudge:
    """Crypto or fiat withdrawals; non-final ones are tracked so later runs re-check them."""

    def __init__(self, reader: RecordReader, stream: Stream, base: dict):
        self.reader = reader
        self.stream = stream
        self.newest_id = base["newest_id"]
        self.pending = base["pending"]

    def oldest_pending_created_at(self) -> int | None:
        return min((p["created_at"] for p in self.pending.values()), default=None)

    def listing(self, records: list[dict], window: Window | None) -> Verdict:
        rows = _rows(self.reader, self.stream, records)
        if window is None:
            kept = [r for r in rows if self.newest_id is None or r.id > self.newest_id or self._changed(r)]
            stop = self._past_cursor_and_pending(rows)
        else:
            kept = [r for r in rows if window.cutoff is None or r.updated_at >= window.cutoff]
            stop = window.scan_from is not None and any(r.created_at < window.scan_from for r in rows)
        pending = {str(r.id): self._entry(r) for r in rows if not self.stream.is_final(r.status)}
        closed = [r.id for r in rows if self.stream.is_final(r.status) and str(r.id) in self.pending]
        return _verdict(kept, stop, {"pending": pending, "closed": closed, **_bounds(rows)})

    def _past_cursor_and_pending(self, rows: list[_Row]) -> bool:
        if self.newest_id is None or not rows:
            return False
        oldest = min(r.id for r in rows)
        oldest_pending = min((int(i) for i in self.pending), default=None)
        return oldest <= self.newest_id and (oldest_pending is None or oldest <= oldest_pending)

    def _changed(self, row: _Row) -> bool:
        before = self.pending.get(str(row.id))
        return before is not None and before != self._entry(row)

    def _entry(self, row: _Row) -> dict:
        return {"state": row.status, "created_at": row.created_at, "updated_at": row.updated_at}
