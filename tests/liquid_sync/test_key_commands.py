from __future__ import annotations

from liquid_sync.cli import main
from liquid_sync.extract.key_status import disable_key, disabled_key
from liquid_sync.extract.layout import Layout


def test_keys_list_shows_each_disabled_key_with_its_reason(data_dir, capsys):
    disable_key(Layout(data_dir), "alice", "3001", "API Authentication failed", "/orders", "run-1")

    assert main(["keys", "list"]) == 0

    out = capsys.readouterr().out
    assert "account 'alice': API key 3001 disabled" in out
    assert "API Authentication failed" in out


def test_keys_list_says_when_none_is_disabled(data_dir, capsys):
    assert main(["keys", "list"]) == 0
    assert capsys.readouterr().out.strip() == "no disabled keys"


def test_keys_enable_clears_the_mark_so_runs_use_the_account_again(data_dir, capsys):
    layout = Layout(data_dir)
    disable_key(layout, "alice", "3001", "This token does not allow GET executions", "/executions/me", "run-1")

    assert main(["keys", "enable", "alice", "bob"]) == 0

    assert disabled_key(layout, "alice") is None
    out = capsys.readouterr().out
    assert "account 'alice': key 3001 re-enabled" in out
    assert "account 'bob': key was not disabled" in out
