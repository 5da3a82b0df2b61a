from __future__ import annotations

import pytest

from liquid_sync.extract.paginator import fetch_page, pages
from liquid_sync.liquid_client import LiquidClient, RetriesExhausted
from tests.liquid_sync.fakes import FakeClock, Reply, ScriptedSession


def page_body(n_records: int, current: int, total) -> dict:
    return {"models": [{"id": i} for i in range(n_records)], "current_page": current, "total_pages": total}


def client_with(script) -> tuple[LiquidClient, ScriptedSession]:
    clock = FakeClock()
    session = ScriptedSession(clock, script)
    client = LiquidClient("http://liquid.test", "1", "secret-" * 6, account="demo", session=session,
                          clock=clock, sleep=clock.sleep, max_retries=2)
    return client, session


def test_pages_stop_at_the_first_short_page_whatever_total_pages_says():
    client, session = client_with([Reply(200, page_body(1000, 1, 100000)), Reply(200, page_body(1000, 2, 1)),
                                   Reply(200, page_body(3, 3, 100000))])
    got = list(pages(client, "/executions/me", [("product_id", 5)]))
    assert [len(p.records) for p in got] == [1000, 1000, 3]
    assert [p.total_pages_hint for p in got] == [None, None, None]
    assert [prepared.path_url for _, prepared in session.sent] == [
        f"/executions/me?product_id=5&limit=1000&page={n}" for n in (1, 2, 3)
    ]


def test_an_empty_page_ends_the_walk_and_a_walk_can_start_later():
    client, session = client_with([Reply(200, page_body(0, 4, "4"))])
    got = list(pages(client, "/orders", first=4))
    assert len(got) == 1 and got[0].is_last and got[0].number == 4 and got[0].total_pages_hint == 4


def test_a_page_without_models_is_retried_then_reported():
    client, _ = client_with([Reply(200, {"message": "oops"}), Reply(200, page_body(2, 1, 1))])
    assert len(fetch_page(client, "/orders", (), 1).records) == 2
    client, _ = client_with([Reply(200, {"models": "x"})] * 3)
    with pytest.raises(RetriesExhausted, match="field 'models'"):
        fetch_page(client, "/orders", (), 1)
