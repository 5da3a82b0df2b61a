"""``liquid-emulator``: ``serve`` in a subprocess, the admin subcommands against it, ``export``."""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from liquid_emulator import cli
from liquid_emulator.exchange import PERMISSIONS
from liquid_emulator.signing import SignedClient

COMMAND = str(Path(sys.executable).with_name("liquid-emulator"))


@pytest.fixture
def served(tmp_path):
    """A ``liquid-emulator serve`` subprocess: (url, credentials list, process)."""
    credentials = tmp_path / "secrets" / "tokens.json"
    credentials.parent.mkdir()
    process = subprocess.Popen(
        [COMMAND, "serve", "--port", "0", "--seed", "3", "--executions", "300", "--credentials", str(credentials),
         "--account", "second:4:100", "--tokens-per-account", "2", "--rate-limit", "50", "--rate-window", "10",
         "--fault-seed", "7", "--fault-slow-seconds", "0.01", "--fault-bogus-total-pages"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), (url, process.stderr.read() if process.poll() is not None else "")
        yield url, credentials, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.mark.timeout(120)
def test_serve_writes_private_credentials_and_stops_cleanly_on_sigterm(served):
    url, credentials, process = served
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    tokens = json.loads(credentials.read_text())
    assert [t["account"] for t in tokens] == ["demo", "demo", "second", "second"]
    assert all(set(t) == {"account", "token_id", "secret", "permissions"} for t in tokens)
    assert all(t["permissions"] == list(PERMISSIONS) for t in tokens)
    for token in tokens:
        client = SignedClient(url, token["token_id"], token["secret"])
        assert client.get("/accounts/balance").status_code == 200
    assert requests.get(url + "/_emulator/rate_limit", timeout=10).json() == {"limit": 50, "window_seconds": 10.0}
    faults = requests.get(url + "/_emulator/faults", timeout=10).json()
    assert (faults["seed"], faults["slow_seconds"], faults["bogus_total_pages"], faults["error_rate"]) == (7, 0.01, True, 0)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    output = process.stdout.read() + process.stderr.read()
    assert not any(t["secret"] in output for t in tokens)


@pytest.mark.timeout(120)
def test_serve_stops_on_sigint(served):
    url, _credentials, process = served
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


@pytest.mark.timeout(120)
def test_admin_subcommands_drive_a_running_server(served, capsys):
    url, credentials, _process = served
    tokens = json.loads(credentials.read_text())
    first = tokens[0]

    assert cli.main(["tokens", "--url", url]) == 0
    listed = capsys.readouterr().out
    assert listed.splitlines()[0] == f"{first['token_id']}\tdemo\tactive\t{','.join(PERMISSIONS)}"
    assert not any(t["secret"] in listed for t in tokens)

    assert cli.main(["permissions", "--url", url, first["token_id"], "orders", "accounts"]) == 0
    assert capsys.readouterr().out.strip() == f"{first['token_id']}\tdemo\tactive\taccounts,orders"
    client = SignedClient(url, first["token_id"], first["secret"])
    assert client.get("/trading_accounts").status_code == 401

    assert cli.main(["revoke", "--url", url, first["token_id"]]) == 0
    assert "\trevoked\t" in capsys.readouterr().out
    assert client.get("/accounts").text == "API Authentication failed"

    assert cli.main(["advance", "--url", url, "--days", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["now"] == "2021-10-03T00:00:00.000Z"

    assert cli.main(["faults", "--url", url, "--seed", "4", "--error-rate", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["error_rate"] == 1.0
    second = SignedClient(url, tokens[2]["token_id"], tokens[2]["secret"])
    assert second.get("/accounts").status_code in (500, 502, 503)
    assert cli.main(["faults", "--url", url]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 4
    assert cli.main(["faults", "--url", url, "--clear"]) == 0
    assert json.loads(capsys.readouterr().out)["error_rate"] == 0
    assert second.get("/accounts").status_code == 200

    assert cli.main(["stats", "--url", url]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["tokens"][tokens[2]["token_id"]]["by_class"] == {"2xx": 1, "5xx": 1}
    assert cli.main(["stats", "--url", url, "--reset"]) == 0
    capsys.readouterr()
    assert requests.get(url + "/_emulator/stats", timeout=10).json()["tokens"] == {}


def test_admin_errors_are_reported_with_exit_status_1(served, capsys):
    url, _credentials, _process = served
    assert cli.main(["revoke", "--url", url, "999999"]) == 1
    assert "404: no token '999999'" in capsys.readouterr().err
    assert cli.main(["permissions", "--url", url, "3001", "trade"]) == 1
    assert "unknown permissions ['trade']" in capsys.readouterr().err
    assert cli.main(["faults", "--url", url, "--error-rate", "2"]) == 1
    assert "error_rate out of range" in capsys.readouterr().err


def test_unreachable_server_is_a_clear_error(capsys):
    assert cli.main(["stats", "--url", "http://127.0.0.1:9", "--timeout", "2"]) == 1
    assert "cannot reach http://127.0.0.1:9/_emulator/stats" in capsys.readouterr().err


def test_serve_refuses_duplicate_account_names(tmp_path, capsys):
    credentials = tmp_path / "tokens.json"
    assert cli.main(["serve", "--credentials", str(credentials), "--account", "demo:1:10"]) == 1
    assert "account names must be unique" in capsys.readouterr().err
    assert not credentials.exists()


@pytest.mark.parametrize("spec", ["second", "second:1", ":1:2", "second:x:10"])
def test_bad_account_specs_are_usage_errors(tmp_path, spec):
    with pytest.raises(SystemExit) as raised:
        cli.main(["serve", "--credentials", str(tmp_path / "t.json"), "--account", spec])
    assert raised.value.code == 2


def test_credentials_are_replaced_atomically_with_mode_0600(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    cli.write_private_json(path, [{"token_id": "1"}])
    assert json.loads(path.read_text()) == [{"token_id": "1"}]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]


def test_export_writes_the_three_files_for_the_range(tmp_path, capsys):
    out = tmp_path / "exports"
    argv = ["export", "--seed", "3", "--executions", "300", "--out", str(out), "--since", "2021-01-01",
            "--until", "2021-06-01", "--account-name", "alice", "--omit-execution-ids"]
    assert cli.main(argv) == 0
    trades, crypto, fiat = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert trades.name.startswith("liquid_trades_alice_")
    assert crypto.name.startswith("liquid_ledger_crypto_alice_")
    assert fiat.name.startswith("liquid_ledger_fiat_alice_")
    assert {trades.parent, crypto.parent, fiat.parent} == {out}
    with trades.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows, "the range should hold some trades"
    assert all("2021-01-01" <= row["Date"] < "2021-06-01" for row in rows)
    assert {row["Execution Id"] for row in rows} == {""}


@pytest.mark.parametrize("date", ["2021-13-01", "01/02/2021", "2021-1-1x"])
def test_export_dates_must_be_iso_days(tmp_path, date):
    with pytest.raises(SystemExit) as raised:
        cli.main(["export", "--seed", "1", "--executions", "10", "--out", str(tmp_path), "--since", date])
    assert raised.value.code == 2
