"""Run one extraction and SIGKILL itself at a chosen point (a helper process for test_resume).

Usage: ``python -m tests.liquid_sync.extract.kill_worker '<json>'`` with keys ``url``,
``token_id``, ``account``, ``data_dir``, ``run_id``, ``kill_at`` (the n-th page) and ``where``:
``after_page`` (the page is recorded in the manifest), ``before_record`` (its Parquet file is
written, the manifest line is not) or ``mid_write`` (its temporary Parquet file is written,
not yet renamed). The token secret comes from ``LIQUID_TEST_SECRET``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from liquid_sync.extract import extract_account, files
from liquid_sync.extract.manifest import Manifest
from liquid_sync.liquid_client import LiquidClient


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    args = json.loads(sys.argv[1])
    client = LiquidClient(args["url"], args["token_id"], os.environ["LIQUID_TEST_SECRET"], account=args["account"])
    pages = {"n": 0}

    def count_and_maybe_die(*_):
        pages["n"] += 1
        if pages["n"] == args["kill_at"]:
            die()

    on_page = None
    if args["where"] == "after_page":
        on_page = count_and_maybe_die
    elif args["where"] == "before_record":
        add_page = Manifest.add_page

        def add_page_or_die(self, event):
            count_and_maybe_die()
            add_page(self, event)

        Manifest.add_page = add_page_or_die
    elif args["where"] == "mid_write":
        replace = files.os.replace

        def replace_or_die(source, target):
            if str(target).endswith(".parquet"):
                count_and_maybe_die()
            replace(source, target)

        files.os.replace = replace_or_die
    extract_account(args["account"], client, "full", args["run_id"], Path(args["data_dir"]), on_page=on_page)
    sys.exit(3)  # reaching the end means the kill point was never met


if __name__ == "__main__":
    main()
