"""The risk engine: every intent passes :meth:`RiskEngine.check` before any order exists.

Checks, in order (the first failing one is the denial reason):

``kill_switch``        the drawdown kill switch is tripped (persisted; a person must reset it)
``exchange_inactive``  exchange or trading is not active (exchange-status guard)
``stale_data``         the quote behind the intent is older than ``max_quote_age_s``
``market_blocked``     the ledger has an order on this market whose outcome is unknown
``rate_limited``       more than ``max_orders_per_second`` orders in the last second
(exits — ``action="sell"`` — are approved here, up to the position, past the loss caps)
``daily_loss_cap``     today's realized + unrealized PnL is at or below −cap
``drawdown``           equity fell ``max_drawdown`` below its peak → trips the kill switch
``no_edge``            Kelly fraction ≤ 0 (the model does not favour this side at this price)
``limit_market`` / ``limit_event`` / ``limit_family`` / ``limit_total``
                       no capacity left under that limit (sizes are clipped to the tightest)
``size_zero``          the Kelly size rounds to less than one contract

Sizing: fractional Kelly for a binary contract bought at ``c`` that pays 1 with probability
``q``: ``f* = (q − c) / (1 − c)`` of bankroll; we stake ``kelly_fraction × f*``, capped by
every limit. A bracket ladder (all markets of one event) is ONE correlated bet, so the per-event
dollar limit bounds the sum of the ladder's exposure.
"""

from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

from kalshi_edge.kalshi.money import COUNT_QUANT, ZERO
from kalshi_edge.trading.intents import OrderIntent


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits in contracts or dollars (Decimal); rates in orders per second."""

    max_contracts_per_market: Decimal = Decimal("50")
    max_dollars_per_event: Decimal = Decimal("50")
    max_dollars_per_family: Decimal = Decimal("150")
    max_dollars_total: Decimal = Decimal("300")
    daily_loss_cap: Decimal = Decimal("50")
    max_drawdown: Decimal = Decimal("100")
    kelly_fraction: Decimal = Decimal("0.25")
    max_orders_per_second: float = 5.0
    max_quote_age_s: float = 30.0
    #: Exit a position when its mark loses this fraction of its cost.
    stop_loss_fraction: Decimal = Decimal("0.5")
    #: Whole contracts only (fractional trading is per market and off by default).
    whole_contracts: bool = True

    @classmethod
    def from_settings(cls, s: object) -> RiskLimits:
        """Limits from ``settings.risk_*`` (and ``max_quote_age_seconds``)."""
        g = lambda n: getattr(s, n)  # noqa: E731
        return cls(
            max_contracts_per_market=Decimal(str(g("risk_max_contracts_per_market"))),
            max_dollars_per_event=Decimal(str(g("risk_max_dollars_per_event"))),
            max_dollars_per_family=Decimal(str(g("risk_max_dollars_per_family"))),
            max_dollars_total=Decimal(str(g("risk_max_dollars_total"))),
            daily_loss_cap=Decimal(str(g("risk_daily_loss_cap"))),
            max_drawdown=Decimal(str(g("risk_max_drawdown"))),
            kelly_fraction=Decimal(str(g("risk_kelly_fraction"))),
            max_orders_per_second=float(g("risk_max_orders_per_second")),
            max_quote_age_s=float(g("max_quote_age_seconds")),
        )


@dataclass(slots=True)
class Exposure:
    """One market's position and resting orders. ``position`` is signed: +YES / −NO contracts."""

    ticker: str
    event_ticker: str
    family: str
    position: Decimal = ZERO
    cost: Decimal = ZERO  # dollars paid for the open position (fees excluded)
    resting_count: Decimal = ZERO
    resting_cost: Decimal = ZERO  # dollars the resting buy orders would cost if filled

    @property
    def dollars_at_risk(self) -> Decimal:
        return self.cost + self.resting_cost

    @property
    def contracts(self) -> Decimal:
        return abs(self.position) + self.resting_count


@dataclass(slots=True)
class PortfolioState:
    """What the risk engine needs to know, all in dollars (Decimal) and UTC times."""

    now: datetime
    bankroll: Decimal
    exposures: dict[str, Exposure] = field(default_factory=dict)
    realized_pnl_today: Decimal = ZERO
    unrealized_pnl: Decimal = ZERO
    equity: Decimal | None = None
    peak_equity: Decimal | None = None
    exchange_active: bool = True
    trading_active: bool = True
    blocked_markets: set[str] = field(default_factory=set)

    def exposure(self, intent: OrderIntent) -> Exposure:
        return self.exposures.get(intent.ticker) or Exposure(intent.ticker, intent.event_ticker, intent.family)

    def dollars(self, *, event: str | None = None, family: str | None = None) -> Decimal:
        total = ZERO
        for e in self.exposures.values():
            if (event is None or e.event_ticker == event) and (family is None or e.family == family):
                total += e.dollars_at_risk
        return total


@dataclass(frozen=True, slots=True)
class Approved:
    count: Decimal
    notes: tuple[str, ...] = ()

    ok = True


@dataclass(frozen=True, slots=True)
class Denied:
    reason: str
    detail: str = ""

    ok = False


Decision = Approved | Denied


class KillSwitch:
    """A persisted flag file. Once tripped, only :meth:`reset` (a person, via the CLI) clears it.

    The file survives restarts on purpose: a process that crashes after tripping must not come
    back trading.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def from_settings(cls, settings: object) -> KillSwitch:
        return cls(Path(settings.data_dir) / "trading" / "KILL_SWITCH")  # type: ignore[attr-defined]

    @property
    def tripped(self) -> bool:
        return self.path.exists()

    def info(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {"reason": "unreadable kill-switch file (still tripped)"}

    def trip(self, reason: str, at: datetime | None = None) -> None:
        if self.tripped:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        when = (at or datetime.now(UTC)).isoformat()
        tmp.write_text(json.dumps({"reason": reason, "tripped_at": when}))
        os.replace(tmp, self.path)
        from kalshi_edge.ops.alerts import notify_kill_switch  # alert a person (never raises)

        notify_kill_switch(reason, when)

    def reset(self) -> bool:
        """Clear the switch. Returns whether it was tripped."""
        if not self.path.exists():
            return False
        self.path.unlink()
        return True


def kelly_fraction(*, win_prob: float, price: Decimal) -> Decimal:
    """Full-Kelly fraction of bankroll for a contract costing ``price`` that pays $1 with ``win_prob``."""
    if price <= ZERO or price >= 1:
        return ZERO
    q = Decimal(str(round(win_prob, 6)))
    return (q - price) / (1 - price)


class RiskEngine:
    """Stateless checks over a :class:`PortfolioState` plus an order-rate window and the kill switch."""

    def __init__(self, limits: RiskLimits, kill_switch: KillSwitch | None = None) -> None:
        self.limits = limits
        self.kill_switch = kill_switch
        self._sent: deque[datetime] = deque()

    def _quant(self, x: Decimal) -> Decimal:
        if self.limits.whole_contracts:
            return x.to_integral_value(rounding=ROUND_FLOOR)
        return x.quantize(COUNT_QUANT, rounding=ROUND_FLOOR)

    def check(self, intent: OrderIntent, state: PortfolioState) -> Decision:
        """Approve ``intent`` with a size (≤ ``intent.count``) or deny it with a reason."""
        lim = self.limits
        if self.kill_switch is not None and self.kill_switch.tripped:
            return Denied("kill_switch", self.kill_switch.info().get("reason", "tripped"))
        if not (state.exchange_active and state.trading_active):
            return Denied("exchange_inactive", "exchange or trading is not active")
        age = (state.now - intent.quote_ts).total_seconds()
        if age > lim.max_quote_age_s:
            return Denied("stale_data", f"quote {age:.1f}s old > {lim.max_quote_age_s}s")
        if intent.ticker in state.blocked_markets:
            return Denied("market_blocked", "an order on this market has an unknown outcome; reconcile first")
        while self._sent and (state.now - self._sent[0]).total_seconds() >= 1.0:
            self._sent.popleft()
        if len(self._sent) >= lim.max_orders_per_second:
            return Denied("rate_limited", f"{len(self._sent)} orders in the last second")
        if intent.action == "sell":
            # Exits reduce risk: allowed past the loss caps, bounded only by the position itself.
            pos = abs(state.exposure(intent).position)
            size = min(intent.count, pos)
            return Approved(size) if size > 0 else Denied("size_zero", "nothing to sell")
        day_pnl = state.realized_pnl_today + state.unrealized_pnl
        if day_pnl <= -lim.daily_loss_cap:
            return Denied("daily_loss_cap", f"today's PnL {day_pnl} ≤ −{lim.daily_loss_cap}")
        tripped = self.guard(state)
        if tripped is not None:
            return tripped

        f = kelly_fraction(win_prob=intent.win_prob, price=intent.price)
        if f <= 0:
            return Denied("no_edge", f"Kelly fraction {f:.4f} ≤ 0")
        stake = lim.kelly_fraction * f * state.bankroll
        size = self._quant(min(intent.count, stake / intent.price))
        notes: list[str] = [f"kelly {size}"]
        exp = state.exposure(intent)
        caps = [
            ("limit_market", (lim.max_contracts_per_market - exp.contracts)),
            ("limit_event", (lim.max_dollars_per_event - state.dollars(event=intent.event_ticker)) / intent.price),
            ("limit_family", (lim.max_dollars_per_family - state.dollars(family=intent.family)) / intent.price),
            ("limit_total", (lim.max_dollars_total - state.dollars()) / intent.price),
        ]
        for name, cap in caps:
            capped = self._quant(max(cap, ZERO))
            if capped <= 0:
                return Denied(name, f"no capacity left under {name}")
            if capped < size:
                size = capped
                notes.append(f"clipped by {name} to {size}")
        if size <= 0:
            return Denied("size_zero", f"Kelly size {stake / intent.price:.2f} < 1 contract")
        return Approved(size, tuple(notes))

    def guard(self, state: PortfolioState) -> Denied | None:
        """The portfolio-level check, run every step even when no intent is pending: a drawdown of
        ``max_drawdown`` from the equity peak trips the (persisted) kill switch."""
        if state.equity is None or state.peak_equity is None:
            return None
        dd = state.peak_equity - state.equity
        if dd < self.limits.max_drawdown:
            return None
        if self.kill_switch is not None:
            self.kill_switch.trip(f"drawdown {dd} ≥ {self.limits.max_drawdown}", at=state.now)
        return Denied("drawdown", f"drawdown {dd} ≥ {self.limits.max_drawdown}; kill switch tripped")

    def record_sent(self, at: datetime) -> None:
        """Count an order towards the rate window (call when it is actually sent)."""
        self._sent.append(at)

    def stop_loss_tickers(self, state: PortfolioState, marks: dict[str, Decimal]) -> list[str]:
        """Tickers whose open position's mark value lost ≥ ``stop_loss_fraction`` of its cost.

        ``marks`` maps ticker → the price we could sell our side at now (dollars per contract).
        """
        out = []
        for t, e in state.exposures.items():
            if e.position == 0 or e.cost <= 0 or t not in marks:
                continue
            value = abs(e.position) * marks[t]
            if value <= e.cost * (1 - self.limits.stop_loss_fraction):
                out.append(t)
        return sorted(out)


#: Exchange-side protection put on every live order (KALSHI_API.md "Orders").
def protection_fields(order_group_id: str | None) -> dict[str, object]:
    """Fields that make the exchange itself enforce limits: pause-cancel and the order group."""
    out: dict[str, object] = {"cancel_order_on_pause": True}
    if order_group_id:
        out["order_group_id"] = order_group_id
    return out
