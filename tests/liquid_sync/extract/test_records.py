from __future__ import annotations

import json
from decimal import Decimal

import pytest

from liquid_sync.extract.records import RecordError, RecordReader, to_json_text
from liquid_sync.liquid_client import parse_json


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('{"id":1,"price":976382.0,"quantity":"0.00000001","fee":0.00000001,"big":12345678901234567890.123456789}',
         ['"price":976382.0', '"quantity":"0.00000001"', '"fee":0.00000001', "12345678901234567890.123456789"]),
        ('{"a":[1,"2",3.50,null,true,false],"nested":{"x":-0.0,"y":"1e-8"},"s":"caf\\u00e9 \\"q\\""}',
         ['[1,"2",3.50,null,true,false]', '"x":-0.0', '"y":"1e-8"']),
    ],
)
def test_json_text_round_trips_losslessly(text, fragments):
    parsed = parse_json(text)
    written = to_json_text(parsed)
    assert parse_json(written) == parsed
    assert json.loads(written) == json.loads(text)
    assert all(fragment in written for fragment in fragments), written


def test_json_text_keeps_strings_as_strings_and_key_order():
    assert to_json_text({"b": "1.50", "a": Decimal("1.50"), "c": 7}) == '{"b":"1.50","a":1.50,"c":7}'


def test_json_text_refuses_floats():
    with pytest.raises(TypeError, match="parse_float=Decimal"):
        to_json_text({"x": 0.1})


def test_reader_accepts_strings_and_numbers():
    reader = RecordReader("demo", "/orders")
    record = {"id": "2", "n": 5, "d": Decimal("7.0"), "price": 976382.5, "q": "0.1", "qq": Decimal("0.25")}
    assert [reader.integer(record, f) for f in ("id", "n", "d")] == [2, 5, 7]
    assert reader.decimal(record, "q") == Decimal("0.1") and reader.decimal(record, "qq") == Decimal("0.25")


@pytest.mark.parametrize(
    "record, field, kind",
    [({"id": "x"}, "id", "integer"), ({"id": "1.5"}, "id", "integer"), ({}, "id", "integer"),
     ({"id": True}, "id", "integer"), ({"q": "abc"}, "q", "decimal"), ({"q": "NaN"}, "q", "decimal"),
     ({"s": 1}, "s", "text")],
)
def test_reader_errors_name_account_endpoint_and_field(record, field, kind):
    reader = RecordReader("demo", "/executions/me")
    with pytest.raises(RecordError) as caught:
        getattr(reader, kind)(record, field)
    message = str(caught.value)
    assert "'demo'" in message and "/executions/me" in message and f"field {field!r}" in message
