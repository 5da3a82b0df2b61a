"""Helper processes for the load tests.

``python -m tests.liquid_sync.load.workers kill '<json>'``: load a batch and SIGKILL itself
inside the transaction, right after the table ``kill_after`` is merged, or with ``kill_after``
``commit`` right after the commit, before the checkpoint (keys ``batch_dir``, ``warehouse``,
``kill_after``, ``wait_seconds``). Exits 3 if the point is never reached.

``python -m tests.liquid_sync.load.workers read <warehouse>``: an analyst: opens the warehouse
read-only, prints the number of trades, then prints it again for every line it reads on
stdin, until stdin closes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import duckdb

from liquid_sync.load import load_batch, loading
from liquid_sync.warehouse.writer import open_writer


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def writer_killed_after_commit(*args, **options):
    """``open_writer`` that dies once the load committed, before the checkpoint (the committed
    transaction is only in the write-ahead log)."""
    with open_writer(*args, **options) as session:
        session.con.execute("SET wal_autocheckpoint = '1TB'")
        yield session
        die()


def kill(args: dict) -> None:
    def maybe_die(table: str) -> None:
        if table == args["kill_after"]:
            die()

    if args["kill_after"] == "commit":
        loading.open_writer = writer_killed_after_commit
    load_batch(Path(args["batch_dir"]), warehouse_path=Path(args["warehouse"]), wait_seconds=args["wait_seconds"],
               on_step=maybe_die)
    sys.exit(3)


def read(warehouse: str) -> None:
    con = duckdb.connect(warehouse, read_only=True)
    print(con.execute("SELECT count(*) FROM trades").fetchall()[0][0], flush=True)
    for _ in sys.stdin:
        print(con.execute("SELECT count(*) FROM trades").fetchall()[0][0], flush=True)
    con.close()


if __name__ == "__main__":
    if sys.argv[1] == "kill":
        kill(json.loads(sys.argv[2]))
    else:
        read(sys.argv[2])
