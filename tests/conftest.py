"""Command-line options of the test suite (options must be declared at the tests' root), and
the ``emulator`` fixture: a fresh emulator serving ``alpha`` and ``beta`` (two tokens each)."""

from __future__ import annotations

import pytest

from tests.liquid_sync.emulator import running_emulator


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--fault-trials", type=int, default=3, metavar="N",
        help="tests/faults: kill points per pipeline stage, and seeds per injected fault kind (N // 3, at "
             "least 1); default 3, a few minutes on 2 cores",
    )


@pytest.fixture
def emulator():
    with running_emulator() as running:
        yield running
