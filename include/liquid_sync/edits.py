"""User edits: labels, notes, price overrides and deletions, kept across every sync.

An edit is a row of ``user_edits`` keyed by (entity, account, entity key), the natural key
of what it edits, never a load's row id: ``trade`` + ``trade_key`` (``<execution_id>:<side>``,
or a file-only trade's ``file:...`` key), ``withdrawal`` + ``withdrawal_key``
(``<crypto|fiat>:<id>``), ``deposit`` + ``deposit_key`` (the deposit id). Loads never write
the table, so edits survive incremental and full re-syncs and a new API key; the views
(``trades_view``, ``withdrawals_view``, ``deposits_view``, ``ledger``) apply them and leave
out deleted rows. An edit may name a key not loaded yet: it applies once the row arrives.

``liquid-sync edit set|clear|delete|restore|list`` (``add_commands``) and plain SQL on
``user_edits`` (``docs/warehouse.md``) do the same.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from liquid_sync import warehouse
from liquid_sync.warehouse import first_row
from liquid_sync.warehouse.writer import WarehouseBusy, open_writer

ENTITIES = {"trade": ("trades", "trade_key"), "withdrawal": ("withdrawals", "withdrawal_key"),
            "deposit": ("deposits", "deposit_key")}
FIELDS = ("label", "note", "price_override")
COLUMNS = ("entity", "account", "entity_key", "label", "note", "price_override", "deleted", "updated_at")


def _check_entity(entity: str) -> tuple[str, str]:
    try:
        return ENTITIES[entity]
    except KeyError:
        raise ValueError(f"unknown entity {entity!r}; one of {', '.join(ENTITIES)}") from None


def _known(con, entity: str, account: str, key: str) -> bool:
    table, column = _check_entity(entity)
    also = " OR file_trade_key = $key" if entity == "trade" else ""
    sql = f"SELECT 1 FROM {table} WHERE account = $account AND ({column} = $key{also}) LIMIT 1"
    return first_row(con, sql, {"account": account, "key": key}) is not None


def _row(con, entity: str, account: str, key: str) -> dict | None:
    row = first_row(con, f"SELECT {', '.join(COLUMNS)} FROM user_edits WHERE entity = ? AND account = ? "
                         "AND entity_key = ?", [entity, account, key])
    return None if row is None else dict(zip(COLUMNS, row))


def _write(entity: str, account: str, key: str, changes: dict, warehouse_path: Path | None) -> dict:
    """Apply ``changes`` (column -> value) to the edit, creating or removing its row as needed;
    returns the edit (``None`` values when it no longer exists) and whether the key is loaded."""
    _check_entity(entity)
    with open_writer(warehouse_path) as session:
        con = session.con
        con.begin()
        try:
            current = _row(con, entity, account, key) or {
                "entity": entity, "account": account, "entity_key": key, "label": None, "note": None,
                "price_override": None, "deleted": False,
            }
            edit = current | changes
            con.execute("DELETE FROM user_edits WHERE entity = ? AND account = ? AND entity_key = ?",
                        [entity, account, key])
            if edit["deleted"] or any(edit[f] is not None for f in FIELDS):
                con.execute(
                    "INSERT INTO user_edits (entity, account, entity_key, label, note, price_override, deleted,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                    [entity, account, key, edit["label"], edit["note"], edit["price_override"], edit["deleted"]],
                )
            known = _known(con, entity, account, key)
            stored = _row(con, entity, account, key)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return {"edit": stored, "known": known}


def set_edit(entity: str, account: str, key: str, *, label: str | None = None, note: str | None = None,
             price_override: Decimal | str | None = None, warehouse_path: Path | None = None) -> dict:
    """Set the given fields of an edit (the others keep their value)."""
    changes = {name: value for name, value in (("label", label), ("note", note)) if value is not None}
    if price_override is not None:
        changes["price_override"] = _price(price_override)
    if not changes:
        raise ValueError("give at least one of label, note, price_override")
    return _write(entity, account, key, changes, warehouse_path)


def clear_edit(entity: str, account: str, key: str, fields: tuple[str, ...] = FIELDS,
               warehouse_path: Path | None = None) -> dict:
    """Clear ``fields`` of an edit (a deletion stays until ``restore``)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"cannot clear {sorted(unknown)}; fields are {', '.join(FIELDS)}")
    return _write(entity, account, key, dict.fromkeys(fields), warehouse_path)


def delete(entity: str, account: str, key: str, warehouse_path: Path | None = None) -> dict:
    """Tombstone: the row disappears from the views and the ledger, and stays gone after syncs."""
    return _write(entity, account, key, {"deleted": True}, warehouse_path)


def restore(entity: str, account: str, key: str, warehouse_path: Path | None = None) -> dict:
    return _write(entity, account, key, {"deleted": False}, warehouse_path)


def list_edits(account: str | None = None, entity: str | None = None, warehouse_path: Path | None = None) -> list[dict]:
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        rows = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM user_edits WHERE ($account IS NULL OR account = $account)"
            " AND ($entity IS NULL OR entity = $entity) ORDER BY account, entity, entity_key",
            {"account": account, "entity": entity},
        ).fetchall()
    finally:
        con.close()
    return [dict(zip(COLUMNS, row)) for row in rows]


def _price(value: Decimal | str) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"price override {value!r} is not a decimal number") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"price override {value!r} must be a non-negative decimal number")
    return price


# the ``liquid-sync edit`` command


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``edit`` and its subcommands to the ``liquid-sync`` parser's subcommands."""
    edit = commands.add_parser(
        "edit", help="label, annotate, re-price or delete trades, withdrawals and deposits",
        description="Edits are kept across syncs and applied in the warehouse views (see docs/warehouse.md).",
    )
    actions = edit.add_subparsers(dest="edit_action", required=True)

    def target(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("entity", choices=list(ENTITIES))
        parser.add_argument("account")
        parser.add_argument("key", help="trade_key, withdrawal_key or deposit_key as the views show it")

    setting = actions.add_parser("set", help="set a label, a note or a price override")
    target(setting)
    setting.add_argument("--label")
    setting.add_argument("--note")
    setting.add_argument("--price", dest="price_override", help="price override (quote currency per unit)")
    clearing = actions.add_parser("clear", help="clear fields of an edit (all of them without flags)")
    target(clearing)
    for name in FIELDS:
        clearing.add_argument(f"--{name.split('_')[0]}", dest=name, action="store_true", help=f"clear the {name}")
    target(actions.add_parser("delete", help="delete the row from the views and the ledger (a tombstone)"))
    target(actions.add_parser("restore", help="undo a delete"))
    listing = actions.add_parser("list", help="list edits")
    listing.add_argument("--account")
    listing.add_argument("--entity", choices=list(ENTITIES))


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed ``edit`` command; prints the outcome and returns the exit status: 0, 2 for a
    bad value, 3 when the warehouse cannot be opened or is busy."""
    try:
        return _run(args)
    except ValueError as error:
        print(f"liquid-sync edit: {error}", file=sys.stderr)
        return 2
    except (WarehouseBusy, duckdb.IOException) as error:
        print(f"liquid-sync edit: cannot open the warehouse: {error}", file=sys.stderr)
        return 3


def _run(args: argparse.Namespace) -> int:
    if args.edit_action == "list":
        for edit in list_edits(args.account, args.entity):
            print(_describe(edit))
        return 0
    if args.edit_action == "set":
        outcome = set_edit(args.entity, args.account, args.key, label=args.label, note=args.note,
                           price_override=args.price_override)
    elif args.edit_action == "clear":
        fields = tuple(name for name in FIELDS if getattr(args, name)) or FIELDS
        outcome = clear_edit(args.entity, args.account, args.key, fields)
    elif args.edit_action == "delete":
        outcome = delete(args.entity, args.account, args.key)
    else:
        outcome = restore(args.entity, args.account, args.key)
    edit = outcome["edit"]
    print(_describe(edit) if edit else f"{args.entity} {args.account} {args.key}: no edits left")
    if not outcome["known"]:
        print(f"note: no {args.entity} {args.key!r} of account {args.account!r} is loaded yet; "
              "the edit applies once it is")
    return 0


def _describe(edit: dict) -> str:
    parts = [f"{name}={_shown(edit[name])}" for name in FIELDS if edit[name] is not None]
    if edit["deleted"]:
        parts.append("deleted")
    return f"{edit['entity']} {edit['account']} {edit['entity_key']}: {', '.join(parts)}"


def _shown(value: object) -> str:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else repr(value)
