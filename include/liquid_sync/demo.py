"""``python -m liquid_sync.demo`` (``make demo``): the whole job, end to end, on the emulator.

``run`` (the default): starts the Liquid API emulator with one account (``demo``), puts two
overlapping sets of Liquid's export files of that account in the inbox, runs the
``liquid_sync`` DAG once with ``airflow dags test`` (SQLite metadata in the demo folder), then
prints the run summary (what was imported, extracted, de-duplicated, validated, loaded and
reconciled), a few queries on the warehouse, and how to open the Airflow UI. Everything lives
in a fresh folder (default ``data/demo`` in the project; an earlier demo's folder is emptied
first, any other non-empty folder refused), printed at the end; the emulator stops when the demo
ends. Exit status 1 when the run failed.

``ui``: the same emulator account, and ``airflow standalone`` on the demo folder's Airflow
home, with the emulator's connection set up, to trigger runs by hand; Ctrl-C stops both.

``register``: for the emulator service of ``docker-compose.yaml``: waits for the emulator's
credentials file, then stores one Airflow Connection per account (``liquid_<account>``) in the
metadata database with ``airflow connections import --overwrite``.

Token secrets are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from liquid_emulator.exchange import AccountSpec, Exchange
from liquid_emulator.export import write_exports
from liquid_emulator.server import EmulatorServer
from liquid_sync import warehouse
from liquid_sync.orchestration import local_airflow, settings, summary

ACCOUNT = "demo"
DEFAULT_DIR = local_airflow.PROJECT_ROOT / "data" / "demo"
MARKER = ".liquid-sync-demo"
QUERIES = (
    ("Balances from the ledger",
     "SELECT currency, sum(amount) AS balance FROM ledger GROUP BY currency ORDER BY currency"),
    ("Trades by how they arrived (api+file: one trade seen both ways)",
     "SELECT source, count(*) AS trades FROM trades GROUP BY source ORDER BY source"),
    ("Trades per month, with how many fees are exact (from an export file) (latest 6 months)",
     "SELECT strftime(occurred_at, '%Y-%m') AS month, count(*) AS trades,"
     " count(*) FILTER (WHERE NOT fee_estimated) AS exact_fees FROM trades GROUP BY month ORDER BY month DESC LIMIT 6"),
)


class Demo:
    """The demo folder: ``data/`` (``LIQUID_DATA_DIR``, with the warehouse), ``airflow/``
    (``AIRFLOW_HOME``) and ``logs/``."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.home = root / "airflow"
        self.logs = root / "logs"

    def environment(self, url: str, exchange: Exchange, extra: dict[str, str]) -> dict[str, str]:
        connections = local_airflow.emulator_connections([t.to_json() for t in exchange.tokens], url)
        return local_airflow.airflow_environment(self.home, self.data, connections, extra=extra)


def _exchange(seed: int, executions: int) -> Exchange:
    return Exchange.create([AccountSpec(ACCOUNT, seed, executions)])


def _step(text: str) -> float:
    print(text, flush=True)
    return time.monotonic()


def _done(started: float) -> None:
    print(f"    done in {time.monotonic() - started:.1f} s", flush=True)


def _write_inbox(demo: Demo, exchange: Exchange) -> list[Path]:
    """Two export sets of the account: the first two thirds of its history, and the last two
    thirds (the middle third is in both)."""
    account = exchange.account(ACCOUNT)
    start, end = account.created_at_ms, account.now_ms
    third = (end - start) // 3
    inbox = demo.data / "inbox" / ACCOUNT
    earlier = write_exports(account, inbox, start, start + 2 * third)
    later = write_exports(account, inbox, start + third, end + 1)
    return [*earlier, *later]


def _fresh_folder(root: Path) -> None:
    """Empty ``root`` for a new demo; a folder that is not an earlier demo's is never deleted."""
    marker = root / MARKER
    if root.exists() and any(root.iterdir()):
        if not marker.exists():
            raise SystemExit(f"{root} is not empty and not a Liquid Sync demo folder; choose another --dir")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    marker.touch()


def run(root: Path, seed: int, executions: int) -> int:
    demo = Demo(root)
    _fresh_folder(root)
    demo.logs.mkdir()
    print(f"Liquid Sync demo in {root}\n")
    exchange = _exchange(seed, executions)
    with EmulatorServer(exchange) as server:
        token = exchange.tokens[0]
        print(f"1. Liquid API emulator at {server.url}: account {ACCOUNT!r} ({executions} executions), "
              f"API token {token.token_id} in Airflow Connection {settings.connection_id(ACCOUNT)}")
        print(f"2. Export files of {ACCOUNT!r} in the inbox, two overlapping date ranges:")
        for path in _write_inbox(demo, exchange):
            print(f"     {path.relative_to(root)}")
        env = demo.environment(server.url, exchange, {settings.RETRIES_VARIABLE: "0"})
        started = _step(f"3. airflow db migrate (SQLite in {demo.home.relative_to(root)}/)")
        local_airflow.airflow(["db", "migrate"], env, log_path=demo.logs / "airflow-db-migrate.log")
        _done(started)
        log = demo.logs / "airflow-dags-test.log"
        started = _step(f"4. airflow dags test liquid_sync (log: {log.relative_to(root)})")
        try:
            local_airflow.airflow(local_airflow.dags_test_command({}), env, log_path=log)
            failed = False
        except subprocess.CalledProcessError:
            failed = True
        _done(started)
    print()
    reports = sorted(summary.summaries_dir(demo.data).glob("*.json"))
    if reports:
        print(summary.render(json.loads(reports[-1].read_text(encoding="utf-8"))))
    if failed:
        print(f"\nThe run failed; see {log}")
        return 1
    _show_queries(demo)
    _show_next_steps(demo)
    return 0


def _show_queries(demo: Demo) -> None:
    path = demo.data / "warehouse.duckdb"
    print(f"\nQuery the warehouse read-only (syncs can run meanwhile): {path}")
    con = warehouse.connect(path, read_only=True)
    try:
        for title, query in QUERIES:
            print(f"\n  {title}:\n  {query}")
            print("\n".join("  " + line for line in str(con.sql(query)).splitlines()))
    finally:
        con.close()
    python = Path(sys.executable)
    print(f"\n  From Python: {python} -c \"import duckdb; "
          f"print(duckdb.connect('{path}', read_only=True).sql('SELECT * FROM trades LIMIT 5'))\"")
    print("  Tables and views: trades, orders, withdrawals, deposits, ledger (docs/warehouse.md)")


def _show_next_steps(demo: Demo) -> None:
    python = Path(sys.executable)
    print(f"\nTrigger runs by hand in the Airflow UI (airflow standalone on this demo's data, "
          f"with the emulator connection):\n  {python} -m liquid_sync.demo ui --dir {demo.root}\n"
          "  then open http://localhost:8080, pick liquid_sync, press Trigger and fill in the form "
          "(mode, accounts, start date, accounts to re-enable); Ctrl-C stops it.")
    print(f"\nEverything of this demo is in {demo.root} (delete it when done).")


def ui(root: Path, seed: int, executions: int, port: int) -> int:
    demo = Demo(root)
    demo.logs.mkdir(parents=True, exist_ok=True)
    exchange = _exchange(seed, executions)
    with EmulatorServer(exchange) as server:
        env = demo.environment(server.url, exchange, {
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__PARALLELISM": "4",
        })
        print(f"Liquid API emulator at {server.url} (account {ACCOUNT!r}); data in {demo.data}")
        log = demo.logs / "airflow-ui-setup.log"
        for command in (["db", "migrate"], ["dags", "reserialize"], ["dags", "unpause", local_airflow.DAG_ID]):
            local_airflow.airflow(command, env, log_path=log)
        print(f"Starting airflow standalone on http://localhost:{port} (everyone is admin; liquid_sync is "
              "switched on: weekly runs on Mondays 03:00 UTC, and runs you trigger); Ctrl-C stops it.", flush=True)
        return _run_until_interrupted([sys.executable, "-m", "airflow", "standalone"], env)


def _run_until_interrupted(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` in its own session until it ends, or until Ctrl-C or SIGTERM: then it
    gets one SIGINT (``airflow standalone`` stops its components on it) and is waited for.
    SIGINT is handled here before the start, so the command does not inherit it ignored (as a
    background job's is)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return 0


def register(credentials: Path, url: str, wait_seconds: float) -> int:
    deadline = time.monotonic() + wait_seconds
    while not credentials.exists():
        if time.monotonic() > deadline:
            print(f"no credentials file {credentials} after {wait_seconds:.0f} s", file=sys.stderr)
            return 1
        time.sleep(0.5)
    tokens = json.loads(credentials.read_text(encoding="utf-8"))
    connections = {
        settings.connection_id(name): json.loads(text)
        for name, text in local_airflow.emulator_connections(tokens, url).items()
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "connections.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps(connections), encoding="utf-8")
        local_airflow.airflow(["connections", "import", "--overwrite", str(path)], os.environ)
    print(f"Airflow connections for {url}: {', '.join(connections)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liquid_sync.demo", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    for name, text in (("run", "run the demo (the default)"), ("ui", "airflow standalone on the demo's data")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"demo folder (default {DEFAULT_DIR})")
        sub.add_argument("--seed", type=int, default=7)
        sub.add_argument("--executions", type=int, default=3000)
        if name == "ui":
            sub.add_argument("--port", type=int, default=8080)
    registering = commands.add_parser("register", help="store the emulator's tokens as Airflow connections")
    registering.add_argument("--credentials", type=Path, required=True, help="the emulator's credentials file")
    registering.add_argument("--url", required=True, help="the emulator's URL as the workers reach it")
    registering.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the credentials file")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv or ["run"])
    if args.command == "register":
        return register(args.credentials, args.url, args.wait)
    if args.command == "ui":
        return ui(args.dir.resolve(), args.seed, args.executions, args.port)
    return run(args.dir.resolve(), args.seed, args.executions)


if __name__ == "__main__":
    sys.exit(main())
