from __future__ import annotations

from decimal import Decimal

from liquid_sync.imports import IMPORTED, REJECTED

from .support import CRYPTO_HEADER, data_row_counts, entry, import_paths, ledger_files, query, write

DEPOSIT = ("Deposit", 3001)
WITHDRAWAL = ("CryptoWithdrawal", 501)


def test_a_deposit_with_a_funding_fee_keeps_gross_amount_fee_hash_and_source(tmp_path, warehouse_path):
    rows = [
        entry(11, "funding", "1.5", "BTC", source=DEPOSIT, transaction_hash="0xabc"),
        entry(12, "funding_fee", "-0.0005", "BTC", source=DEPOSIT, transaction_hash="0xabc"),
        entry(13, "funding", "100000", "JPY", source=("Deposit", 3002)),
    ]
    crypto, fiat = ledger_files(tmp_path, "a_b", rows)
    import_paths(warehouse_path, crypto, fiat)
    deposits = query(
        warehouse_path,
        "SELECT d.deposit_id, d.transaction_id, d.currency, d.amount, d.fee, d.transaction_hash, i.file_name,"
        " d.source_line FROM file_deposits AS d JOIN file_imports AS i ON i.file_id = d.source_file_id"
        " ORDER BY d.deposit_id",
    )
    assert deposits == [
        (3001, 11, "BTC", Decimal("1.5"), Decimal("0.0005"), "0xabc", crypto.name, 2),
        (3002, 13, "JPY", Decimal(100000), Decimal(0), None, fiat.name, 2),
    ]


def test_withdrawals_are_net_of_their_fee_with_state(tmp_path, warehouse_path):
    rows = [
        entry(21, "withdrawal", "-0.25", "ETH", source=WITHDRAWAL, state="processed", transaction_hash="0xdef"),
        entry(22, "withdrawal_fee", "-0.005", "ETH", source=WITHDRAWAL, state="processed", transaction_hash="0xdef"),
        entry(23, "withdrawal", "-49700", "JPY", source=("FiatWithdrawal", 77)),
        entry(24, "withdrawal_fee", "-300", "JPY", source=("FiatWithdrawal", 77)),
    ]
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", rows))
    withdrawals = query(
        warehouse_path,
        "SELECT withdrawal_type, withdrawal_id, transaction_id, fee_transaction_id, currency, amount, fee, state,"
        " transaction_hash, source_line FROM file_withdrawals ORDER BY transaction_id",
    )
    assert withdrawals == [
        ("CryptoWithdrawal", 501, 21, 22, "ETH", Decimal("0.25"), Decimal("0.005"), "processed", "0xdef", 2),
        ("FiatWithdrawal", 77, 23, 24, "JPY", Decimal(49700), Decimal(300), None, None, 2),
    ]


def test_a_later_export_restates_a_withdrawal_and_an_older_one_does_not_undo_it(tmp_path, warehouse_path):
    def export(name: str, state: str, updated: str):
        rows = [
            entry(21, "withdrawal", "-0.25", "ETH", source=WITHDRAWAL, state=state, updated=updated,
                  transaction_hash="0xdef" if state == "processed" else ""),
            entry(22, "withdrawal_fee", "-0.005", "ETH", source=WITHDRAWAL, state=state, updated=updated),
        ]
        return write(tmp_path, f"liquid_ledger_crypto_demo_{name}.csv", CRYPTO_HEADER, rows)

    pending = export("early", "pending", "2021-03-01 10:00:00")
    processed = export("late", "processed", "2021-03-02 08:00:00")
    import_paths(warehouse_path, pending)
    assert query(warehouse_path, "SELECT state FROM file_withdrawals") == [("pending",)]
    outcomes = import_paths(warehouse_path, processed, pending.rename(pending.with_name("again.csv")))
    assert [o.status for o in outcomes] == [IMPORTED, "already imported"]
    assert query(warehouse_path, "SELECT state, transaction_hash, amount FROM file_withdrawals") == [
        ("processed", "0xdef", Decimal("0.25"))
    ]
    assert query(warehouse_path, "SELECT count(*) FROM file_ledger_entries WHERE state = 'processed'") == [(2,)]


def test_overlapping_ledger_files_add_each_row_once(tmp_path, warehouse_path):
    first = [entry(11, "funding", "1", "BTC", source=DEPOSIT), entry(12, "funding", "2", "BTC", source=("Deposit", 2))]
    second = first[1:] + [entry(13, "funding", "3", "BTC", source=("Deposit", 3))]
    one = write(tmp_path, "liquid_ledger_crypto_demo_1.csv", CRYPTO_HEADER, first)
    two = write(tmp_path, "liquid_ledger_crypto_demo_2.csv", CRYPTO_HEADER, second)
    outcomes = import_paths(warehouse_path, one, two)
    assert [o.added["file_ledger_entries"] for o in outcomes] == [2, 1]
    assert query(warehouse_path, "SELECT deposit_id, amount FROM file_deposits ORDER BY 1") == [
        (2, Decimal(2)), (3, Decimal(3)), (3001, Decimal(1))
    ]


def test_amounts_are_signed_by_direction_whatever_the_file_says(tmp_path, warehouse_path):
    paid_positive = entry(11, "withdrawal", "0.25", "ETH", source=WITHDRAWAL).replace('"RECEIVE"', '"PAY"')
    import_paths(warehouse_path, write(tmp_path, "liquid_ledger_crypto_demo_x.csv", CRYPTO_HEADER, [paid_positive]))
    assert query(warehouse_path, "SELECT direction, amount FROM file_ledger_entries") == [("PAY", Decimal("-0.25"))]
    assert query(warehouse_path, "SELECT amount FROM file_withdrawals") == [(Decimal("0.25"),)]


def test_a_fee_row_without_its_deposit_waits_for_it(tmp_path, warehouse_path):
    fee_only = write(tmp_path, "liquid_ledger_crypto_demo_1.csv", CRYPTO_HEADER,
                     [entry(12, "funding_fee", "-0.0005", "BTC", source=DEPOSIT)])
    funding = write(tmp_path, "liquid_ledger_crypto_demo_2.csv", CRYPTO_HEADER,
                    [entry(11, "funding", "1.5", "BTC", source=DEPOSIT)])
    import_paths(warehouse_path, fee_only)
    assert query(warehouse_path, "SELECT count(*) FROM file_deposits") == [(0,)]
    import_paths(warehouse_path, funding)
    assert query(warehouse_path, "SELECT amount, fee FROM file_deposits") == [(Decimal("1.5"), Decimal("0.0005"))]


def test_a_transaction_id_twice_in_one_file_rejects_it(tmp_path, warehouse_path):
    rows = [entry(11, "funding", "1", "BTC", source=DEPOSIT), entry(12, "funding", "1", "BTC", source=DEPOSIT),
            entry(11, "funding", "2", "BTC", source=DEPOSIT)]
    path = write(tmp_path, "liquid_ledger_crypto_demo_x.csv", CRYPTO_HEADER, rows)
    (outcome,) = import_paths(warehouse_path, path)
    assert outcome.status == REJECTED
    assert outcome.message == (
        'liquid_ledger_crypto_demo_x.csv line 4, column "transaction_id": "11" appears again (first on line 2)'
    )
    assert set(data_row_counts(warehouse_path).values()) == {0}
