"""The ``liquid-sync`` command.

``liquid-sync import [--account NAME] FILE_OR_DIR...`` imports export files (a folder's
``*.csv`` files); without ``--account`` each file's account is read from its name.
``liquid-sync import --inbox`` imports ``<LIQUID_DATA_DIR>/inbox/<account>/*.csv``.
``liquid-sync edit set|clear|delete|restore|list ...`` manages user edits (``liquid_sync.edits``).
``liquid-sync keys list|enable ACCOUNT...`` shows and clears disabled API keys
(``liquid_sync.key_commands``).

One line per file: its outcome (imported / already imported / rejected) and details; then
a total. Exit status: 0 when no file was rejected, 1 when one or more were, 2 for a usage
error, 3 when the warehouse cannot be opened (for example, another process is writing it).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import duckdb

from liquid_sync import config, edits, key_commands
from liquid_sync.imports import ALREADY_IMPORTED, IMPORTED, REJECTED, FileOutcome, import_files, import_inbox
from liquid_sync.warehouse.writer import WarehouseBusy

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_WAREHOUSE = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liquid-sync", description="Liquid exchange histories into DuckDB.")
    commands = parser.add_subparsers(dest="command", required=True)
    importing = commands.add_parser(
        "import",
        help="import Liquid export files (trades, crypto ledger, fiat ledger)",
        description="Import Liquid export files into the warehouse; a file already imported is skipped.",
    )
    importing.add_argument("paths", nargs="*", type=Path, metavar="FILE_OR_DIR", help="files, or folders of *.csv")
    importing.add_argument("--account", help="account the files belong to (default: from each file name)")
    importing.add_argument(
        "--inbox", action="store_true", help="import <LIQUID_DATA_DIR>/inbox/<account>/*.csv instead of paths"
    )
    edits.add_commands(commands)
    key_commands.add_commands(commands)
    return parser


def _report(outcomes: list[FileOutcome]) -> int:
    for outcome in outcomes:
        print(f"{outcome.status:<16} {outcome.path}: {outcome.summary()}")
    counts = Counter(outcome.status for outcome in outcomes)
    print(
        f"{len(outcomes)} files: {counts[IMPORTED]} imported, {counts[ALREADY_IMPORTED]} already imported,"
        f" {counts[REJECTED]} rejected"
    )
    return EXIT_REJECTED if counts[REJECTED] else EXIT_OK


def _import(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.inbox and (args.paths or args.account):
        parser.error("--inbox takes no paths and no --account (the account is the inbox subfolder)")
    if not args.inbox and not args.paths:
        parser.error("give files or folders to import, or --inbox")
    try:
        outcomes = import_inbox() if args.inbox else import_files(args.paths, account=args.account)
    except (WarehouseBusy, duckdb.IOException) as error:
        print(f"cannot open the warehouse {config.warehouse_path()}: {error}", file=sys.stderr)
        return EXIT_WAREHOUSE
    if args.inbox and not outcomes:
        print(f"no files in {config.inbox_dir()}/<account>/")
    return _report(outcomes)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "edit":
        return edits.run_command(args)
    if args.command == "keys":
        return key_commands.run_command(args)
    return _import(args, parser)


if __name__ == "__main__":
    sys.exit(main())
