"""The three Liquid export layouts, and recognising a file's layout by its header.

Each layout is a list of ``Column``s in file order. A column's ``kind`` says how its cells
are parsed (see ``parsing.py``); ``unused`` columns are read but neither checked nor kept.

A header is recognised when its cells, stripped of spaces and quotes, equal one layout's
column names in order (ignoring case). A UTF-8 BOM is accepted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from liquid_sync.imports.errors import ImportRejected

# Column kinds.
CODE = "code"  # a currency code, upper-cased
TEXT = "text"
DECIMAL = "decimal"
ID = "id"  # a non-negative integer id
TIMESTAMP = "timestamp"
CHOICE = "choice"  # one of ``choices`` (case-insensitive), stored as its mapped value
UNUSED = "unused"


@dataclass(frozen=True)
class Column:
    """One column of a layout.

    ``field`` is the column's name in the staging and typed tables. A value is required
    when ``required`` is true, or when the row's ``required_if[0]`` field holds one of
    the values ``required_if[1]``.
    """

    header: str
    field: str
    kind: str
    required: bool = False
    choices: dict[str, str] = field(default_factory=dict)  # as written in files -> as stored
    required_if: tuple[str, tuple[str, ...]] | None = None
    positive: bool = False


@dataclass(frozen=True)
class FileFormat:
    name: str  # "trades" | "ledger_crypto" | "ledger_fiat"
    title: str
    columns: tuple[Column, ...]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    def header_line(self) -> str:
        quoted = self.name != "trades"
        return ",".join(f'"{name}"' if quoted else name for name in self.header)


TRADES = FileFormat(
    name="trades",
    title="trades export",
    columns=(
        Column("Quote Currency", "quote_currency", CODE, required=True),
        Column("Base Currency", "base_currency", CODE, required=True),
        Column("Execution Id", "execution_id", ID),
        Column("Type", "side", CHOICE, required=True, choices={"Bought": "buy", "Sold": "sell"}),
        Column("Date", "occurred_at", TIMESTAMP, required=True),
        Column("Open Qty", "quantity", DECIMAL, required=True, positive=True),
        Column("Price", "price", DECIMAL, required=True, positive=True),
        Column("Fee", "fee", DECIMAL, required=True),
        Column("Fee Currency", "fee_currency", CODE, required=True),
        Column("Amount", "amount", DECIMAL, required=True, positive=True),
    ),
)

TRADE_TYPES = ("trade", "trade_fee", "rebate_trade_fee")
DEPOSIT_TYPES = ("funding", "funding_fee")
WITHDRAWAL_TYPES = ("withdrawal", "withdrawal_fee")
QUICK_EXCHANGE = "quick_exchange"
LEDGER_TYPES = TRADE_TYPES + DEPOSIT_TYPES + WITHDRAWAL_TYPES + (QUICK_EXCHANGE,)


def _ledger_columns(crypto: bool) -> tuple[Column, ...]:
    on_crypto_file_only = (
        Column("transaction_hash", "transaction_hash", TEXT),
        Column("from_address", "from_address", TEXT),
        Column("to_address", "to_address", TEXT),
        Column("state", "state", TEXT),
    )
    return (
        Column("exchange", "exchange", UNUSED),
        Column("currency_type", "currency_type", UNUSED),
        Column("direction", "direction", CHOICE, required=True, choices={"PAY": "PAY", "RECEIVE": "RECEIVE"}),
        Column("transaction_id", "transaction_id", ID, required=True),
        Column(
            "transaction_type",
            "transaction_type",
            CHOICE,
            required=True,
            choices={name: name for name in LEDGER_TYPES},
        ),
        Column("gross_amount", "gross_amount", DECIMAL, required=True),
        Column("currency", "currency", CODE, required=True),
        Column("execution_id", "execution_id", ID, required_if=("transaction_type", TRADE_TYPES)),
        Column(
            "generated_for_type",
            "generated_for_type",
            TEXT,
            required_if=("transaction_type", DEPOSIT_TYPES + WITHDRAWAL_TYPES),
        ),
        Column(
            "generated_for_id",
            "generated_for_id",
            ID,
            required_if=("transaction_type", DEPOSIT_TYPES + WITHDRAWAL_TYPES),
        ),
        *(on_crypto_file_only if crypto else ()),
        Column("created_at_jst", "created_at_jst", UNUSED),
        Column("updated_at_jst", "updated_at_jst", UNUSED),
        Column("created_at_utc", "occurred_at", TIMESTAMP, required=True),
        Column("updated_at", "updated_at", TIMESTAMP),
        Column("notes", "notes", UNUSED),
        Column("user_id", "user_id", UNUSED),
        Column("account_id", "account_id", UNUSED),
    )


LEDGER_CRYPTO = FileFormat("ledger_crypto", "crypto ledger export", _ledger_columns(crypto=True))
LEDGER_FIAT = FileFormat("ledger_fiat", "fiat ledger export", _ledger_columns(crypto=False))

FORMATS = (TRADES, LEDGER_CRYPTO, LEDGER_FIAT)

_HEADER_READ_LIMIT = 64 * 1024


def _normalised(cells: list[str]) -> tuple[str, ...]:
    return tuple(cell.strip().strip('"').strip().lower() for cell in cells)


def recognise(path: Path) -> FileFormat:
    """The layout of the file at ``path``, from its first line.

    Raises ``ImportRejected`` (line 1) when the file is empty, is not UTF-8 text or its
    header matches no layout; the message lists the three expected headers.
    """
    with path.open("rb") as handle:
        head = handle.read(_HEADER_READ_LIMIT)
    first_line = head.splitlines()[0] if head.strip() else b""
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(path.name, "the header is not UTF-8 text", line=1) from None
    cells = next(csv.reader(io.StringIO(text), skipinitialspace=True), [])
    found = _normalised(cells)
    for file_format in FORMATS:
        if found == _normalised(list(file_format.header)):
            return file_format
    expected = "\n".join(f"  {f.title}: {f.header_line()}" for f in FORMATS)
    shown = text.strip() or "(empty file)"
    raise ImportRejected(
        path.name,
        f"unrecognised header {shown[:300]!r}; expected one of these headers:\n{expected}",
        line=1,
    )
