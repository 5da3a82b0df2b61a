"""Request statistics of the emulator, per API token, for efficiency checks in tests.

Each request is filed under the token that made it (after its signature checked out),
under ``PUBLIC`` for public endpoints, or under ``UNAUTHENTICATED`` when no token could be
established. Paths are recorded without their query string. A dropped connection has
no status: it is counted under the outcome ``"dropped"``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

PUBLIC = "public"
UNAUTHENTICATED = "unauthenticated"
DROPPED = "dropped"


@dataclass
class _Tally:
    by_path: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)

    def to_json(self) -> dict:
        classes = Counter()
        for outcome, count in self.by_status.items():
            classes[DROPPED if outcome == DROPPED else f"{outcome[0]}xx"] += count
        return {
            "requests": sum(self.by_path.values()),
            "by_path": dict(sorted(self.by_path.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "by_class": dict(sorted(classes.items())),
            "rate_limited": self.by_status.get("429", 0),
        }


class RequestStats:
    """Thread-safe counters of requests by (who, path, outcome)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[str, _Tally] = {}

    def record(self, who: str, path: str, outcome: int | str) -> None:
        """Count one request; ``outcome`` is an HTTP status or ``DROPPED``."""
        with self._lock:
            tally = self._tallies.setdefault(who, _Tally())
            tally.by_path[path] += 1
            tally.by_status[str(outcome)] += 1

    def reset(self) -> None:
        with self._lock:
            self._tallies.clear()

    def to_json(self) -> dict:
        """``{"tokens": {token_id: tally}, "public": tally, "unauthenticated": tally}``.

        A tally is ``{"requests", "by_path", "by_status", "by_class", "rate_limited"}``;
        ``by_class`` keys are ``2xx``/``4xx``/``5xx``/``dropped``.
        """
        with self._lock:
            tallies = {who: tally.to_json() for who, tally in self._tallies.items()}
        empty = _Tally().to_json()
        return {
            "tokens": {who: t for who, t in sorted(tallies.items()) if who not in (PUBLIC, UNAUTHENTICATED)},
            PUBLIC: tallies.get(PUBLIC, empty),
            UNAUTHENTICATED: tallies.get(UNAUTHENTICATED, empty),
        }
