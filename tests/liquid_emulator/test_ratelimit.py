"""The per-token rolling-window rate limit: unit tests with a fake clock, then over HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from liquid_emulator.ratelimit import RateLimiter
from liquid_emulator.signing import SignedClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_admits_up_to_the_limit_within_a_rolling_window():
    clock = FakeClock()
    limiter = RateLimiter(3, 10.0, clock=clock)
    assert [limiter.admit("a") for _ in range(4)] == [True, True, True, False]
    clock.now += 5
    assert limiter.admit("a") is False
    assert limiter.admit("b") is True  # another token has its own budget
    clock.now += 5  # the first three fall out of the window together
    assert [limiter.admit("a") for _ in range(4)] == [True, True, True, False]


def test_rejected_requests_do_not_count():
    clock = FakeClock()
    limiter = RateLimiter(2, 10.0, clock=clock)
    assert limiter.admit("a")
    clock.now += 6
    assert limiter.admit("a")
    for _ in range(50):
        assert not limiter.admit("a")
    clock.now += 4  # only the first admitted request has left the window
    assert limiter.admit("a")
    assert not limiter.admit("a")


def test_reconfiguring_keeps_admitted_requests():
    clock = FakeClock()
    limiter = RateLimiter(5, 10.0, clock=clock)
    for _ in range(3):
        assert limiter.admit("a")
    limiter.configure(3, 10.0)
    assert not limiter.admit("a")
    limiter.reset()
    assert limiter.admit("a")


@pytest.mark.parametrize("window, text", [(300, "300s"), (1, "1s"), (0.5, "1s"), (2.2, "3s")])
def test_exceeded_message_names_the_window_in_whole_seconds(window, text):
    assert RateLimiter(1, window).exceeded_message == f"API rate limit exceeded. Please retry after {text}"


@pytest.mark.parametrize("limit, window", [(0, 1.0), (1.5, 1.0), (True, 1.0), (1, 0), (1, -1.0), (1, float("inf"))])
def test_invalid_settings_are_rejected(limit, window):
    with pytest.raises(ValueError):
        RateLimiter(limit, window)


def test_defaults_are_liquids_300_per_5_minutes():
    assert RateLimiter().settings() == {"limit": 300, "window_seconds": 300.0}


def test_http_429_after_the_limit_with_liquids_body(server, exchange, client):
    exchange.set_rate_limit(3, 60)
    statuses = [client.get("/trading_accounts").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get("/trading_accounts")
    assert (response.status_code, response.text) == (429, "API rate limit exceeded. Please retry after 60s")
    assert response.headers["Content-Type"].startswith("text/plain")


def test_limit_is_per_token_and_spares_public_and_rejected_requests(server, exchange, client):
    exchange.set_rate_limit(2, 60)
    other_token = exchange.tokens[1]
    other = SignedClient(server.url, other_token.token_id, other_token.secret)
    exchange.set_permissions(client.token_id, ["accounts"])
    for _ in range(5):  # permission refusals are not admitted requests
        assert client.get("/trading_accounts").status_code == 401
    for _ in range(5):
        assert requests.get(server.url + "/currencies", timeout=10).status_code == 200
    assert [client.get("/accounts").status_code for _ in range(3)] == [200, 200, 429]
    assert [other.get("/accounts").status_code for _ in range(3)] == [200, 200, 429]


def test_window_rolls_over_in_real_time(server, exchange, client):
    exchange.set_rate_limit(2, 0.2)
    assert [client.get("/trading_accounts").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(0.25)
    assert [client.get("/trading_accounts").status_code for _ in range(3)] == [200, 200, 429]
