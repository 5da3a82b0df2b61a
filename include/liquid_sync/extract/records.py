"""Reading fields of API records whatever their JSON type, and writing records back losslessly.

Liquid sends numbers as strings or as JSON numbers (ints, or floats parsed as ``Decimal``);
these helpers accept both and raise ``RecordError`` naming account, endpoint and field when a
value is unusable.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any


class RecordError(ValueError):
    """A record lacks a field or holds an unusable value in it."""

    def __init__(self, message: str, *, account: str, endpoint: str, field: str):
        self.account = account
        self.endpoint = endpoint
        self.field = field
        super().__init__(f"account {account!r}, {endpoint}, field {field!r}: {message}")


def to_json_text(value: Any) -> str:
    """Compact JSON of a parsed record; a ``Decimal`` keeps its digits (``"976382.0"`` stays
    ``976382.0``), strings stay strings, key order is kept."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{to_json_text(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite number {value} cannot be written as JSON")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("floats must be parsed as Decimal before writing (parse_float=Decimal)")
    return json.dumps(value, ensure_ascii=False)


class RecordReader:
    """Typed access to the fields of one endpoint's records."""

    def __init__(self, account: str, endpoint: str):
        self.account = account
        self.endpoint = endpoint

    def error(self, message: str, field: str) -> RecordError:
        return RecordError(message, account=self.account, endpoint=self.endpoint, field=field)

    def integer(self, record: dict, field: str) -> int:
        """An integer field sent as a JSON integer, an integral decimal or a digit string."""
        value = self._present(record, field)
        if isinstance(value, bool):
            raise self.error(f"expected an integer, got {value!r}", field)
        if isinstance(value, int):
            return value
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise self.error(f"expected an integer, got {value!r}", field) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise self.error(f"expected an integer, got {value!r}", field)
        return int(number)

    def decimal(self, record: dict, field: str) -> Decimal:
        """A decimal field sent as a string or a JSON number."""
        value = self._present(record, field)
        if isinstance(value, bool):
            raise self.error(f"expected a decimal, got {value!r}", field)
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise self.error(f"expected a decimal, got {value!r}", field) from None
        if not number.is_finite():
            raise self.error(f"expected a finite decimal, got {value!r}", field)
        return number

    def text(self, record: dict, field: str) -> str:
        value = self._present(record, field)
        if not isinstance(value, str):
            raise self.error(f"expected a string, got {value!r}", field)
        return value

    def _present(self, record: dict, field: str) -> Any:
        if not isinstance(record, dict):
            raise self.error(f"expected a JSON object, got {type(record).__name__}", field)
        if record.get(field) is None:
            raise self.error("missing or null", field)
        return record[field]
