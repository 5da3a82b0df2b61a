"""One measurement in a fresh Python process, so that its peak memory is its own.

``measure(function, log_path, **kwargs)`` runs ``python bench/child_process.py MODULE FUNCTION``
with the keyword arguments as JSON on stdin. The child imports ``MODULE`` (a file of
``bench/``), calls the function and prints its result, a JSON-serialisable dict, with
``peak_rss_mib`` added: the child's peak resident memory (``VmHWM``; the interpreter and the
libraries it imported included). A token secret travels in the environment variable
``BENCH_TOKEN_SECRET``, never on a command line. The child's log goes to ``log_path``.

The per-stage scripts use ``spawned(target, *args)`` instead: ``target(*args, out)`` in a
spawned process that puts its result on queue ``out``.
"""

from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SECRET_VARIABLE = "BENCH_TOKEN_SECRET"


class ChildFailed(RuntimeError):
    """The measured process exited with an error; the message ends with its log's last lines."""


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux ``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(function: Callable[..., dict], log_path: Path, secret: str | None = None, **kwargs) -> dict:
    """``function(**kwargs)`` in a child process; its result with ``peak_rss_mib``."""
    env = dict(os.environ)
    if secret is not None:
        env[SECRET_VARIABLE] = secret
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log:
        completed = subprocess.run(
            [sys.executable, __file__, function.__module__, function.__name__],
            input=json.dumps(kwargs), stdout=subprocess.PIPE, stderr=log, text=True, env=env,
            cwd=Path(__file__).parent,
        )
    if completed.returncode != 0:
        tail = "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
        raise ChildFailed(f"{function.__module__}.{function.__name__} exited with {completed.returncode}; "
                          f"log {log_path}:\n{tail}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def spawned(target: Callable[..., None], *args):
    """What ``target(*args, out)``, run in a spawned process, put on queue ``out``."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=target, args=(*args, out))
    child.start()
    result = out.get()
    child.join()
    if child.exitcode:
        raise SystemExit(f"{target.__name__} failed with exit code {child.exitcode}")
    return result


def token_secret() -> str:
    return os.environ[SECRET_VARIABLE]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    module, function = sys.argv[1], sys.argv[2]
    kwargs = json.loads(sys.stdin.read())
    result = getattr(importlib.import_module(module), function)(**kwargs)
    print(json.dumps({**result, "peak_rss_mib": round(peak_rss_mib(), 1)}), flush=True)


if __name__ == "__main__":
    main()
