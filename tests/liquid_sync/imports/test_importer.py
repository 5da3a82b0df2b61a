from __future__ import annotations

import subprocess
import sys

import pytest

from liquid_sync.imports import ALREADY_IMPORTED, IMPORTED, REJECTED, import_files, import_inbox, importer, ledger

from .support import (
    CRYPTO_HEADER,
    TRADES_HEADER,
    data_row_counts,
    entry,
    import_paths,
    query,
    trade,
    write,
)

GOOD_LINES = [trade(n, "Bought", "0.5", "100", "0.05", "JPY", "50") for n in range(1, 1001)]


def test_the_same_file_twice_is_a_no_op_by_content_whatever_its_name(tmp_path, warehouse_path):
    path = write(tmp_path, "liquid_trades_demo_a_b.csv", TRADES_HEADER, GOOD_LINES[:3])
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    first = import_paths(warehouse_path, path)
    again = import_paths(warehouse_path, path, copy)
    assert [o.status for o in first + again] == [IMPORTED, ALREADY_IMPORTED, ALREADY_IMPORTED]
    assert again[0].message == "same content as liquid_trades_demo_a_b.csv (file_id 1), nothing to do"
    assert query(warehouse_path, "SELECT count(*) FROM file_trades") == [(3,)]
    assert query(warehouse_path, "SELECT file_id, status FROM file_imports") == [(1, IMPORTED)]


def test_the_same_content_for_another_account_is_imported_for_it(tmp_path, warehouse_path):
    path = write(tmp_path, "trades.csv", TRADES_HEADER, GOOD_LINES[:3])
    import_paths(warehouse_path, path, account="alice")
    (outcome,) = import_paths(warehouse_path, path, account="bob")
    assert outcome.status == IMPORTED
    assert query(warehouse_path, "SELECT account, count(*) FROM file_trades GROUP BY 1 ORDER BY 1") == [
        ("alice", 3), ("bob", 3)
    ]


def test_a_bad_last_row_rejects_the_whole_file_while_the_other_files_import(tmp_path, warehouse_path):
    bad = write(tmp_path, "liquid_trades_demo_1.csv", TRADES_HEADER, GOOD_LINES + ["JPY,BTC,9999,Bought"])
    good = write(tmp_path, "liquid_trades_demo_2.csv", TRADES_HEADER, GOOD_LINES[:10])
    ledger_file = write(tmp_path, "liquid_ledger_crypto_demo_3.csv", CRYPTO_HEADER,
                        [entry(1, "funding", "1", "BTC", source=("Deposit", 5))])
    outcomes = import_paths(warehouse_path, bad, good, ledger_file)
    assert [o.status for o in outcomes] == [REJECTED, IMPORTED, IMPORTED]
    assert outcomes[0].message == "liquid_trades_demo_1.csv line 1002: expected 10 columns, found 4"
    assert data_row_counts(warehouse_path) == {
        "file_ledger_entries": 1, "file_trades": 10, "file_deposits": 1, "file_withdrawals": 0
    }
    assert query(warehouse_path, "SELECT file_name, status, row_count, message FROM file_imports ORDER BY file_id") == [
        (bad.name, REJECTED, None, outcomes[0].message),
        (good.name, IMPORTED, 10, None),
        (ledger_file.name, IMPORTED, 1, None),
    ]


def test_a_rejected_file_tried_again_keeps_one_rejection_row(tmp_path, warehouse_path):
    bad = write(tmp_path, "liquid_trades_demo_1.csv", TRADES_HEADER, ["JPY,BTC"])
    import_paths(warehouse_path, bad)
    (outcome,) = import_paths(warehouse_path, bad)
    assert outcome.status == REJECTED
    assert query(warehouse_path, "SELECT count(*) FROM file_imports") == [(1,)]


def test_a_failure_while_writing_rolls_the_file_back(tmp_path, warehouse_path, monkeypatch):
    rows = [entry(1, "funding", "1", "BTC", source=("Deposit", 5)),
            entry(2, "withdrawal", "-0.5", "BTC", source=("CryptoWithdrawal", 6))]
    path = write(tmp_path, "liquid_ledger_crypto_demo_3.csv", CRYPTO_HEADER, rows)

    def crash(con, account):
        raise RuntimeError("killed in the middle of the file")

    monkeypatch.setattr(ledger, "rebuild_withdrawals", crash)
    with pytest.raises(RuntimeError, match="killed"):
        import_paths(warehouse_path, path)
    assert set(data_row_counts(warehouse_path).values()) == {0}
    assert query(warehouse_path, "SELECT count(*) FROM file_imports") == [(0,)]
    monkeypatch.undo()
    assert [o.status for o in import_paths(warehouse_path, path)] == [IMPORTED]
    assert data_row_counts(warehouse_path)["file_withdrawals"] == 1


def test_the_account_comes_from_the_file_name_unless_given(tmp_path, warehouse_path):
    named = write(tmp_path, "liquid_trades_my_acct-2_20190101T000000Z_20211001T000000Z.csv", TRADES_HEADER,
                  GOOD_LINES[:1])
    unnamed = write(tmp_path, "export.csv", TRADES_HEADER, GOOD_LINES[1:2])
    outcomes = import_paths(warehouse_path, named, unnamed, account=None)
    assert [(o.status, o.account) for o in outcomes] == [(IMPORTED, "my_acct-2"), (REJECTED, None)]
    assert outcomes[1].message == "export.csv: the file name names no account; give the account (--account NAME)"
    assert importer.account_from_file_name(named) == "my_acct-2"


def test_a_folder_imports_its_csv_files_and_a_missing_file_is_rejected(tmp_path, warehouse_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write(folder, "liquid_trades_demo_1.csv", TRADES_HEADER, GOOD_LINES[:2])
    write(folder, "notes.txt", "not an export", [])
    outcomes = import_files([folder, tmp_path / "gone.csv"], account="demo", warehouse_path=warehouse_path)
    assert [(o.path.name, o.status) for o in outcomes] == [("liquid_trades_demo_1.csv", IMPORTED),
                                                           ("gone.csv", REJECTED)]
    assert outcomes[1].message == "gone.csv: cannot be read (No such file or directory)"


def test_the_inbox_has_one_folder_per_account(tmp_path, warehouse_path, monkeypatch):
    monkeypatch.setenv("LIQUID_DATA_DIR", str(tmp_path / "data"))
    assert import_inbox(warehouse_path=warehouse_path) == []
    inbox = tmp_path / "data" / "inbox"
    for account, lines in (("alice", GOOD_LINES[:2]), ("bob", GOOD_LINES[:5])):
        (inbox / account).mkdir(parents=True)
        write(inbox / account, "liquid_trades_someone_1_2.csv", TRADES_HEADER, lines)
    outcomes = import_inbox(warehouse_path=warehouse_path)
    assert [(o.account, o.status, o.rows) for o in outcomes] == [("alice", IMPORTED, 2), ("bob", IMPORTED, 5)]
    assert [o.status for o in import_inbox(warehouse_path=warehouse_path)] == [ALREADY_IMPORTED] * 2
    assert query(warehouse_path, "SELECT account, count(*) FROM file_trades GROUP BY 1 ORDER BY 1") == [
        ("alice", 2), ("bob", 5)
    ]


def test_the_outcome_summary_says_what_was_added(tmp_path, warehouse_path):
    (outcome,) = import_paths(warehouse_path, write(tmp_path, "t.csv", TRADES_HEADER, GOOD_LINES[:2]))
    assert outcome.summary() == "2 rows (trades); added: 0 ledger_entries, 2 trades, 0 deposits, 0 withdrawals"


def test_an_analyst_reading_the_warehouse_does_not_stop_an_import(tmp_path, warehouse_path, monkeypatch):
    import_paths(warehouse_path, write(tmp_path, "first.csv", TRADES_HEADER, GOOD_LINES[:2]), account="demo")
    monkeypatch.setenv("LIQUID_WAREHOUSE_WAIT_SECONDS", "0.2")
    script = ("import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
              "print(c.execute('SELECT count(*) FROM file_trades').fetchone()[0], flush=True); sys.stdin.read()")
    reader = subprocess.Popen([sys.executable, "-c", script, str(warehouse_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "2"
        outcomes = import_paths(warehouse_path, write(tmp_path, "second.csv", TRADES_HEADER, GOOD_LINES[2:5]),
                                account="demo")
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert [o.status for o in outcomes] == [IMPORTED]
    assert query(warehouse_path, "SELECT count(*) FROM file_trades") == [(5,)]
