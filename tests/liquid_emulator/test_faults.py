"""Seeded fault injection: the plan sequence, then each fault over real HTTP."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest
import requests

from liquid_emulator.faults import FaultConfig, FaultInjector, FaultPlan, malform
from liquid_emulator.model import units_to_decimal
from liquid_emulator.signing import SignedClient
from tests.liquid_emulator.support import busiest_product, jwt_get

MIXED = FaultConfig(seed=5, error_rate=0.2, drop_rate=0.2, malformed_rate=0.2, slow_rate=0.2, slow_seconds=0.01)


def plans(config: FaultConfig, n: int) -> list[FaultPlan]:
    injector = FaultInjector(config)
    return [injector.draw() for _ in range(n)]


def test_same_seed_gives_the_same_sequence_and_reconfiguring_restarts_it():
    first = plans(MIXED, 200)
    assert plans(MIXED, 200) == first
    assert plans(FaultConfig(**{**MIXED.to_json(), "seed": 6}), 200) != first
    injector = FaultInjector(MIXED)
    [injector.draw() for _ in range(50)]
    injector.configure(MIXED)
    assert [injector.draw() for _ in range(200)] == first


def test_mixed_rates_give_every_kind_and_variant():
    drawn = plans(MIXED, 400)
    kinds = Counter(p.kind for p in drawn)
    assert set(kinds) == {"none", "error", "drop", "malformed", "slow"}
    assert all(50 <= kinds[k] <= 110 for k in kinds), kinds
    assert {p.status for p in drawn if p.kind == "error"} == {500, 502, 503}
    assert {p.variant for p in drawn if p.kind == "drop"} == {"before_response", "mid_body"}
    assert {p.variant for p in drawn if p.kind == "malformed"} == {"truncated", "invalid"}
    assert {p.delay_seconds for p in drawn if p.kind == "slow"} == {0.01}


def test_no_rates_means_no_faults():
    assert {p.kind for p in plans(FaultConfig(seed=3, slow_seconds=5, number_drift=True), 100)} == {"none"}


@pytest.mark.parametrize(
    "settings",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"error_rate": 0.6, "drop_rate": 0.6},
        {"slow_seconds": -1},
        {"slow_rate": "0.5"},
        {"seed": 1.5},
        {"number_drift": 1},
        {"error_rate": float("nan")},
        {"typo_rate": 0.1},
    ],
)
def test_invalid_configurations_are_rejected(settings):
    with pytest.raises(ValueError):
        FaultConfig.from_json(settings)


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"models":[{"id":1}],"current_page":1,"total_pages":1}'])
@pytest.mark.parametrize("variant", ["truncated", "invalid"])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_malformed_bodies_never_parse(body, variant, fraction):
    broken = malform(body, FaultPlan("malformed", variant=variant, cut_fraction=fraction))
    with pytest.raises(ValueError):
        json.loads(broken)


# over HTTP


def test_errors_are_5xx_with_bodies_in_a_seeded_order(server, exchange, client):
    exchange.set_faults(FaultConfig(seed=9, error_rate=1.0))
    first = [client.get("/trading_accounts") for _ in range(12)]
    assert {r.status_code for r in first} <= {500, 502, 503}
    assert all(r.content for r in first)
    exchange.set_faults(FaultConfig(seed=9, error_rate=1.0))
    assert [client.get("/trading_accounts").status_code for _ in range(12)] == [r.status_code for r in first]


def test_dropped_connections_fail_the_request(server, exchange, client):
    exchange.set_faults(FaultConfig(seed=2, drop_rate=1.0))
    failures = Counter()
    for _ in range(12):
        with pytest.raises(requests.RequestException) as raised:
            client.get("/orders", {"with_details": 1}).content
        failures[type(raised.value).__name__] += 1
    assert failures["ConnectionError"] > 0
    assert failures["ChunkedEncodingError"] > 0  # cut mid-body
    tally = exchange.stats.to_json()["tokens"][client.token_id]
    assert tally["by_status"] == {"dropped": 12}


def test_malformed_answers_are_200_with_broken_json(server, exchange, client):
    exchange.set_faults(FaultConfig(seed=4, malformed_rate=1.0))
    for _ in range(8):
        response = client.get("/orders")
        assert response.status_code == 200
        with pytest.raises(ValueError):
            json.loads(response.content)


def test_slow_answers_make_a_short_client_timeout_expire(server, exchange, client):
    exchange.set_faults(FaultConfig(seed=1, slow_rate=1.0, slow_seconds=0.5))
    with pytest.raises(requests.Timeout):
        client.get("/trading_accounts", timeout=0.05)
    exchange.set_faults(FaultConfig(seed=1, slow_rate=1.0, slow_seconds=0.01))
    assert client.get("/trading_accounts").status_code == 200


def test_bogus_total_pages(server, exchange, client, demo_account):
    exchange.set_faults(FaultConfig(seed=1, bogus_total_pages=True))
    product_id = busiest_product(demo_account)
    pages = [client.get("/executions/me", {"product_id": product_id}).json() for _ in range(10)]
    assert {p["total_pages"] for p in pages} <= {100000, 10000}
    assert all(p["current_page"] == 1 and len(p["models"]) == 20 for p in pages)


def test_number_drift_parses_back_exactly(server, exchange, client, demo_account):
    exchange.set_faults(FaultConfig(seed=1, number_drift=True))
    product_id = busiest_product(demo_account)
    response = client.get("/executions/me", {"product_id": product_id, "limit": 200})
    page = response.json(parse_float=Decimal)
    raw = json.loads(response.content)
    assert page["current_page"] == "1" and isinstance(page["total_pages"], str)
    records = demo_account.executions(product_id)[::-1][:200]
    types = Counter()
    for row, raw_row, record in zip(page["models"], raw["models"], records, strict=True):
        assert row["id"] == str(record.id) and row["order_id"] == str(record.order_id)
        assert row["created_at"] == str(record.created_at_ms // 1000)
        for field, units in (("quantity", record.quantity), ("price", record.price)):
            assert Decimal(row[field]) == units_to_decimal(units)
            types[type(raw_row[field]).__name__] += 1
    assert types["float"] > 0


def test_number_drift_reaches_every_private_shape(server, exchange, client, demo_account):
    exchange.set_faults(FaultConfig(seed=1, number_drift=True))
    orders = client.get("/orders", {"with_details": 1, "limit": 100}).json(parse_float=Decimal)["models"]
    order = next(o for o in orders if o["executions"])
    assert isinstance(order["id"], str) and isinstance(order["executions"][0]["id"], str)
    record = demo_account.order(int(order["id"]))
    assert Decimal(order["filled_quantity"]) == units_to_decimal(record.filled_quantity)
    balances = client.get("/accounts/balance").json(parse_float=Decimal)
    assert {b["currency"]: Decimal(b["balance"]) for b in balances} == {
        code: units_to_decimal(units)
        for code, units in demo_account.balances().items()
        if code in {b["currency"] for b in balances}
    }


def test_faults_spare_public_admin_and_refused_requests(server, exchange, admin, token):
    exchange.set_faults(FaultConfig(seed=1, error_rate=1.0, number_drift=True))
    assert requests.get(server.url + "/currencies", timeout=10).status_code == 200
    assert requests.get(server.url + "/products/1", timeout=10).json()["id"] == "1"
    assert admin.get("/faults").json()["error_rate"] == 1.0
    target = "/accounts"
    refused = jwt_get(server.url, target, "a-wrong-secret-of-forty-or-more-characters", {"path": target, "nonce": 1, "token_id": token.token_id})
    assert refused.status_code == 401
    exchange.set_rate_limit(1, 60)
    client = SignedClient(server.url, token.token_id, token.secret)
    assert client.get(target).status_code in (500, 502, 503)
    assert client.get(target).status_code == 429
