"""User edits: applied in the views, kept across full re-syncs, a new API key and matching,
set from the console or with plain SQL."""

from __future__ import annotations

from decimal import Decimal

from liquid_sync import cli, warehouse
from liquid_sync.edits import clear_edit, delete, list_edits, restore, set_edit
from liquid_sync.extract import enable_key


def view(pipeline, key: str) -> tuple | None:
    rows = pipeline.rows("SELECT label, note, price_override, effective_price FROM trades_view"
                         " WHERE account = 'alpha' AND (trade_key = ? OR file_trade_key = ?)", [key, key])
    return rows[0] if rows else None


def ledger_total(pipeline) -> dict:
    return dict(pipeline.rows("SELECT currency, sum(amount) FROM ledger WHERE account = 'alpha' GROUP BY 1"))


def test_edits_show_in_the_views_and_deleted_rows_leave_the_ledger(pipeline):
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.sync(["alpha"], "full")
    labelled, price = pipeline.rows("SELECT trade_key, price FROM trades ORDER BY trade_key LIMIT 1")[0]
    gone = pipeline.rows("SELECT trade_key FROM trades ORDER BY trade_key DESC LIMIT 1")[0][0]
    before = ledger_total(pipeline)
    moves = dict(pipeline.rows("SELECT currency, sum(amount) FROM ledger WHERE entity_key = ? GROUP BY 1", [gone]))

    set_edit("trade", "alpha", labelled, label="gift", note="from Bob", price_override="123.45",
             warehouse_path=pipeline.warehouse)
    assert view(pipeline, labelled) == ("gift", "from Bob", Decimal("123.45"), Decimal("123.45"))
    clear_edit("trade", "alpha", labelled, ("price_override",), warehouse_path=pipeline.warehouse)
    assert view(pipeline, labelled) == ("gift", "from Bob", None, price)

    delete("trade", "alpha", gone, warehouse_path=pipeline.warehouse)
    assert view(pipeline, gone) is None
    assert not pipeline.rows("SELECT 1 FROM ledger WHERE entity_key = ?", [gone])
    after = ledger_total(pipeline)
    assert len(moves) >= 2 and all(after[c] == before[c] - moves[c] for c in moves), "legs and fee leave the ledger"
    restore("trade", "alpha", gone, warehouse_path=pipeline.warehouse)
    assert view(pipeline, gone) is not None

    withdrawal = pipeline.rows("SELECT withdrawal_key FROM withdrawals WHERE NOT failed LIMIT 1")[0][0]
    deposit = pipeline.rows("SELECT deposit_key FROM deposits LIMIT 1")[0][0]
    delete("withdrawal", "alpha", withdrawal, warehouse_path=pipeline.warehouse)
    set_edit("deposit", "alpha", deposit, label="salary", warehouse_path=pipeline.warehouse)
    assert not pipeline.rows("SELECT 1 FROM withdrawals_view WHERE withdrawal_key = ?", [withdrawal])
    assert not pipeline.rows("SELECT 1 FROM ledger WHERE entity_key = ?", [withdrawal])
    assert pipeline.rows("SELECT label FROM deposits_view WHERE deposit_key = ?", [deposit]) == [("salary",)]
    assert pipeline.table("trades") == pipeline.table("trades"), "edits never touch the loaded tables"


def test_edits_survive_a_full_resync_and_a_new_api_key(pipeline):
    emulator = pipeline.emulator
    pipeline.sync(["alpha"], "full")
    trades_before = pipeline.table("trades")
    key, gone = [r[0] for r in pipeline.rows("SELECT trade_key FROM trades ORDER BY trade_key LIMIT 2")]
    set_edit("trade", "alpha", key, label="keep me", warehouse_path=pipeline.warehouse)
    delete("trade", "alpha", gone, warehouse_path=pipeline.warehouse)

    pipeline.sync(["alpha"], "full")
    token = emulator.token("alpha")
    emulator.admin(f"/tokens/{token.token_id}/revoke")
    assert pipeline.sync(["alpha"], "incremental")["runs"][0]["status"] == "key_disabled"
    assert pipeline.rows("SELECT key_status, key_token_id, disabled_reason FROM accounts") == [
        ("disabled", token.token_id, "API Authentication failed")]

    emulator.admin("/tokens", {"account": "alpha"})
    enable_key("alpha", pipeline.data_dir)
    new_token = len([t for t in emulator.exchange.tokens if t.account == "alpha"]) - 1
    pipeline.sync(["alpha"], "full", token=new_token)

    assert pipeline.rows("SELECT key_status FROM accounts") == [("enabled",)]
    assert pipeline.table("trades") == trades_before
    assert view(pipeline, key)[0] == "keep me" and view(pipeline, gone) is None


def test_an_edit_of_a_file_only_trade_follows_it_when_the_api_brings_it(pipeline):
    paths = pipeline.export("alpha", omit_execution_ids=True)
    pipeline.import_files("alpha", [paths.trades])
    pipeline.sync(["alpha"], "full", start_date="2021-06-01")
    file_key = pipeline.rows("SELECT trade_key FROM trades WHERE source = 'file' ORDER BY occurred_at LIMIT 1")[0][0]
    assert file_key.startswith("file:")
    set_edit("trade", "alpha", file_key, note="bought on my phone", warehouse_path=pipeline.warehouse)

    pipeline.sync(["alpha"], "full")
    matched = pipeline.rows("SELECT trade_key, source, match_rule FROM trades WHERE file_trade_key = ?", [file_key])
    assert matched and matched[0][1:] == ("api+file", "pair_side_quantity_price_time_2s")
    assert not matched[0][0].startswith("file:")
    assert view(pipeline, matched[0][0])[1] == "bought on my phone"


def test_the_console_command_and_plain_sql(pipeline, monkeypatch, capsys):
    pipeline.sync(["beta"], "full")
    monkeypatch.setenv("LIQUID_WAREHOUSE", str(pipeline.warehouse))
    key = pipeline.rows("SELECT trade_key FROM trades LIMIT 1")[0][0]

    assert cli.main(["edit", "set", "trade", "beta", key, "--label", "airdrop", "--price", "0.5"]) == 0
    assert cli.main(["edit", "delete", "trade", "beta", "123:buy"]) == 0
    assert "no trade '123:buy' of account 'beta' is loaded yet" in capsys.readouterr().out
    assert cli.main(["edit", "clear", "trade", "beta", key, "--price"]) == 0
    assert cli.main(["edit", "list", "--account", "beta"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-2:] == ["trade beta 123:buy: deleted", f"trade beta {key}: label='airdrop'"]
    assert cli.main(["edit", "set", "trade", "beta", key, "--price", "-1"]) == 2

    con = warehouse.connect(pipeline.warehouse)
    try:
        con.execute("INSERT INTO user_edits (entity, account, entity_key, note) VALUES ('trade', 'beta', ?, 'sql')"
                    " ON CONFLICT DO UPDATE SET note = excluded.note, updated_at = now()", [key])
    finally:
        con.close()
    assert pipeline.rows("SELECT label, note FROM trades_view WHERE trade_key = ?", [key]) == [("airdrop", "sql")]
    assert [e["note"] for e in list_edits("beta", "trade", pipeline.warehouse) if e["entity_key"] == key] == ["sql"]
