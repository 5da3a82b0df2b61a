"""Command-line options of the test suite (options must be declared at the tests' root)."""

from __future__ import annotations


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--fault-trials", type=int, default=3, metavar="N",
        help="tests/faults: kill points per pipeline stage, and seeds per injected fault kind (N // 3, at "
             "least 1); default 3, a few minutes on 2 cores",
    )
