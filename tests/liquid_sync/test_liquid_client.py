"""Unit tests of the Liquid client: signing, nonces, pacing, retries and error classes.

Time and HTTP are scripted (``fakes``), so every wait is checked exactly and nothing sleeps;
the last tests talk to the real emulator over HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal

import jwt
import pytest
import requests

from liquid_sync.liquid_client import (
    KeyRejected,
    LiquidClient,
    MalformedResponse,
    NonceRejected,
    NotFound,
    RequestRejected,
    RetriesExhausted,
    RollingWindowLimiter,
    SignatureMismatch,
    parse_json,
    request_target,
)
from tests.liquid_sync.emulator import BETA, running_emulator
from tests.liquid_sync.fakes import FakeClock, Reply, ScriptedSession

SECRET = "s3cr3t-very-private-value-of-at-least-32-bytes"
TOKEN_ID = "3001"


def make_client(script=None, *, clock=None, rate_limit=300, window=300.0, latency=0.05, **kwargs):
    clock = clock or FakeClock()
    session = ScriptedSession(clock, script, latency=latency)
    client = LiquidClient(
        "http://liquid.test",
        TOKEN_ID,
        SECRET,
        account="demo",
        rate_limit=rate_limit,
        rate_window_seconds=window,
        session=session,
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda: 0.0,
        **kwargs,
    )
    return client, session, clock


def claims(prepared: requests.PreparedRequest) -> dict:
    return jwt.decode(prepared.headers["X-Quoine-Auth"], SECRET, algorithms=["HS256"])


# signing


def test_jwt_signs_the_request_target_exactly_as_sent():
    client, session, _ = make_client()
    client.get("/executions/me", [("product_id", 5), ("with_details", True), ("limit", 1000), ("page", 2)])
    _, prepared = session.sent[0]
    assert prepared.path_url == "/executions/me?product_id=5&with_details=true&limit=1000&page=2"
    payload = claims(prepared)
    assert payload["path"] == prepared.path_url
    assert payload["token_id"] == TOKEN_ID
    assert isinstance(payload["nonce"], int)
    assert prepared.headers["X-Quoine-API-Version"] == "2"
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.url == "http://liquid.test" + prepared.path_url


def test_path_without_query_is_signed_without_question_mark():
    client, session, _ = make_client()
    client.get("/orders/42")
    assert claims(session.sent[0][1])["path"] == "/orders/42"


def test_query_values_are_percent_encoded_and_signed_encoded():
    assert request_target("/crypto_withdrawals", [("address", "a b&c"), ("limit", 5)]) == (
        "/crypto_withdrawals?address=a+b%26c&limit=5"
    )
    client, session, _ = make_client()
    client.get("/crypto_withdrawals", [("address", "a b&c")])
    assert claims(session.sent[0][1])["path"] == session.sent[0][1].path_url


def test_nonces_strictly_increase_even_when_the_clock_stands_still():
    client, session, clock = make_client(latency=0.0)
    for _ in range(5):
        client.get("/orders")
    nonces = [claims(p)["nonce"] for _, p in session.sent]
    assert nonces == sorted(set(nonces))
    assert nonces[0] == int(clock.now * 1000)


# pacing


def server_view_ok(send_times: list[float], limit: int, window: float) -> bool:
    """No window of ``window`` seconds holds more than ``limit`` request arrivals."""
    return all(
        sum(1 for t in send_times if start <= t < start + window) <= limit for start in send_times
    )


def test_pacing_keeps_every_rolling_window_within_the_limit():
    client, session, clock = make_client(rate_limit=5, window=10.0, latency=0.3)
    for _ in range(17):
        client.get("/orders")
    send_times = [t for t, _ in session.sent]
    assert server_view_ok(send_times, 5, 10.0)
    assert client.stats.seconds_paced > 0
    # the sixth request waits for the first one's window to pass, measured from its completion
    assert send_times[5] >= send_times[0] + 0.3 + 10.0


def test_limiter_does_not_wait_below_the_limit():
    clock = FakeClock()
    limiter = RollingWindowLimiter(3, 60.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert limiter.wait() == 0.0
        limiter.record(clock())
    assert clock.sleeps == []
    assert limiter.wait() == pytest.approx(60.0 + RollingWindowLimiter.EPSILON_SECONDS)


def test_limiter_estimates_time_for_remaining_requests():
    clock = FakeClock()
    limiter = RollingWindowLimiter(10, 100.0, clock=clock, sleep=clock.sleep)
    assert limiter.seconds_for(10) == 0.0
    assert limiter.seconds_for(30) == pytest.approx(200.0)


def test_pacing_log_survives_a_restart(tmp_path):
    pacing = tmp_path / "token.pacing.json"
    clock = FakeClock()
    first, session1, _ = make_client(clock=clock, rate_limit=4, window=30.0)
    first.bind_pacing_file(pacing)
    for _ in range(4):
        first.get("/orders")
    last_nonce = claims(session1.sent[-1][1])["nonce"]

    second, session2, _ = make_client(clock=clock, rate_limit=4, window=30.0, latency=0.0)
    second.bind_pacing_file(pacing)
    clock.now -= 1.0  # the restarted process's clock runs a little behind: nonces must not go back
    second.get("/orders")
    send_time, prepared = session2.sent[0]
    assert send_time >= session1.sent[0][0] + 30.0
    assert claims(prepared)["nonce"] > last_nonce


# retries and errors


def test_429_waits_as_liquid_asks_then_resumes():
    client, session, clock = make_client(
        [Reply(429, "API rate limit exceeded. Please retry after 300s"), Reply(200, {"ok": 1})]
    )
    assert client.get("/orders") == {"ok": 1}
    assert 300.0 in clock.sleeps
    assert client.stats.rate_limited == 1
    assert client.stats.requests == 2


def test_429_retry_after_header_wins():
    client, _, clock = make_client([Reply(429, "slow down", {"Retry-After": "7"}), Reply(200, {"ok": 1})])
    client.get("/orders")
    assert clock.sleeps == [7.0]


def test_repeated_429s_give_up_after_the_budget():
    client, session, _ = make_client([Reply(429, "API rate limit exceeded. Please retry after 2s")] * 10,
                                     max_rate_limited=3)
    with pytest.raises(RetriesExhausted, match="429"):
        client.get("/orders")
    assert len(session.sent) == 4


def test_5xx_retried_with_exponential_backoff_and_jitter():
    client, session, clock = make_client(
        [Reply(500), Reply(502, "<html>bad gateway</html>"), Reply(503, "Service Unavailable"), Reply(200, {"ok": 1})],
        backoff_base_seconds=2.0,
    )
    assert client.get("/orders") == {"ok": 1}
    # jitter() == 0 gives half of each exponential ceiling
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert client.stats.retries == 3


@pytest.mark.parametrize("jitter, factor", [(0.0, 0.5), (1.0, 1.0)])
def test_backoff_doubles_up_to_its_cap_scaled_by_jitter(jitter, factor):
    clock = FakeClock()
    session = ScriptedSession(clock, [Reply(500)] * 5 + [Reply(200, {"ok": 1})])
    client = LiquidClient("http://x", "1", SECRET, account="a", session=session, clock=clock, sleep=clock.sleep,
                          jitter=lambda: jitter, backoff_base_seconds=1.0, backoff_cap_seconds=8.0)
    client.get("/orders")
    assert clock.sleeps == [factor * s for s in (1.0, 2.0, 4.0, 8.0, 8.0)]


def test_transient_failures_are_bounded():
    client, session, _ = make_client([Reply(500)] * 10, max_retries=3)
    with pytest.raises(RetriesExhausted) as caught:
        client.get("/orders")
    assert len(session.sent) == 4
    assert caught.value.account == "demo" and caught.value.endpoint == "/orders"


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectionError("reset"), requests.exceptions.ReadTimeout("slow"),
     requests.exceptions.ChunkedEncodingError("cut")],
)
def test_network_failures_are_retried(failure):
    client, session, _ = make_client([failure, Reply(200, {"ok": 1})])
    assert client.get("/orders") == {"ok": 1}
    assert client.stats.by_status["network_error"] == 1


@pytest.mark.parametrize("body", [b'{"models": [', b'{,"models": []}', b"\xff\xfe"])
def test_malformed_bodies_are_retried(body):
    client, _, _ = make_client([Reply(200, body), Reply(200, {"models": []})])
    assert client.get("/orders") == {"models": []}
    assert client.stats.retries == 1


def test_validator_rejection_is_retried():
    def validate(body):
        if "models" not in body:
            raise MalformedResponse("no models", account="demo", endpoint="/orders", field="models")

    client, session, _ = make_client([Reply(200, {"oops": 1}), Reply(200, {"models": []})])
    assert client.get("/orders", validate=validate) == {"models": []}
    assert len(session.sent) == 2


@pytest.mark.parametrize(
    "body", ["API Authentication failed", "This token does not allow GET executions"]
)
def test_401_key_rejected_is_never_retried(body):
    client, session, _ = make_client([Reply(401, body)] * 3)
    with pytest.raises(KeyRejected) as caught:
        client.get("/executions/me", [("product_id", 5)])
    assert len(session.sent) == 1
    assert caught.value.reason == body
    assert caught.value.endpoint == "/executions/me"


def test_path_mismatch_is_a_client_bug():
    client, session, _ = make_client([Reply(401, "Path does not match")])
    with pytest.raises(SignatureMismatch):
        client.get("/orders")
    assert len(session.sent) == 1


def test_nonce_too_small_is_retried_once_with_a_fresh_nonce():
    client, session, _ = make_client([Reply(401, "Nonce is too small"), Reply(200, {"ok": 1})])
    assert client.get("/orders") == {"ok": 1}
    first, second = (claims(p)["nonce"] for _, p in session.sent)
    assert second > first


def test_nonce_too_small_twice_fails():
    client, session, _ = make_client([Reply(401, "Nonce is too small")] * 3)
    with pytest.raises(NonceRejected):
        client.get("/orders")
    assert len(session.sent) == 2


def test_404_and_422_are_not_retried():
    client, session, _ = make_client([Reply(404, {"message": "Order not found"}),
                                      Reply(422, {"errors": {"user": ["not_enough_fund"]}})])
    with pytest.raises(NotFound, match="Order not found"):
        client.get("/orders/1")
    with pytest.raises(RequestRejected, match="user: not_enough_fund") as caught:
        client.get("/orders")
    assert caught.value.status == 422
    assert len(session.sent) == 2


def test_secret_never_appears_in_errors_repr_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    script = [Reply(500), Reply(401, "API Authentication failed"), Reply(401, "Path does not match"),
              Reply(429, "retry after 1s"), Reply(422, {"message": "bad"}), requests.exceptions.ConnectionError("x")]
    client, _, _ = make_client(script * 6, max_retries=0)
    messages = [repr(client)]
    for _ in range(6):
        try:
            client.get("/orders", [("limit", 1)])
        except Exception as exc:  # noqa: BLE001 - collecting every error message
            messages += [str(exc), repr(exc)]
    messages += [record.getMessage() for record in caplog.records]
    assert len(messages) > 6
    assert not any(SECRET in m for m in messages)


# parsing


def test_decimals_parse_exactly_and_integers_stay_integers():
    body = parse_json('{"a": 976382.0, "b": "0.1", "c": 1632493065, "d": 0.00000001, "e": 1e-8}')
    assert body == {"a": Decimal("976382.0"), "b": "0.1", "c": 1632493065,
                    "d": Decimal("0.00000001"), "e": Decimal("1e-8")}
    assert isinstance(body["c"], int)
    with pytest.raises(ValueError):
        parse_json('{"a": NaN}')


# concurrency


def test_one_client_never_runs_two_requests_at_once():
    in_flight = []
    overlap = threading.Event()

    class SlowSession(requests.Session):
        def send(self, request, **kwargs):
            in_flight.append(1)
            if len(in_flight) > 1:
                overlap.set()
            time.sleep(0.005)
            in_flight.pop()
            response = requests.Response()
            response.status_code = 200
            response._content = b"{}"
            return response

    client = LiquidClient("http://x", TOKEN_ID, SECRET, account="demo", session=SlowSession(), rate_limit=1000)
    threads = [threading.Thread(target=lambda: [client.get("/orders") for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not overlap.is_set()
    assert client.stats.requests == 20


def test_rejects_unusable_settings():
    with pytest.raises(ValueError, match="base URL"):
        LiquidClient("liquid.test", TOKEN_ID, SECRET, account="demo")
    with pytest.raises(ValueError, match="token id and token secret"):
        LiquidClient("http://liquid.test", TOKEN_ID, "", account="demo")
    with pytest.raises(ValueError, match="rate limit"):
        LiquidClient("http://liquid.test", TOKEN_ID, SECRET, account="demo", rate_limit=0)


# against the emulator


@pytest.fixture
def emulator():
    with running_emulator(accounts=(BETA,), tokens_per_account=1) as running:
        yield running


def test_emulator_accepts_signed_requests_with_queries(emulator):
    client = emulator.client("beta")
    page = client.get("/crypto_withdrawals", [("address", "not an address & more"), ("limit", 5)])
    assert page["models"] == []
    product_id = emulator.exchange.account("beta").traded_product_ids()[0]
    page = client.get("/executions/me", [("product_id", product_id), ("with_details", True), ("limit", 2)])
    assert len(page["models"]) == 2 and "pnl" in page["models"][0]
    assert emulator.stats()["tokens"][client.token_id]["by_status"] == {"200": 2}


def test_emulator_rejections_map_to_error_classes(emulator):
    token = emulator.token("beta")
    wrong = LiquidClient(emulator.url, token.token_id, "not-the-secret-" * 3, account="beta")
    with pytest.raises(KeyRejected, match="API Authentication failed"):
        wrong.get("/orders")
    emulator.admin(f"/tokens/{token.token_id}/permissions", {"permissions": ["orders"]})
    with pytest.raises(KeyRejected, match="This token does not allow GET crypto_withdrawals"):
        emulator.client("beta").get("/crypto_withdrawals")
    with pytest.raises(NotFound, match="Order not found"):
        emulator.client("beta").get("/orders/1")
