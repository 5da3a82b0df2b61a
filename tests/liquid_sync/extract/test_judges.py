"""The keep/stop/summary rules, on synthetic pages (newest first, as Liquid sends them)."""

from __future__ import annotations

from liquid_sync.extract.judges import ExecutionJudge, OrderJudge, Window, WithdrawalJudge
from liquid_sync.extract.records import RecordReader
from liquid_sync.extract.streams import CRYPTO_WITHDRAWALS, EXECUTIONS, FIAT_WITHDRAWALS, ORDERS


def order(i, status="filled", filled="1.0", updated=None, created=None, product=5):
    created = created if created is not None else 1000 + i
    return {"id": i, "status": status, "filled_quantity": filled, "product_id": product,
            "created_at": created, "updated_at": updated if updated is not None else created}


def orders_judge(newest_id=None, open_orders=None):
    return OrderJudge(RecordReader("demo", "/orders"), ORDERS, {"newest_id": newest_id, "open": open_orders or {}})


def open_entry(status="live", updated=1010, filled="0.0", product=5):
    return {"status": status, "updated_at": updated, "filled_quantity": filled, "product_id": product}


def test_incremental_orders_keep_new_and_changed_and_stop_at_the_cursor():
    judge = orders_judge(newest_id=10, open_orders={"10": open_entry(updated=1010), "8": open_entry(updated=1008)})
    page = [order(12, filled="2.0", product=7), order(11, status="live", filled="0.0"), order(10, updated=1500),
            order(9)]
    verdict = judge.listing(page, None)
    assert verdict.kept_ids == [12, 11, 10]
    assert verdict.stop
    assert verdict.summary["open"] == {"11": open_entry(updated=1011)}
    assert verdict.summary["closed"] == [10]
    assert verdict.summary["traded_products"] == [5, 7]
    assert judge.seen_open_ids(verdict.summary) == {"10"}


def test_unchanged_open_orders_are_not_kept_and_do_not_trigger_executions():
    judge = orders_judge(newest_id=10, open_orders={"10": open_entry(updated=1010)})
    verdict = judge.listing([order(10, status="live", filled="0.0", updated=1010)], None)
    assert verdict.kept == [] and verdict.summary["traded_products"] == []


def test_status_listing_and_single_order_track_base_open_orders_only():
    judge = orders_judge(newest_id=10, open_orders={"3": open_entry(filled="0.5", status="partially_filled"),
                                                     "4": open_entry()})
    verdict = judge.status_listing(
        [order(11, status="partially_filled"), order(3, status="partially_filled", filled="0.7", updated=1200)],
        unseen={"3", "4"},
    )
    assert verdict.kept_ids == [3] and verdict.summary["traded_products"] == [5] and not verdict.stop
    gone = judge.single(None, 4)
    assert gone.summary["closed"] == [4] and gone.kept == []
    cancelled = judge.single(order(4, status="cancelled", filled="0.0", updated=1300), 4)
    assert cancelled.kept_ids == [4] and cancelled.summary["closed"] == [4]
    assert cancelled.summary["traded_products"] == []


def test_window_orders_keep_changes_since_the_cutoff_and_scan_back_to_scan_from():
    judge = orders_judge()
    window = Window(cutoff=2000, scan_from=1500)
    verdict = judge.listing([order(3, created=2100), order(2, created=1600, updated=2050), order(1, created=1700)],
                            window)
    assert verdict.kept_ids == [3, 2] and not verdict.stop
    assert judge.listing([order(0, created=1400)], window).stop
    everything = judge.listing([order(5), order(4)], Window(None, None))
    assert everything.kept_ids == [5, 4] and not everything.stop


def test_executions_stop_at_the_product_cursor_or_cutoff():
    reader = RecordReader("demo", "/executions/me")
    page = [{"id": i, "my_side": s, "created_at": 1000 + i} for i, s in ((12, "buy"), (12, "sell"), (11, "buy"),
                                                                          (10, "sell"))]
    incremental = ExecutionJudge(reader, EXECUTIONS, newest_id=11).listing(page, None)
    assert incremental.kept_ids == [12, 12] and incremental.stop
    assert incremental.summary["max_id"] == 12 and incremental.summary["max_created_at"] == 1012
    window = ExecutionJudge(reader, EXECUTIONS, None).listing(page, Window(cutoff=1011, scan_from=0))
    assert window.kept_ids == [12, 12, 11] and window.stop
    new_product = ExecutionJudge(reader, EXECUTIONS, None).listing(page, None)
    assert len(new_product.kept) == 4 and not new_product.stop


def withdrawal(i, state="processed", created=None, updated=None):
    created = created if created is not None else 1000 + i
    return {"id": str(i), "state": state, "created_at": created, "updated_at": updated or created}


def test_incremental_withdrawals_recheck_pending_ones_until_past_the_oldest():
    base = {"newest_id": 20, "newest_created_at": 1020,
            "pending": {"15": {"state": "pending", "created_at": 1015, "updated_at": 1015}}}
    judge = WithdrawalJudge(RecordReader("demo", "/withdrawals"), FIAT_WITHDRAWALS, base)
    first = judge.listing([withdrawal(22, "pending"), withdrawal(21), withdrawal(20), withdrawal(19)], None)
    assert first.kept_ids == [22, 21] and not first.stop, "pending 15 is further down"
    assert first.summary["pending"] == {"22": {"state": "pending", "created_at": 1022, "updated_at": 1022}}
    second = judge.listing([withdrawal(16), withdrawal(15, updated=1300), withdrawal(14)], None)
    assert second.kept_ids == [15] and second.stop and second.summary["closed"] == [15]
    assert judge.oldest_pending_created_at() == 1015


def test_crypto_withdrawal_unknown_states_count_as_not_final():
    judge = WithdrawalJudge(RecordReader("demo", "/crypto_withdrawals"), CRYPTO_WITHDRAWALS,
                            {"newest_id": None, "newest_created_at": None, "pending": {}})
    verdict = judge.listing([withdrawal(1, "filed"), withdrawal(2, "reverted")], None)
    assert set(verdict.summary["pending"]) == {"1"}
