from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from liquid_sync import cli

from .imports.support import TRADES_HEADER, trade, write

LINES = [trade(n, "Bought", "0.5", "100", "0.05", "JPY", "50") for n in (1, 2)]


def test_import_prints_each_files_outcome_and_exits_0(tmp_path, data_dir, capsys):
    path = write(tmp_path, "liquid_trades_demo_20190101T000000Z_20211001T000000Z.csv", TRADES_HEADER, LINES)
    assert cli.main(["import", str(path)]) == cli.EXIT_OK
    assert capsys.readouterr().out.splitlines() == [
        f"imported         {path}: 2 rows (trades); added: 0 ledger_entries, 2 trades, 0 deposits, 0 withdrawals",
        "1 files: 1 imported, 0 already imported, 0 rejected",
    ]
    assert cli.main(["import", str(path)]) == cli.EXIT_OK
    assert capsys.readouterr().out.splitlines()[0].startswith(f"already imported {path}: same content as")
    assert (data_dir / "warehouse.duckdb").is_file()


def test_a_rejected_file_exits_1_with_its_message(tmp_path, data_dir, capsys):
    good = write(tmp_path, "good.csv", TRADES_HEADER, LINES)
    bad = write(tmp_path, "bad.csv", TRADES_HEADER, [LINES[0].replace("0.05", "zero")])
    assert cli.main(["import", "--account", "demo", str(good), str(bad)]) == cli.EXIT_REJECTED
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f'rejected         {bad}: bad.csv line 2, column "Fee": "zero" is not a decimal number'
    assert out[2] == "2 files: 1 imported, 0 already imported, 1 rejected"


def test_import_inbox_imports_every_accounts_folder(data_dir, capsys):
    (data_dir / "inbox" / "alice").mkdir(parents=True)
    write(data_dir / "inbox" / "alice", "trades.csv", TRADES_HEADER, LINES)
    assert cli.main(["import", "--inbox"]) == cli.EXIT_OK
    assert capsys.readouterr().out.splitlines()[-1] == "1 files: 1 imported, 0 already imported, 0 rejected"


def test_an_empty_inbox_says_so(data_dir, capsys):
    assert cli.main(["import", "--inbox"]) == cli.EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == f"no files in {data_dir.resolve()}/inbox/<account>/"


@pytest.mark.parametrize("argv", [["import"], ["import", "--inbox", "x.csv"], ["import", "--inbox", "--account", "a"],
                                  []])
def test_usage_errors_exit_2(argv, data_dir, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == cli.EXIT_USAGE


def test_the_console_script_reports_a_warehouse_held_by_another_process(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("LIQUID_WAREHOUSE_WAIT_SECONDS", "0.5")
    path = write(tmp_path, "liquid_trades_demo_1_2.csv", TRADES_HEADER, LINES)
    data_dir.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
         str(data_dir / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        script = Path(sys.executable).with_name("liquid-sync")
        held = subprocess.run([str(script), "import", str(path)], capture_output=True, text=True, env=os.environ)
    finally:
        holder.communicate("")
    assert held.returncode == cli.EXIT_WAREHOUSE
    assert "cannot open the warehouse" in held.stderr
    done = subprocess.run([str(script), "import", str(path)], capture_output=True, text=True, env=os.environ)
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert done.stdout.splitlines()[-1] == "1 files: 1 imported, 0 already imported, 0 rejected"
