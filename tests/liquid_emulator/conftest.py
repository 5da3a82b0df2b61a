"""Shared fixtures: generated accounts (once per session), a fresh exchange and server per test.

Account generation is the slow part, so the two accounts are session-scoped and shared;
tests must not change them (the clock tests generate their own). Each test gets its own
``Exchange`` (tokens, nonces, limits, faults, statistics) and ``EmulatorServer`` on a free port.
"""

from __future__ import annotations

import pytest

from liquid_emulator import catalog, history
from liquid_emulator.exchange import Catalog, Exchange
from liquid_emulator.model import Account
from liquid_emulator.server import EmulatorServer
from liquid_emulator.signing import SignedClient
from tests.liquid_emulator.support import Admin

DEMO_EXECUTIONS = 1500
SECOND_EXECUTIONS = 200


@pytest.fixture(scope="session")
def emulator_catalog() -> Catalog:
    return Catalog(catalog.currencies(), catalog.products())


@pytest.fixture(scope="session")
def demo_account() -> Account:
    return history.generate_account(11, DEMO_EXECUTIONS, account_id=1, name="demo")


@pytest.fixture(scope="session")
def second_account() -> Account:
    return history.generate_account(12, SECOND_EXECUTIONS, account_id=2, name="second")


@pytest.fixture
def exchange(emulator_catalog, demo_account, second_account) -> Exchange:
    """The shared accounts with one all-permission token each (demo's first)."""
    exchange = Exchange(emulator_catalog, [demo_account, second_account], now_ms=history.INITIAL_NOW_MS)
    exchange.create_token("demo")
    exchange.create_token("second")
    return exchange


@pytest.fixture
def server(exchange):
    with EmulatorServer(exchange) as running:
        yield running


@pytest.fixture
def token(exchange):
    return exchange.tokens[0]


@pytest.fixture
def client(server, token) -> SignedClient:
    """Signed requests as the demo account."""
    return SignedClient(server.url, token.token_id, token.secret, timeout=10)


@pytest.fixture
def admin(server) -> Admin:
    return Admin(server.url)
