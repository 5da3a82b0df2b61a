"""Helper processes of the fault suite (token secrets come from the environment variable
``FAULT_TEST_SECRETS``, ``{token_id: secret}``, never from the command line).

``python -m tests.faults.workers kill '<json>'``: one stage of a sync (``scenario``) that
SIGKILLs itself at a chosen point. Keys: ``stage`` (``extract``, ``transform`` or ``load``),
``point`` (``kill_point``), ``site`` (the site's root), ``url``, ``run_id``, ``tokens``
(``{account: token_id}``) and, for the transform, ``runs`` (the extraction summaries).
Kill points:

* extract: after the ``page``-th page of the extraction of every account in turn (the page
  is written and recorded);
* transform: ``before`` or ``after`` the ``nth`` call of a function of the transform (each
  SQL step, each table file written, the manifest, the rename of the batch into place);
* load: inside the load's transaction after a table is merged (``on_step``), just before the
  transaction, or right after its commit, before the checkpoint.

Exits with status 3 when the point is never reached.

``python -m tests.faults.workers poll '<json>'``: an analyst querying the warehouse (key
``warehouse``) over and over, each time with a new read-only connection, until the file
``stop`` exists; prints one line per attempt: the numbers of trades and of loaded batches, or
``busy`` when a writer held the file.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from liquid_emulator.exchange import Token
from liquid_sync.extract import extract_account
from liquid_sync.load import load_batch, loading
from liquid_sync.transform import transform
from liquid_sync.transform.batch import TABLES, batch_dir
from tests.faults.scenario import ACCOUNTS, Site, batch_id, client_for
from tests.liquid_sync.load.workers import writer_killed_after_commit

SECRETS_VARIABLE = "FAULT_TEST_SECRETS"
POLL_SECONDS = 0.02
STAGES = ("extract", "transform", "load")

_TRANSFORM = "liquid_sync.transform.transformation"
TRANSFORM_POINTS = [
    *({"module": "liquid_sync.transform.api_tables", "function": f, "when": "after", "nth": 1}
      for f in ("orders", "executions", "withdrawals", "balances", "products")),
    *({"module": "liquid_sync.transform.trades", "function": f, "when": "after", "nth": 1}
      for f in ("api_executions_with_orders", "allocate_fees", "file_trades", "match", "rebates", "trades",
                "dedup_matches", "review_queue")),
    *({"module": "liquid_sync.transform.movements", "function": f, "when": "after", "nth": 1}
      for f in ("withdrawals", "deposits")),
    *({"module": _TRANSFORM, "function": "table_path", "when": "before", "nth": n} for n in range(1, len(TABLES) + 1)),
    {"module": _TRANSFORM, "function": "write_manifest", "when": "after", "nth": 1},
    {"module": _TRANSFORM, "function": "fsync_dir", "when": "before", "nth": 1},
    {"module": _TRANSFORM, "function": "fsync_dir", "when": "after", "nth": 1},
]
LOAD_POINTS = [
    {"where": "before_transaction"},
    *({"where": "after_table", "table": t.name} for t in TABLES),
    {"where": "after_commit"},
]


PROJECT_ROOT = Path(__file__).resolve().parents[2]


def launch(command: str, args: dict, tokens: dict[str, Token], log_path: Path) -> subprocess.Popen:
    """Start ``python -m tests.faults.workers COMMAND`` with ``args`` plus the ids of ``tokens``
    (``{account: Token}``), their secrets in the environment; stderr goes to ``log_path``,
    stdout is a pipe."""
    args = {**args, "tokens": {account: token.token_id for account, token in tokens.items()}}
    env = {**os.environ, SECRETS_VARIABLE: json.dumps({t.token_id: t.secret for t in tokens.values()})}
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.faults.workers", command, json.dumps(args)], env=env,
                                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=log, text=True)


def kill_point(stage: str, rng: random.Random, pages: int) -> dict:
    """A point of ``stage`` drawn with ``rng``; ``pages``: the pages the extraction makes."""
    if stage == "extract":
        return {"page": rng.randint(1, pages)}
    return dict(rng.choice(TRANSFORM_POINTS if stage == "transform" else LOAD_POINTS))


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _dying(original, when: str, nth: int):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if when == "before" and calls["n"] == nth:
            die()
        result = original(*args, **kwargs)
        if when == "after" and calls["n"] == nth:
            die()
        return result

    return wrapper


def _tokens(args: dict) -> dict[str, Token]:
    secrets = json.loads(os.environ[SECRETS_VARIABLE])
    return {account: Token(account, token_id, secrets[token_id], []) for account, token_id in args["tokens"].items()}


def extract(args: dict, site: Site) -> None:
    pages = {"n": 0}

    def count_and_maybe_die(_event) -> None:
        pages["n"] += 1
        if pages["n"] == args["point"]["page"]:
            die()

    for account in ACCOUNTS:
        token = _tokens(args)[account]
        extract_account(account, client_for(args["url"], token), "incremental", args["run_id"], site.data_dir,
                        warehouse_path=site.warehouse, on_page=count_and_maybe_die)


def transform_batch(args: dict, site: Site) -> None:
    point = args["point"]
    module = importlib.import_module(point["module"])
    setattr(module, point["function"], _dying(getattr(module, point["function"]), point["when"], point["nth"]))
    transform(args["runs"], batch_id(args["run_id"]), data_dir=site.data_dir, warehouse_path=site.warehouse)


def load(args: dict, site: Site) -> None:
    point = args["point"]
    if point["where"] == "after_commit":
        loading.open_writer = writer_killed_after_commit
    elif point["where"] == "before_transaction":
        loading.last_loaded_batch = _dying(loading.last_loaded_batch, "after", 1)

    def maybe_die(table: str) -> None:
        if point["where"] == "after_table" and table == point["table"]:
            die()

    load_batch(batch_dir(site.data_dir, batch_id(args["run_id"])), warehouse_path=site.warehouse, on_step=maybe_die)


def kill(args: dict) -> None:
    site = Site(Path(args["site"]))
    {"extract": extract, "transform": transform_batch, "load": load}[args["stage"]](args, site)
    sys.exit(3)  # reaching the end means the kill point was never met


def poll(args: dict) -> None:
    stop = Path(args["stop"])
    while not stop.exists():
        try:
            con = duckdb.connect(args["warehouse"], read_only=True)
        except duckdb.IOException:
            print("busy", flush=True)
            continue
        try:
            counts = [con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("trades", "load_batches")]
        finally:
            con.close()
        print(" ".join(map(str, counts)), flush=True)
        time.sleep(POLL_SECONDS)


def main() -> None:
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    {"kill": kill, "poll": poll}[sys.argv[1]](json.loads(sys.argv[2]))


if __name__ == "__main__":
    main()
