"""``liquid-emulator``: run the Liquid API v2 emulator, write export files, drive a running server.

Subcommands:

* ``serve``: generate the accounts, write the credentials file (JSON list of
  ``{account, token_id, secret, permissions}``, mode 0600), print the base URL as the
  first line of stdout, serve until SIGINT/SIGTERM.
* ``export``: write the trades and ledger export files of a generated account.
* ``tokens``, ``advance``, ``revoke``, ``permissions``, ``faults``, ``stats``: admin
  requests to a running server (``--url``). Token secrets are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

import requests

from liquid_emulator.exchange import PERMISSIONS, AccountSpec, Exchange, validate_permissions
from liquid_emulator.faults import FaultConfig
from liquid_emulator.server import EmulatorServer

FAULT_OPTIONS = (
    ("seed", int, 0, "seed of the fault sequence"),
    ("error-rate", float, 0.0, "share of private requests answered 500/502/503"),
    ("slow-rate", float, 0.0, "share of private requests answered after the slow-seconds delay"),
    ("slow-seconds", float, 0.0, "delay of slow answers"),
    ("drop-rate", float, 0.0, "share of private requests whose connection is dropped"),
    ("malformed-rate", float, 0.0, "share of private requests answered with broken JSON"),
)
FAULT_FLAGS = (
    ("bogus-total-pages", "answer bogus total_pages (100000, 10000)"),
    ("number-drift", "decimals as JSON numbers, integers as strings"),
)


class CommandError(Exception):
    """A failure to report on stderr with exit status 1."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except CommandError as error:
        print(f"liquid-emulator {args.command}: {error}", file=sys.stderr)
        return 1


# serve


def serve(args: argparse.Namespace) -> int:
    specs = [AccountSpec("demo", args.seed, args.executions), *args.account]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise CommandError(f"account names must be unique, got {names}")
    try:
        faults = _fault_config(args, prefix="fault_")
        exchange = Exchange.create(specs, args.tokens_per_account, args.rate_limit, args.rate_window)
    except ValueError as error:
        raise CommandError(str(error)) from None
    exchange.set_faults(faults)
    credentials = [
        {"account": t.account, "token_id": t.token_id, "secret": t.secret, "permissions": t.permissions}
        for t in exchange.tokens
    ]
    write_private_json(args.credentials, credentials)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with EmulatorServer(exchange, args.host, args.port) as server:
        print(server.url, flush=True)
        print(
            f"liquid-emulator: serving {len(specs)} account(s) {names} with {len(credentials)} token(s); "
            f"credentials in {args.credentials}",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    return 0


def write_private_json(path: Path, value: object) -> None:
    """Write ``value`` as JSON to ``path`` atomically, readable by the owner only (0600)."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(value, out, indent=2)
            out.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _account_spec(text: str) -> AccountSpec:
    parts = text.split(":")
    if len(parts) != 3 or not parts[0]:
        raise argparse.ArgumentTypeError(f"expected NAME:SEED:EXECUTIONS, got {text!r}")
    try:
        return AccountSpec(parts[0], int(parts[1]), int(parts[2]))
    except ValueError:
        raise argparse.ArgumentTypeError(f"SEED and EXECUTIONS must be integers in {text!r}") from None


# export


def export(args: argparse.Namespace) -> int:
    from liquid_emulator import export as exports
    from liquid_emulator import history

    account = history.generate_account(args.seed, args.executions, name=args.account_name)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = exports.write_exports(account, args.out, args.since, args.until, args.omit_execution_ids)
    for label in ("trades", "crypto_ledger", "fiat_ledger"):
        print(getattr(paths, label))
    return 0


def _date_ms(text: str) -> int:
    """Midnight UTC of a ``YYYY-MM-DD`` date, in epoch milliseconds."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None
    return int(day.timestamp()) * 1000


# admin client


def _admin(args: argparse.Namespace, method: str, path: str, body: dict | None = None):
    url = args.url.rstrip("/") + "/_emulator" + path
    try:
        response = requests.request(method, url, json=body, timeout=args.timeout)
    except requests.RequestException as error:
        raise CommandError(f"cannot reach {url}: {error.__class__.__name__}") from None
    try:
        value = response.json()
    except ValueError:
        raise CommandError(f"{method} {url} answered {response.status_code} without JSON") from None
    if response.status_code >= 300:
        raise CommandError(f"{method} {url} answered {response.status_code}: {value.get('message', value)}")
    return value


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _print_token(token: dict) -> None:
    state = "revoked" if token["revoked"] else "active"
    print(f"{token['token_id']}\t{token['account']}\t{state}\t{','.join(token['permissions']) or '-'}")


def tokens(args: argparse.Namespace) -> int:
    for token in _admin(args, "GET", "/tokens"):
        _print_token(token)
    return 0


def advance(args: argparse.Namespace) -> int:
    body = {"days": args.days} if args.days is not None else {"seconds": args.seconds}
    _print_json(_admin(args, "POST", "/clock/advance", body))
    return 0


def revoke(args: argparse.Namespace) -> int:
    _print_token(_admin(args, "POST", f"/tokens/{args.token_id}/revoke"))
    return 0


def permissions(args: argparse.Namespace) -> int:
    try:
        names = validate_permissions(args.permissions)
    except ValueError as error:
        raise CommandError(str(error)) from None
    _print_token(_admin(args, "POST", f"/tokens/{args.token_id}/permissions", {"permissions": names}))
    return 0


def faults(args: argparse.Namespace) -> int:
    changed = args.clear or any(
        getattr(args, _dest(name)) is not None for name, *_ in FAULT_OPTIONS
    ) or any(getattr(args, _dest(name)) for name, _ in FAULT_FLAGS)
    if not changed:
        _print_json(_admin(args, "GET", "/faults"))
        return 0
    try:
        config = FaultConfig() if args.clear else _fault_config(args)
    except ValueError as error:
        raise CommandError(str(error)) from None
    _print_json(_admin(args, "POST", "/faults", config.to_json()))
    return 0


def stats(args: argparse.Namespace) -> int:
    if args.reset:
        _admin(args, "POST", "/stats/reset")
    else:
        _print_json(_admin(args, "GET", "/stats"))
    return 0


# options


def _dest(name: str, prefix: str = "") -> str:
    return prefix + name.replace("-", "_")


def _add_fault_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    flag_prefix = prefix.replace("_", "-")
    for name, kind, _default, help_text in FAULT_OPTIONS:
        parser.add_argument(f"--{flag_prefix}{name}", type=kind, dest=_dest(name, prefix), help=help_text)
    for name, help_text in FAULT_FLAGS:
        parser.add_argument(f"--{flag_prefix}{name}", action="store_true", dest=_dest(name, prefix), help=help_text)


def _fault_config(args: argparse.Namespace, prefix: str = "") -> FaultConfig:
    values = {}
    for name, _kind, default, _help in FAULT_OPTIONS:
        value = getattr(args, _dest(name, prefix))
        values[_dest(name)] = default if value is None else value
    for name, _help in FAULT_FLAGS:
        values[_dest(name)] = getattr(args, _dest(name, prefix))
    return FaultConfig(**values)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liquid-emulator",
        description="Run the Liquid API v2 emulator, write export files, drive a running emulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the emulator until SIGINT/SIGTERM")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=1, help="seed of the 'demo' account")
    p.add_argument("--executions", type=int, default=1500, help="executions of the 'demo' account")
    p.add_argument("--credentials", type=Path, required=True, help="where to write the tokens (JSON, 0600)")
    p.add_argument(
        "--account", type=_account_spec, action="append", default=[], metavar="NAME:SEED:EXECUTIONS",
        help="another account (repeatable)",
    )
    p.add_argument("--tokens-per-account", type=int, default=1)
    p.add_argument("--rate-limit", type=int, default=300, help="requests per window per token")
    p.add_argument("--rate-window", type=float, default=300.0, help="rate-limit window in seconds")
    _add_fault_options(p, prefix="fault_")
    p.set_defaults(run=serve)

    p = commands.add_parser("export", help="write a generated account's export files")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--executions", type=int, required=True)
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--since", type=_date_ms, help="first day included (YYYY-MM-DD, UTC)")
    p.add_argument("--until", type=_date_ms, help="first day excluded (YYYY-MM-DD, UTC)")
    p.add_argument("--account-name", default="demo")
    p.add_argument("--omit-execution-ids", action="store_true")
    p.set_defaults(run=export)

    def admin_parser(name: str, help_text: str, run) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--url", required=True, help="base URL of a running emulator")
        sub.add_argument("--timeout", type=float, default=30.0, help=argparse.SUPPRESS)
        sub.set_defaults(run=run)
        return sub

    admin_parser("tokens", "list tokens (id, account, state, permissions)", tokens)
    p = admin_parser("advance", "move the exchange clock forward", advance)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", type=float)
    when.add_argument("--seconds", type=float)
    p = admin_parser("revoke", "revoke a token", revoke)
    p.add_argument("token_id")
    p = admin_parser("permissions", "set a token's permissions", permissions)
    p.add_argument("token_id")
    p.add_argument("permissions", nargs="*", metavar="PERM", help=f"any of {', '.join(PERMISSIONS)} (none: no access)")
    p = admin_parser("faults", "show, set (--...) or --clear fault injection", faults)
    _add_fault_options(p)
    p.add_argument("--clear", action="store_true", help="turn every fault off")
    p = admin_parser("stats", "show (or --reset) request statistics", stats)
    p.add_argument("--reset", action="store_true")
    return parser


if __name__ == "__main__":
    sys.exit(main())
