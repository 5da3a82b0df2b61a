"""Number rendering: documented types, and the drifted types that must still parse back exactly."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from liquid_emulator import render
from liquid_emulator.model import units_to_decimal


def test_plain_numbers_are_decimal_strings_and_integers():
    assert render.PLAIN.dec(123456789) == "1.23456789"
    assert render.PLAIN.dec(-5) == "-0.00000005"
    assert render.PLAIN.int(42) == 42


@pytest.mark.parametrize(
    "units, shown",
    [
        (10_000_000, 0.1),
        (100_000_000, 1.0),
        (0, 0.0),
        (123456789, 1.23456789),
        (-250_000_000, -2.5),
        (1, "0.00000001"),  # repr(1e-08) is not the decimal text
        (1000, "0.00001"),
        (1_234_567_890_123_456_789, "12345678901.23456789"),  # beyond a double's precision
    ],
)
def test_drifted_decimals_are_numbers_only_when_the_text_survives(units, shown):
    value = render.DRIFTED.dec(units)
    assert value == shown and type(value) is type(shown)


def test_drifted_integers_are_strings():
    assert render.DRIFTED.int(2261102337) == "2261102337"


def test_drifted_values_parse_back_exactly():
    rng = random.Random(3)
    values = [rng.choice([1, 10**3, 10**6, 10**8, 10**12]) * rng.randrange(-10**9, 10**9) for _ in range(5000)]
    values += [rng.randrange(1, 10**4) for _ in range(100)] + [rng.randrange(10**18, 10**19) for _ in range(100)]
    encoded = json.dumps([render.DRIFTED.dec(v) for v in values])
    parsed = json.loads(encoded, parse_float=Decimal)
    assert [Decimal(p) for p in parsed] == [units_to_decimal(v) for v in values]
    assert any(isinstance(p, Decimal) for p in parsed) and any(isinstance(p, str) for p in parsed)


@pytest.mark.parametrize("ms, text", [(1632493065665, "1632493065.665"), (1632493065005, "1632493065.005"),
                                      (1632493065000, "1632493065.000")])
def test_timestamps_are_fractional_second_strings(ms, text):
    assert render.timestamp(ms) == text
    assert render.seconds(ms) == 1632493065
