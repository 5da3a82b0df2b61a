"""The demo tour runs end to end and never prints a secret."""

from __future__ import annotations

import itertools
import re

from liquid_emulator import demo, exchange


def test_demo_tour(monkeypatch, capsys):
    counter = itertools.count()
    monkeypatch.setattr(exchange.secrets, "token_urlsafe", lambda n: f"TOPSECRET{next(counter):04d}" + "x" * 40)
    assert demo.main(["--seed", "5", "--executions", "400"]) == 0
    output = capsys.readouterr().out
    assert "TOPSECRET" not in output
    assert re.match(r"Liquid emulator at http://127\.0\.0\.1:\d+ \(tokens in .+tokens\.json\)\n", output)
    statuses = re.findall(r"^  (.+?)\s+(\d{3})  ", output, flags=re.MULTILINE)
    assert [status for _label, status in statuses] == ["200"] * 6 + ["401", "429"]
    assert "'API Authentication failed'" in output
    assert "[200, 200, 200, 429] 'API rate limit exceeded. Please retry after 60s'" in output
    assert output.rstrip().endswith("Emulator stopped.")
