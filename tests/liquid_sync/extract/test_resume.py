"""A run killed at a random page resumes from its last completed page and ends with the same
raw data and state as an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from liquid_sync.extract import extract_account
from liquid_sync.extract.layout import Layout
from liquid_sync.extract.manifest import Manifest
from liquid_sync.extract.state import load_state
from tests.liquid_sync.emulator import raw_rows

ROOT = Path(__file__).resolve().parents[3]


def run_until_killed(emulator, data_dir: Path, kill_at: int, where: str) -> None:
    token = emulator.token("alpha")
    args = {"url": emulator.url, "token_id": token.token_id, "account": "alpha", "data_dir": str(data_dir),
            "run_id": "r", "kill_at": kill_at, "where": where}
    done = subprocess.run(
        [sys.executable, "-m", "tests.liquid_sync.extract.kill_worker", json.dumps(args)],
        cwd=ROOT, env={**os.environ, "LIQUID_TEST_SECRET": token.secret}, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


@pytest.mark.parametrize("seed, where", [(1, "after_page"), (2, "before_record"), (3, "mid_write")])
def test_resume_after_a_kill_gives_the_same_raw_data(emulator, tmp_path, seed, where):
    reference = tmp_path / "reference"
    expected = extract_account("alpha", emulator.client("alpha", 1), "full", "r", reference)
    total_pages = sum(expected["pages"].values())
    kill_at = random.Random(seed).randint(1, total_pages - 1)

    killed = tmp_path / "killed"
    run_until_killed(emulator, killed, kill_at, where)
    manifest = Manifest.open(Layout(killed).manifest_path("alpha", "r"))
    assert manifest.finished is None
    assert len(manifest.pages) == (kill_at if where == "after_page" else kill_at - 1)

    resumed = extract_account("alpha", emulator.client("alpha"), "full", "r", killed)

    assert resumed["status"] == "completed"
    assert raw_rows(killed, "alpha", "r") == raw_rows(reference, "alpha", "r")
    assert load_state(Layout(killed).state_path("alpha")) == load_state(Layout(reference).state_path("alpha"))
    assert resumed["pages"] == expected["pages"] and resumed["records"] == expected["records"]
    assert not list(killed.rglob("*.tmp")), "temporary files of the killed attempt are cleaned up"
