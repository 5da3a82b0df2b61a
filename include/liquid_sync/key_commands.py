"""``liquid-sync keys list|enable``: see and clear the disabled mark of accounts' API keys.

A key is disabled when Liquid rejects it (deleted, revoked, or a permission removed); runs
skip the account until a person fixes the key and re-enables it here.
"""

from __future__ import annotations

import argparse

from liquid_sync.extract import disabled_keys, enable_key


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``keys`` and its subcommands to the ``liquid-sync`` parser's subcommands."""
    keys = commands.add_parser(
        "keys",
        help="list disabled API keys, or re-enable an account's key after fixing it",
        description="Accounts whose key Liquid rejected are skipped until re-enabled here.",
    )
    actions = keys.add_subparsers(dest="keys_action", required=True)
    actions.add_parser("list", help="list the accounts whose key is disabled, with the reason")
    enabling = actions.add_parser("enable", help="re-enable an account's key (fix the key first)")
    enabling.add_argument("accounts", nargs="+", metavar="ACCOUNT")


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed ``keys`` command; prints the outcome and returns 0."""
    if args.keys_action == "list":
        marks = disabled_keys()
        for mark in marks:
            print(mark.describe())
        if not marks:
            print("no disabled keys")
        return 0
    for account in args.accounts:
        mark = enable_key(account)
        if mark is None:
            print(f"account {account!r}: key was not disabled")
        else:
            print(f"account {account!r}: key {mark.token_id} re-enabled (was disabled: {mark.reason})")
    return 0
