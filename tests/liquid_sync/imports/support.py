"""Hand-written export files and warehouse look-ups for the import tests."""

from __future__ import annotations

from pathlib import Path

from liquid_sync.imports import FileOutcome, import_files
from tests.warehouse_query import query  # noqa: F401  (the import tests' look-up)

TRADES_HEADER = "Quote Currency,Base Currency,Execution Id,Type,Date,Open Qty,Price,Fee,Fee Currency,Amount"
_LEDGER_HEAD = ("exchange", "currency_type", "direction", "transaction_id", "transaction_type", "gross_amount",
                "currency", "execution_id", "generated_for_type", "generated_for_id")
_LEDGER_CRYPTO_ONLY = ("transaction_hash", "from_address", "to_address", "state")
_LEDGER_TAIL = ("created_at_jst", "updated_at_jst", "created_at_utc", "updated_at", "notes", "user_id", "account_id")
CRYPTO_HEADER = ",".join(f'"{n}"' for n in _LEDGER_HEAD + _LEDGER_CRYPTO_ONLY + _LEDGER_TAIL)
FIAT_HEADER = ",".join(f'"{n}"' for n in _LEDGER_HEAD + _LEDGER_TAIL)
FIAT = {"USD", "JPY", "SGD", "EUR", "AUD", "HKD"}
AT = "2021-03-01 10:00:00"


def write(folder: Path, name: str, header: str, lines: list[str], newline: str = "\r\n", bom: bool = False) -> Path:
    path = folder / name
    text = newline.join([header, *lines]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def trade(execution_id: object, kind: str, qty: str, price: str, fee: str, fee_currency: str, amount: str,
          base: str = "BTC", quote: str = "JPY", at: str = AT) -> str:
    return f"{quote},{base},{execution_id},{kind},{at},{qty},{price},{fee},{fee_currency},{amount}"


def entry(transaction_id: int, kind: str, amount: str, currency: str, execution_id: object = "",
          source: tuple[str, object] = ("Execution", ""), at: str = AT, updated: str | None = None,
          state: str = "", transaction_hash: str = "") -> str:
    """One fully quoted ledger row; the crypto or fiat layout follows the currency."""
    direction = "PAY" if amount.startswith("-") else "RECEIVE"
    source_id = source[1] if source[1] != "" else execution_id
    head = ["liquid", "fiat" if currency in FIAT else "crypto", direction, transaction_id, kind, amount, currency,
            execution_id, source[0], source_id]
    crypto_only = [] if currency in FIAT else [transaction_hash, "", "", state]
    tail = [f"{at} JST", f"{updated or at} JST", f"{at} UTC", f"{updated or at} UTC", "", 7, 1]
    return ",".join(f'"{cell}"' for cell in head + crypto_only + tail)


def ledger_files(folder: Path, stem: str, entries: list[str]) -> tuple[Path, Path]:
    """Write ``entries`` into a crypto and a fiat ledger file (split by the rows' currency_type)."""
    crypto = [e for e in entries if '"crypto"' in e.split(",")[1]]
    fiat = [e for e in entries if '"fiat"' in e.split(",")[1]]
    return (write(folder, f"liquid_ledger_crypto_demo_{stem}.csv", CRYPTO_HEADER, crypto),
            write(folder, f"liquid_ledger_fiat_demo_{stem}.csv", FIAT_HEADER, fiat))


def import_paths(warehouse_path: Path, *paths: Path, account: str | None = "demo") -> list[FileOutcome]:
    return import_files(list(paths), account=account, warehouse_path=warehouse_path)



def data_row_counts(warehouse_path: Path) -> dict[str, int]:
    """Rows in every table that holds imported data."""
    tables = ("file_ledger_entries", "file_trades", "file_deposits", "file_withdrawals")
    return {t: query(warehouse_path, f"SELECT count(*) FROM {t}")[0][0] for t in tables}
