from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from liquid_emulator import catalog, history
from liquid_emulator.export import write_exports
from liquid_emulator.model import Account, units_to_decimal

# The exact first lines from the shared brief.
TRADES_HEADER = "Quote Currency,Base Currency,Execution Id,Type,Date,Open Qty,Price,Fee,Fee Currency,Amount"
CRYPTO_HEADER = ('"exchange","currency_type","direction","transaction_id","transaction_type","gross_amount",'
                 '"currency","execution_id","generated_for_type","generated_for_id","transaction_hash",'
                 '"from_address","to_address","state","created_at_jst","updated_at_jst","created_at_utc",'
                 '"updated_at","notes","user_id","account_id"')
FIAT_HEADER = ('"exchange","currency_type","direction","transaction_id","transaction_type","gross_amount",'
               '"currency","execution_id","generated_for_type","generated_for_id","created_at_jst",'
               '"updated_at_jst","created_at_utc","updated_at","notes","user_id","account_id"')
UTC_FORMAT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def account() -> Account:
    return history.generate_account(31, 2000, account_id=7, name="exports")


@pytest.fixture(scope="module")
def exported(account, tmp_path_factory):
    return write_exports(account, tmp_path_factory.mktemp("full"))


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def all_executions(account: Account) -> list:
    return [e for order in account.orders for e in order.executions]


def ms(text: str) -> int:
    """Epoch milliseconds of a naive UTC ``YYYY-MM-DD HH:MM:SS``."""
    return int(datetime.strptime(text, UTC_FORMAT).replace(tzinfo=timezone.utc).timestamp()) * 1000


def utc(ms_value: int, pattern: str = UTC_FORMAT) -> str:
    return datetime.fromtimestamp(ms_value // 1000, timezone.utc).strftime(pattern)


def test_exact_headers_crlf_and_no_bom(exported):
    for path, header in zip(exported, (TRADES_HEADER, CRYPTO_HEADER, FIAT_HEADER)):
        data = path.read_bytes()
        assert data.startswith(header.encode() + b"\r\n"), path.name
        assert data.count(b"\r\n") == data.count(b"\n")
        assert not path.with_name(path.name + ".partial").exists()


def test_file_names_carry_account_and_range(account, exported):
    stamp = utc(account.created_at_ms, "%Y%m%dT%H%M%SZ")
    suffix = f"exports_{stamp}_20211001T000000Z.csv"
    assert [p.name for p in exported] == [f"liquid_trades_{suffix}", f"liquid_ledger_crypto_{suffix}",
                                          f"liquid_ledger_fiat_{suffix}"]


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path):
    def exported_bytes(seed: int, folder: str) -> list[bytes]:
        paths = write_exports(history.generate_account(seed, 400), tmp_path / folder)
        return [p.read_bytes() for p in paths]

    assert exported_bytes(1, "a") == exported_bytes(1, "b")
    assert exported_bytes(1, "a") != exported_bytes(2, "c")


def test_one_trade_row_per_execution_record_oldest_first(account, exported):
    rows = read_rows(exported.trades)
    executions = all_executions(account)
    assert len(rows) == len(executions)
    assert Counter((int(r["Execution Id"]), r["Type"]) for r in rows) == Counter(
        (e.id, "Bought" if e.my_side == "buy" else "Sold") for e in executions)
    times = [ms(r["Date"]) for r in rows]
    assert times == sorted(times)


def test_trade_rows_match_the_records_exactly(account, exported):
    records = {(e.id, e.my_side): e for e in all_executions(account)}
    for row in read_rows(exported.trades):
        execution = records[(int(row["Execution Id"]), "buy" if row["Type"] == "Bought" else "sell")]
        product = catalog.product(execution.product_id)
        assert (row["Quote Currency"], row["Base Currency"]) == (product.quoted_currency, product.base_currency)
        quantity, price, amount = (Decimal(row[c]) for c in ("Open Qty", "Price", "Amount"))
        assert amount == quantity * price
        assert (quantity, price, amount) == (units_to_decimal(execution.quantity), units_to_decimal(execution.price),
                                             units_to_decimal(execution.amount))
        assert Decimal(row["Fee"]) == units_to_decimal(execution.fee - execution.rebate) >= 0
        assert row["Fee Currency"] == execution.fee_currency
        assert row["Date"] == utc(execution.created_at_ms)


def test_self_matched_fills_give_a_bought_and_a_sold_row(exported):
    types = defaultdict(list)
    for row in read_rows(exported.trades):
        types[row["Execution Id"]].append(row["Type"])
    doubles = [sorted(t) for t in types.values() if len(t) > 1]
    assert doubles and all(t == ["Bought", "Sold"] for t in doubles)


def test_ledger_rows_match_the_ledger_and_split_by_currency_type(account, exported):
    crypto, fiat = read_rows(exported.crypto_ledger), read_rows(exported.fiat_ledger)
    assert len(crypto) + len(fiat) == len(account.ledger)
    assert {r["currency_type"] for r in crypto} == {"crypto"} and {r["currency_type"] for r in fiat} == {"fiat"}
    for rows, kind in ((crypto, "crypto"), (fiat, "fiat")):
        assert all(catalog.currency(r["currency"]).currency_type == kind for r in rows)
    entries = {e.id: e for e in account.ledger}
    for row in crypto + fiat:
        entry = entries[int(row["transaction_id"])]
        assert row["exchange"] == "liquid"
        assert (row["transaction_type"], row["currency"], row["generated_for_type"]) == (
            entry.transaction_type, entry.currency, entry.source_type)
        assert int(row["generated_for_id"]) == entry.source_id
        assert Decimal(row["gross_amount"]) == units_to_decimal(entry.amount)
        assert row["direction"] == ("PAY" if Decimal(row["gross_amount"]) < 0 else "RECEIVE")
        assert row["execution_id"] == (str(entry.execution_id) if entry.execution_id else "")
        assert (int(row["user_id"]), int(row["account_id"])) == (account.user_id, account.id)
        created = datetime.strptime(row["created_at_utc"], UTC_FORMAT + " UTC")
        assert datetime.strptime(row["created_at_jst"], UTC_FORMAT + " JST") == created + timedelta(hours=9)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row["updated_at"])
    assert [int(r["transaction_id"]) for r in crypto] == sorted(int(r["transaction_id"]) for r in crypto)
    assert {r["transaction_type"] for r in crypto + fiat} >= {
        "trade", "trade_fee", "rebate_trade_fee", "funding", "funding_fee", "withdrawal", "withdrawal_fee"}


def test_crypto_rows_carry_hashes_addresses_and_states(account, exported):
    rows = read_rows(exported.crypto_ledger)
    withdrawals = [r for r in rows if r["generated_for_type"] == "CryptoWithdrawal"]
    assert withdrawals and all(r["to_address"] and r["state"] for r in withdrawals)
    assert any(r["transaction_hash"] for r in withdrawals)
    deposits = [r for r in rows if r["generated_for_type"] == "Deposit"]
    assert deposits and all(r["transaction_hash"] and r["from_address"] for r in deposits)


def test_trade_legs_of_a_fiat_quoted_fill_are_split_between_the_files(account, exported):
    crypto, fiat = read_rows(exported.crypto_ledger), read_rows(exported.fiat_ledger)
    crypto_by_id, fiat_by_id = defaultdict(list), defaultdict(list)
    for row in crypto:
        crypto_by_id[row["execution_id"]].append(row)
    for row in fiat:
        fiat_by_id[row["execution_id"]].append(row)
    fiat_quoted = crypto_quoted = 0
    for execution in all_executions(account):
        product = catalog.product(execution.product_id)
        legs_in_crypto = {r["currency"] for r in crypto_by_id[str(execution.id)] if r["transaction_type"] == "trade"}
        legs_in_fiat = {r["currency"] for r in fiat_by_id[str(execution.id)] if r["transaction_type"] == "trade"}
        if catalog.currency(product.quoted_currency).currency_type == "fiat":
            fiat_quoted += 1
            assert (legs_in_crypto, legs_in_fiat) == ({product.base_currency}, {product.quoted_currency})
        else:
            crypto_quoted += 1
            assert (legs_in_crypto, legs_in_fiat) == ({product.base_currency, product.quoted_currency}, set())
    assert fiat_quoted and crypto_quoted


def test_rows_per_execution_id(exported):
    trade_types = defaultdict(list)
    for row in read_rows(exported.trades):
        trade_types[row["Execution Id"]].append(row["Type"])
    ledger_rows = Counter(r["execution_id"] for path in exported[1:] for r in read_rows(path) if r["execution_id"])
    assert set(ledger_rows) == set(trade_types)
    for execution_id, count in ledger_rows.items():
        if len(trade_types[execution_id]) == 2:
            assert count in (6, 8), execution_id
        else:
            assert 2 <= count <= 4, execution_id
    assert {c for i, c in ledger_rows.items() if len(trade_types[i]) == 2} == {6, 8}


def test_omit_execution_ids_empties_only_that_column(account, exported, tmp_path):
    paths = write_exports(account, tmp_path, omit_execution_ids=True)
    full, bare = read_rows(exported.trades), read_rows(paths.trades)
    assert len(bare) == len(full) and all(r["Execution Id"] == "" for r in bare)
    assert [{**r, "Execution Id": ""} for r in full] == bare
    assert paths.crypto_ledger.read_bytes() == exported.crypto_ledger.read_bytes()


def test_date_range_keeps_records_created_in_since_until(account, tmp_path):
    executions = sorted(all_executions(account), key=lambda e: e.created_at_ms)
    since = executions[len(executions) // 4].created_at_ms
    until = executions[len(executions) // 2].created_at_ms
    paths = write_exports(account, tmp_path, since_ms=since, until_ms=until)
    trades = read_rows(paths.trades)
    assert len(trades) == sum(since <= e.created_at_ms < until for e in executions)
    assert all(since // 1000 * 1000 <= ms(r["Date"]) < until for r in trades)
    ledger = read_rows(paths.crypto_ledger) + read_rows(paths.fiat_ledger)
    assert len(ledger) == sum(since <= e.created_at_ms < until for e in account.ledger)
    since_stamp = utc(since, "%Y%m%dT%H%M%SZ")
    assert paths.trades.name.startswith(f"liquid_trades_exports_{since_stamp}_")


def test_empty_range_writes_headers_only(account, tmp_path):
    paths = write_exports(account, tmp_path, since_ms=0, until_ms=1)
    assert [p.read_bytes().count(b"\r\n") for p in paths] == [1, 1, 1]


def test_account_names_unfit_for_file_names_are_refused(tmp_path):
    account = history.generate_account(1, 10, name="../evil")
    with pytest.raises(ValueError, match="evil"):
        write_exports(account, tmp_path)
