"""Liquid's JWT authentication and token permissions, over real HTTP."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
import requests

from liquid_emulator.signing import SignedClient
from tests.liquid_emulator.support import busiest_product, jwt_get

AUTH_FAILED = "API Authentication failed"


def claims(token, target: str, nonce) -> dict:
    return {"path": target, "nonce": nonce, "token_id": token.token_id}


def test_signed_request_is_answered(server, token):
    response = jwt_get(server.url, "/accounts/balance", token.secret, claims(token, "/accounts/balance", 1))
    assert response.status_code == 200
    assert isinstance(response.json(), list)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Quoine-API-Version": "2"},
        {"X-Quoine-API-Version": "2", "X-Quoine-Auth": ""},
        {"X-Quoine-API-Version": "2", "X-Quoine-Auth": "not-a-jwt"},
        {"X-Quoine-API-Version": "2", "X-Quoine-Auth": "a.b.c"},
    ],
    ids=["no headers", "no auth header", "empty jwt", "garbage", "three garbage parts"],
)
def test_missing_or_malformed_jwt_fails(server, headers):
    response = requests.get(server.url + "/accounts/balance", headers=headers, timeout=10)
    assert (response.status_code, response.text) == (401, AUTH_FAILED)
    assert response.headers["Content-Type"].startswith("text/plain")


def test_missing_api_version_header_fails(server, token):
    target = "/accounts/balance"
    response = jwt_get(server.url, target, token.secret, claims(token, target, 1), version=None)
    assert (response.status_code, response.text) == (401, AUTH_FAILED)
    response = jwt_get(server.url, target, token.secret, claims(token, target, 2), version="1")
    assert (response.status_code, response.text) == (401, AUTH_FAILED)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_wrong_secret_unknown_token_and_other_algorithms_fail(server, token, exchange):
    target = "/accounts/balance"
    other = exchange.tokens[1]
    cases = [
        jwt_get(server.url, target, "a-wrong-secret-of-forty-or-more-characters", claims(token, target, 1)),
        jwt_get(server.url, target, other.secret, claims(token, target, 2)),
        jwt_get(server.url, target, token.secret, {"path": target, "nonce": 3, "token_id": "999999"}),
        jwt_get(server.url, target, token.secret, {"path": target, "nonce": 4}),
        jwt_get(server.url, target, token.secret, claims(token, target, 5), algorithm="HS512"),
    ]
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims(token, target, 6)).encode()).rstrip(b"=").decode()
    cases.append(
        requests.get(
            server.url + target,
            headers={"X-Quoine-API-Version": "2", "X-Quoine-Auth": f"{header}.{payload}."},
            timeout=10,
        )
    )
    assert [(r.status_code, r.text) for r in cases] == [(401, AUTH_FAILED)] * len(cases)


def test_token_id_may_be_an_integer_and_unknown_claims_are_ignored(server, token):
    target = "/accounts/balance"
    far_future = int(time.time()) + 10**8
    body = {"path": target, "nonce": 1, "token_id": int(token.token_id), "iat": far_future, "exp": 1, "nbf": far_future}
    assert jwt_get(server.url, target, token.secret, body).status_code == 200


@pytest.mark.parametrize(
    "signed_path",
    [
        "/executions/me",  # bare path, query left out
        "/executions/me?limit=5&product_id={p}",  # same query, other order
        "/executions/me?product_id={p}&limit=05",  # different text, same meaning
        "executions/me?product_id={p}&limit=5",  # no leading slash
        "/executions/me?product_id={p}&limit=5&",
    ],
)
def test_path_claim_must_be_the_exact_request_target(server, token, demo_account, signed_path):
    product_id = busiest_product(demo_account)
    target = f"/executions/me?product_id={product_id}&limit=5"
    body = claims(token, signed_path.format(p=product_id), 1)
    response = jwt_get(server.url, target, token.secret, body)
    assert (response.status_code, response.text) == (401, "Path does not match")


def test_path_claim_is_compared_with_the_raw_encoded_target(server, token):
    target = "/transactions?transaction_type=trade%2Cfunding&currency=USD"
    assert jwt_get(server.url, target, token.secret, claims(token, target, 1)).status_code == 200
    decoded_target = "/transactions?transaction_type=trade,funding&currency=USD"
    response = jwt_get(server.url, target, token.secret, claims(token, decoded_target, 2))
    assert (response.status_code, response.text) == (401, "Path does not match")


def test_nonce_must_strictly_increase_per_token(server, exchange, token):
    target = "/accounts/balance"
    other = exchange.tokens[1]

    def status(t, nonce):
        response = jwt_get(server.url, target, t.secret, claims(t, target, nonce))
        return response.status_code, response.text if response.status_code != 200 else ""

    too_small = (401, "Nonce is too small")
    assert status(token, 1000) == (200, "")
    assert status(token, 1000) == too_small  # replay
    assert status(token, 999) == too_small
    assert status(other, 5) == (200, "")  # each token has its own nonces
    assert status(token, "1000.5") == (200, "")  # numeric string, compared as a decimal
    assert status(token, 1000) == too_small
    assert status(token, 1000.75) == (200, "")  # float
    assert status(token, "1001") == (200, "")
    assert status(token, 1002) == (200, "")


@pytest.mark.parametrize("nonce", [None, "abc", "NaN", True, [1]])
def test_missing_or_non_numeric_nonce_fails(server, token, nonce):
    target = "/accounts/balance"
    body = claims(token, target, nonce)
    if nonce is None:
        del body["nonce"]
    response = jwt_get(server.url, target, token.secret, body)
    assert (response.status_code, response.text) == (401, AUTH_FAILED)


def test_a_nonce_is_accepted_once_under_concurrency(server, token):
    target = "/trading_accounts"
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def send():
        barrier.wait()
        response = jwt_get(server.url, target, token.secret, claims(token, target, 77))
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [401] * 7


@pytest.mark.parametrize(
    "target, permission, resource",
    [
        ("/executions/me?product_id=1", "executions", "executions"),
        ("/orders", "orders", "orders"),
        ("/orders/1", "orders", "orders"),
        ("/crypto_withdrawals", "withdrawals", "crypto_withdrawals"),
        ("/withdrawals", "withdrawals", "withdrawals"),
        ("/accounts", "accounts", "accounts"),
        ("/accounts/balance", "accounts", "accounts"),
        ("/fiat_accounts", "accounts", "fiat_accounts"),
        ("/crypto_accounts", "accounts", "crypto_accounts"),
        ("/transactions", "accounts", "transactions"),
        ("/trading_accounts", "trading_accounts", "trading_accounts"),
    ],
)
def test_each_endpoint_needs_its_permission(server, exchange, token, target, permission, resource):
    others = [p for p in ("accounts", "executions", "orders", "positions", "trading_accounts", "withdrawals") if p != permission]
    exchange.set_permissions(token.token_id, others)
    client = SignedClient(server.url, token.token_id, token.secret)
    response = client.get(target)
    assert (response.status_code, response.text) == (401, f"This token does not allow GET {resource}")
    exchange.set_permissions(token.token_id, [permission])
    assert client.get(target).status_code in (200, 404)


def test_revoking_a_token_mid_run_locks_it_out(server, client, admin, token):
    assert client.get("/accounts/balance").status_code == 200
    assert admin.post(f"/tokens/{token.token_id}/revoke").status_code == 200
    response = client.get("/accounts/balance")
    assert (response.status_code, response.text) == (401, AUTH_FAILED)


def test_changing_permissions_mid_run_applies_to_the_next_request(server, client, admin, token):
    assert client.get("/trading_accounts").status_code == 200
    admin.post(f"/tokens/{token.token_id}/permissions", {"permissions": ["accounts"]}).raise_for_status()
    response = client.get("/trading_accounts")
    assert (response.status_code, response.text) == (401, "This token does not allow GET trading_accounts")
    assert client.get("/accounts").status_code == 200
    admin.post(f"/tokens/{token.token_id}/permissions", {"permissions": ["trading_accounts"]}).raise_for_status()
    assert client.get("/trading_accounts").status_code == 200


def test_each_token_sees_its_own_account(server, exchange, demo_account, second_account):
    demo_token, second_token = exchange.tokens
    balances = {}
    for t in (demo_token, second_token):
        balances[t.account] = SignedClient(server.url, t.token_id, t.secret).get("/accounts/balance").json()
    assert balances["demo"] != balances["second"]
    assert {b["currency"] for b in balances["second"]} == {
        c for c in second_account.balances()
    } | set(second_account.reserved_balances())


def test_public_endpoints_need_no_authentication(server):
    for target in ("/products", "/products?perpetual=1", "/products/1", "/currencies"):
        assert requests.get(server.url + target, timeout=10).status_code == 200
