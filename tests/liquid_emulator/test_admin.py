"""The admin interface under /_emulator/ over real HTTP."""

from __future__ import annotations

import pytest

from liquid_emulator import history
from liquid_emulator.exchange import PERMISSIONS, Exchange
from liquid_emulator.server import EmulatorServer
from liquid_emulator.signing import SignedClient
from tests.liquid_emulator.support import Admin, decoded


def test_tokens_are_listed_with_secrets_and_state(admin, exchange):
    listed = decoded(admin.get("/tokens"))
    assert listed == [
        {"account": t.account, "token_id": t.token_id, "secret": t.secret, "permissions": list(PERMISSIONS),
         "revoked": False}
        for t in exchange.tokens
    ]
    assert all(t["token_id"].isdigit() for t in listed)
    assert len({t["secret"] for t in listed}) == len(listed)


def test_token_secrets_stay_out_of_reprs(exchange):
    token = exchange.tokens[0]
    assert token.secret not in repr(token) and token.secret not in repr(exchange.tokens)


def test_creating_a_token(server, admin):
    response = admin.post("/tokens", {"account": "second", "permissions": ["accounts"]})
    assert response.status_code == 201
    token = response.json()
    assert (token["account"], token["permissions"], token["revoked"]) == ("second", ["accounts"], False)
    client = SignedClient(server.url, token["token_id"], token["secret"])
    assert client.get("/accounts/balance").status_code == 200
    assert client.get("/orders").status_code == 401
    full = admin.post("/tokens", {"account": "demo"}).json()
    assert full["permissions"] == list(PERMISSIONS)
    assert int(full["token_id"]) > int(token["token_id"])


def test_revoking_and_changing_permissions(admin, exchange):
    token_id = exchange.tokens[0].token_id
    changed = decoded(admin.post(f"/tokens/{token_id}/permissions", {"permissions": ["orders", "accounts"]}))
    assert changed["permissions"] == ["accounts", "orders"]
    assert decoded(admin.post(f"/tokens/{token_id}/permissions", {"permissions": []}))["permissions"] == []
    assert decoded(admin.post(f"/tokens/{token_id}/revoke"))["revoked"] is True
    assert exchange.token(token_id).revoked


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("post", "/tokens/424242/revoke", None, 404),
        ("post", "/tokens/424242/permissions", {"permissions": []}, 404),
        ("post", "/tokens/{token}/permissions", {"permissions": ["trade"]}, 400),
        ("post", "/tokens/{token}/permissions", {"permissions": "orders"}, 400),
        ("post", "/tokens", {"account": "nobody"}, 404),
        ("post", "/tokens", {"account": "demo", "permissions": ["admin"]}, 400),
        ("post", "/clock/advance", {"days": -1}, 400),
        ("post", "/clock/advance", {"hours": 1}, 400),
        ("post", "/clock/advance", {"days": 1, "seconds": 1}, 400),
        ("post", "/faults", {"error_rate": 2}, 400),
        ("post", "/faults", {"explode": True}, 400),
        ("post", "/rate_limit", {"limit": 0, "window_seconds": 1}, 400),
        ("post", "/rate_limit", {"limit": 5}, 400),
        ("get", "/nothing", None, 404),
        ("get", "/clock/advance", None, 405),
    ],
)
def test_bad_admin_requests(admin, exchange, method, path, body, status):
    path = path.format(token=exchange.tokens[0].token_id)
    response = admin.get(path) if method == "get" else admin.post(path, body)
    assert response.status_code == status
    assert response.json()["message"]


def test_non_json_bodies_are_400(admin):
    response = admin.session.post(admin.url + "/faults", data=b"{not json", timeout=10)
    assert response.status_code == 400 and "not JSON" in response.json()["message"]


def test_faults_and_rate_limit_settings_round_trip(admin, exchange):
    assert decoded(admin.get("/faults"))["error_rate"] == 0
    settings = {"seed": 3, "error_rate": 0.25, "slow_rate": 0.1, "slow_seconds": 0.5, "drop_rate": 0.05,
                "malformed_rate": 0.05, "bogus_total_pages": True, "number_drift": True}
    assert admin.post("/faults", settings).json() == settings
    assert admin.get("/faults").json() == settings
    assert exchange.faults.config.to_json() == settings
    assert decoded(admin.post("/faults", {}))["error_rate"] == 0  # absent settings are off
    assert decoded(admin.get("/rate_limit")) == {"limit": 300, "window_seconds": 300.0}
    assert decoded(admin.post("/rate_limit", {"limit": 10, "window_seconds": 1})) == {"limit": 10, "window_seconds": 1.0}
    assert exchange.rate_limiter.settings() == {"limit": 10, "window_seconds": 1.0}


def test_stats_count_per_token_path_and_status(server, admin, exchange, client):
    other = exchange.tokens[1]
    exchange.set_rate_limit(3, 60)
    client.get("/orders", {"limit": 5})
    client.get("/orders", {"limit": 6})
    client.get("/orders/1")
    assert client.get("/orders").status_code == 429
    SignedClient(server.url, other.token_id, other.secret).get("/accounts")
    SignedClient(server.url, other.token_id, "a-wrong-secret-of-forty-or-more-characters").get("/accounts")
    admin.session.get(server.url + "/currencies")
    stats = decoded(admin.get("/stats"))
    mine = stats["tokens"][client.token_id]
    assert mine == {
        "requests": 4,
        "by_path": {"/orders": 3, "/orders/1": 1},
        "by_status": {"200": 2, "404": 1, "429": 1},
        "by_class": {"2xx": 2, "4xx": 2},
        "rate_limited": 1,
    }
    assert stats["tokens"][other.token_id]["by_status"] == {"200": 1}
    assert stats["unauthenticated"]["by_status"] == {"401": 1}
    assert stats["public"]["by_path"] == {"/currencies": 1}
    assert decoded(admin.post("/stats/reset")) == {}
    assert decoded(admin.get("/stats"))["tokens"] == {}


def test_stats_file_refusals_by_token_once_the_signature_checks_out(server, admin, exchange, client):
    exchange.set_permissions(client.token_id, ["accounts"])
    client.get("/orders")
    assert decoded(admin.get("/stats"))["tokens"][client.token_id]["by_status"] == {"401": 1}


@pytest.fixture
def moving_exchange(emulator_catalog):
    """An exchange whose (fresh) account may be advanced."""
    account = history.generate_account(21, 300, account_id=1, name="demo")
    exchange = Exchange(emulator_catalog, [account], now_ms=history.INITIAL_NOW_MS)
    exchange.create_token("demo")
    return exchange


def test_advancing_the_clock_moves_every_account(moving_exchange):
    exchange = moving_exchange
    account = exchange.account("demo")
    before = {p: len(account.executions(p)) for p in account.traded_product_ids()}
    ledger_before = len(account.ledger)
    token = exchange.tokens[0]
    with EmulatorServer(exchange) as server:
        admin = Admin(server.url)
        assert decoded(admin.get("/clock")) == {"now_ms": history.INITIAL_NOW_MS, "now": "2021-10-01T00:00:00.000Z"}
        moved = decoded(admin.post("/clock/advance", {"days": 30}))
        assert moved["now_ms"] == history.INITIAL_NOW_MS + 30 * 86_400_000
        assert moved["now"] == "2021-10-31T00:00:00.000Z"
        assert decoded(admin.post("/clock/advance", {"seconds": 1.5}))["now_ms"] == moved["now_ms"] + 1500
        assert len(account.ledger) > ledger_before
        client = SignedClient(server.url, token.token_id, token.secret)
        grown = next(p for p in account.traded_product_ids() if len(account.executions(p)) > before.get(p, 0))
        newest = decoded(client.get("/executions/me", {"product_id": grown}))["models"][0]
        assert newest["id"] == account.executions(grown)[-1].id
        assert newest["created_at"] > history.INITIAL_NOW_MS // 1000
        assert newest["created_at"] * 1000 <= exchange.now_ms
