"""Seeded fault injection for Liquid's private endpoints.

Each private request draws one ``FaultPlan`` from a ``random.Random`` seeded by the
configuration, so a given seed and request order always give the same faults:

* ``error``: a 500/502/503 answer with a body, instead of the real answer;
* ``drop``: the connection is closed, either before any byte of the answer or in the
  middle of its body;
* ``malformed``: a 200 answer whose JSON is truncated or syntactically invalid;
* ``slow``: the real answer, after a sleep of ``slow_seconds``.

``bogus_total_pages`` and ``number_drift`` are not drawn: while enabled they shape every
private answer (see ``render.Numbers`` and ``api``).
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import asdict, dataclass, fields

DRAWN_RATES = ("error_rate", "drop_rate", "malformed_rate", "slow_rate")
ERROR_STATUSES = (500, 502, 503)
BOGUS_TOTAL_PAGES = (100000, 10000)


@dataclass(frozen=True)
class FaultConfig:
    """What to inject; the four ``*_rate`` are probabilities per request and sum to <= 1."""

    seed: int = 0
    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    bogus_total_pages: bool = False
    number_drift: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"faults: seed must be an integer, got {self.seed!r}")
        for name in (*DRAWN_RATES, "slow_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"faults: {name} must be a number, got {value!r}")
            if value < 0 or (name != "slow_seconds" and value > 1):
                raise ValueError(f"faults: {name} out of range: {value!r}")
        total = sum(getattr(self, name) for name in DRAWN_RATES)
        if total > 1:
            raise ValueError(f"faults: {' + '.join(DRAWN_RATES)} = {total} exceeds 1")
        for name in ("bogus_total_pages", "number_drift"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"faults: {name} must be true or false, got {getattr(self, name)!r}")

    @classmethod
    def from_json(cls, data: object) -> FaultConfig:
        """Build from a JSON object; absent keys take their defaults, unknown keys are an error."""
        if not isinstance(data, dict):
            raise ValueError("faults: expected a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"faults: unknown settings {unknown}; known: {sorted(known)}")
        return cls(**data)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FaultPlan:
    """The fault chosen for one request. ``kind`` is ``none|error|drop|malformed|slow``.

    ``variant`` is ``before_response|mid_body`` for a drop and ``truncated|invalid`` for
    malformed JSON; ``cut_fraction`` is where a body is cut.
    """

    kind: str = "none"
    status: int = 200
    delay_seconds: float = 0.0
    variant: str = ""
    cut_fraction: float = 0.5


NO_FAULT = FaultPlan()


class FaultInjector:
    """Thread-safe source of ``FaultPlan``s; ``configure`` restarts the seeded sequence."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)

    @property
    def config(self) -> FaultConfig:
        return self._config

    def draw(self) -> FaultPlan:
        with self._lock:
            config, rng = self._config, self._rng
            if not any(getattr(config, name) for name in DRAWN_RATES):
                return NO_FAULT
            u = rng.random()
            if u < config.error_rate:
                return FaultPlan("error", status=rng.choice(ERROR_STATUSES))
            u -= config.error_rate
            if u < config.drop_rate:
                variant = rng.choice(("before_response", "mid_body"))
                return FaultPlan("drop", variant=variant, cut_fraction=rng.uniform(0.1, 0.9))
            u -= config.drop_rate
            if u < config.malformed_rate:
                variant = rng.choice(("truncated", "invalid"))
                return FaultPlan("malformed", variant=variant, cut_fraction=rng.uniform(0.1, 0.9))
            u -= config.malformed_rate
            if u < config.slow_rate:
                return FaultPlan("slow", delay_seconds=config.slow_seconds)
            return NO_FAULT

    def total_pages(self, real: int) -> int:
        """``real`` unless ``bogus_total_pages`` is on, then one of Liquid's bogus values."""
        with self._lock:
            if not self._config.bogus_total_pages:
                return real
            return self._rng.choice(BOGUS_TOTAL_PAGES)


def error_body(status: int) -> tuple[bytes, str]:
    """Body and content type of an injected 5xx, shaped like what sits in front of an API."""
    if status == 502:
        html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return html.encode(), "text/html"
    if status == 503:
        return b"Service Unavailable", "text/plain; charset=utf-8"
    return b'{"message":"Internal Server Error"}', "application/json; charset=utf-8"


def cut_length(body: bytes, fraction: float) -> int:
    """A length strictly inside ``body`` (at least 1 byte, at least 1 byte short)."""
    return min(max(1, int(len(body) * fraction)), max(1, len(body) - 1))


def malform(body: bytes, plan: FaultPlan) -> bytes:
    """The JSON ``body`` made unparseable: cut short, or with a stray comma after its first byte."""
    if plan.variant == "truncated":
        return body[: cut_length(body, plan.cut_fraction)]
    return body[:1] + b"," + body[1:]
