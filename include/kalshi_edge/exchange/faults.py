"""Seeded fault injection for the simulator (``--faults SPEC``).

SPEC is a comma list of ``kind:rate`` (rate = probability per opportunity, 0..1), or ``all``
(every kind at a moderate rate), or ``none``. Kinds:

=========  ==============================================================================
``429``    a request is refused with 429; a burst of 1–3 further requests is refused too
``5xx``    a request fails with 500/502/503 *before* it is handled (no side effect)
``slow``   a response is delayed by ``slow_seconds`` (default 0.3 s)
``lost``   an order create/cancel is executed, then the response is lost: the connection is
           closed without a reply, or a 504 is returned (the client cannot know it happened)
``ws_drop`` a WebSocket connection is closed before sending a message
``seq_gap`` an ``orderbook_delta`` message is not sent but its ``seq`` is consumed (a gap)
=========  ==============================================================================

Example: ``429:0.1,5xx:0.05,slow:0.05,lost:0.05,ws_drop:0.01,seq_gap:0.02``. All draws come
from one ``random.Random(seed)``, so a seeded run injects the same faults for the same traffic.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("429", "5xx", "slow", "lost", "ws_drop", "seq_gap")
ALL_RATES = {"429": 0.05, "5xx": 0.05, "slow": 0.05, "lost": 0.05, "ws_drop": 0.01, "seq_gap": 0.02}


class FaultSpecError(ValueError):
    """``--faults`` is malformed (the message names the bad item)."""


@dataclass(frozen=True)
class FaultSpec:
    """Rates per fault kind (probability per opportunity)."""

    rates: dict[str, float] = field(default_factory=dict)
    slow_seconds: float = 0.3

    @classmethod
    def parse(cls, spec: str | None, *, slow_seconds: float = 0.3) -> FaultSpec:
        """Parse ``"429:0.1,5xx:0.05"``, ``"all"``, ``"none"`` or ``None``."""
        if spec is None or spec.strip().lower() in ("", "none", "off"):
            return cls({}, slow_seconds)
        rates: dict[str, float] = {}
        for i, item in enumerate(p.strip() for p in spec.split(",")):
            if not item:
                continue
            if item.lower() == "all":
                rates.update(ALL_RATES)
                continue
            kind, sep, rate_s = item.partition(":")
            if kind not in KINDS:
                raise FaultSpecError(f"--faults item {i + 1} {item!r}: unknown kind {kind!r} (known: {', '.join(KINDS)}, all)")
            if not sep:
                rate = ALL_RATES[kind]
            else:
                try:
                    rate = float(rate_s)
                except ValueError:
                    raise FaultSpecError(f"--faults item {i + 1} {item!r}: rate {rate_s!r} is not a number") from None
            if not 0.0 <= rate <= 1.0:
                raise FaultSpecError(f"--faults item {i + 1} {item!r}: rate must be within 0..1")
            rates[kind] = rate
        return cls(rates, slow_seconds)

    def rate(self, kind: str) -> float:
        return self.rates.get(kind, 0.0)

    @property
    def enabled(self) -> bool:
        return any(r > 0 for r in self.rates.values())


class FaultInjector:
    """Draws faults from a seeded RNG (thread-safe). Counts what it injected in ``injected``."""

    def __init__(self, spec: FaultSpec | None = None, seed: int = 0) -> None:
        self.spec = spec or FaultSpec()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._burst = 0
        self.injected: dict[str, int] = dict.fromkeys(KINDS, 0)

    def _hit(self, kind: str) -> bool:
        r = self.spec.rate(kind)
        if r <= 0:
            return False
        with self._lock:
            hit = self._rng.random() < r
            if hit:
                self.injected[kind] += 1
            return hit

    def before_request(self) -> tuple[str, int] | None:
        """A fault to answer instead of handling: ``("429", 429)`` or ``("5xx", code)``, else None."""
        with self._lock:
            if self._burst > 0:
                self._burst -= 1
                self.injected["429"] += 1
                return ("429", 429)
        if self._hit("429"):
            with self._lock:
                self._burst = self._rng.randint(1, 3)
            return ("429", 429)
        if self._hit("5xx"):
            with self._lock:
                return ("5xx", self._rng.choice((500, 502, 503)))
        return None

    def slow(self) -> float:
        """Seconds to delay this response (0 = none)."""
        return self.spec.slow_seconds if self._hit("slow") else 0.0

    def lose(self) -> str | None:
        """After an order was executed: ``"close"`` (drop connection), ``"504"``, or None."""
        if not self._hit("lost"):
            return None
        with self._lock:
            return self._rng.choice(("close", "504"))

    def ws_drop(self) -> bool:
        return self._hit("ws_drop")

    def seq_gap(self) -> bool:
        return self._hit("seq_gap")
