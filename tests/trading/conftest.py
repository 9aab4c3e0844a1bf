"""Shared builders for trading tests. Books here are synthetic on purpose: each test needs one
exact situation (a given spread, age or edge) that recorded data does not isolate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def snap(ticker: str = "KXHIGHNY-26MAR01-B45.5", bid: str | None = "0.40", ask: str | None = "0.42", *,
         age_s: float = 1.0, close_in_s: float = 6 * 3600, status: str = "active") -> MarketSnapshot:
    return MarketSnapshot(
        ticker=ticker, yes_bid=Decimal(bid) if bid is not None else None,
        yes_ask=Decimal(ask) if ask is not None else None, quote_ts=NOW - timedelta(seconds=age_s),
        close_time=NOW + timedelta(seconds=close_in_s), status=status,
    )


def prob(ticker: str = "KXHIGHNY-26MAR01-B45.5", p: float = 0.6, *, confidence: float = 0.9,
         inputs_age_s: float = 0.0) -> ModelProbability:
    return ModelProbability(ticker=ticker, p_yes=p, as_of=NOW, inputs_age_s=inputs_age_s, confidence=confidence)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def sim():
    """The built-in scenario's simulator on loopback with a manual clock (``sim.test_clock``)."""
    from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock

    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=2, clock=clk) as s:
        s.test_clock = clk
        yield s
