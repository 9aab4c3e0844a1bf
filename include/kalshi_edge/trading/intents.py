"""The shared intent layer: model probabilities + the book → order intents (or reasons why not).

For every (probability, market) pair it

1. applies the gates, in this order, each with its own reason code: market status, quote
   freshness (``stale_quote``), model input freshness (``stale_inputs``), time-to-close window,
   model confidence, spread;
2. prices both sides (buy YES at the YES ask, buy NO at the NO ask = 1 − YES bid) as taker and as
   maker (resting at that side's bid), with the expected value per contract **after fees from
   the one fee function** :func:`kalshi_edge.kalshi.fees.order_fee`;
3. chooses maker or taker by expected value: resting earns ``fill_prob × edge_maker`` (maker
   fee, usually zero, but the order may never fill), crossing earns ``edge_taker`` for sure;
4. gates on the minimum edge after fees per contract (``edge_too_small``);
5. emits an :class:`OrderIntent` with a deterministic ``client_order_id``.

Size here is only a *proposal* (``GateConfig.max_count``); the risk engine decides the real size.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.kalshi.money import ONE, ZERO
from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability

Side = Literal["yes", "no"]
Action = Literal["buy", "sell"]
Liquidity = Literal["maker", "taker"]


@dataclass(frozen=True, slots=True)
class GateConfig:
    """Thresholds of the shared gates. Money in dollars (Decimal), times in seconds."""

    min_edge_dollars: Decimal = Decimal("0.02")
    min_confidence: float = 0.5
    max_spread: Decimal = Decimal("0.10")
    min_time_to_close_s: float = 300.0
    max_time_to_close_s: float = 7 * 24 * 3600.0
    max_quote_age_s: float = 30.0
    max_inputs_age_s: float = 600.0
    #: Contracts proposed per intent; the risk engine sizes down (never up).
    max_count: Decimal = Decimal("10")
    #: Base probability that a resting order at the touch fills before it is replaced.
    maker_fill_prob: float = 0.3
    allow_maker: bool = True
    allow_taker: bool = True
    #: Decisions within one bucket of this many seconds share a client_order_id (see below).
    decision_bucket_s: int = 60
    fee_tick: Decimal = Decimal("0.01")

    @classmethod
    def from_settings(cls, settings: object, **overrides: object) -> GateConfig:
        """Gates from :class:`kalshi_edge.config.Settings` (min edge, quote age, fee tick)."""
        base = cls(
            min_edge_dollars=Decimal(str(settings.min_edge_dollars)),  # type: ignore[attr-defined]
            max_quote_age_s=float(settings.max_quote_age_seconds),  # type: ignore[attr-defined]
            fee_tick=Decimal(str(settings.fee_rounding_tick)),  # type: ignore[attr-defined]
        )
        return replace(base, **overrides) if overrides else base  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """A decision to trade, before risk. Prices are the price of ``side`` in dollars."""

    client_order_id: str
    strategy: str
    family: str
    ticker: str
    event_ticker: str
    side: Side
    action: Action
    price: Decimal
    count: Decimal
    liquidity: Liquidity
    p_yes: float
    confidence: float
    edge_per_contract: Decimal
    fee_estimate: Decimal
    decided_at: datetime
    quote_ts: datetime
    close_time: datetime | None = None
    reason: str = "edge"

    @property
    def time_in_force(self) -> str:
        """Takers never rest (IOC); makers rest until cancelled, post-only so they never cross."""
        return "immediate_or_cancel" if self.liquidity == "taker" else "good_till_canceled"

    @property
    def post_only(self) -> bool:
        return self.liquidity == "maker"

    @property
    def yes_price(self) -> Decimal:
        """The YES price of this order (V2 orders always carry the YES price)."""
        return self.price if self.side == "yes" else ONE - self.price

    @property
    def book_side(self) -> Literal["bid", "ask"]:
        """V2 ``side``: bid = long YES (buy yes / sell no); ask = long NO (buy no / sell yes)."""
        long_yes = (self.side == "yes") == (self.action == "buy")
        return "bid" if long_yes else "ask"

    @property
    def win_prob(self) -> float:
        """Probability that the side bought settles in the money."""
        return self.p_yes if self.side == "yes" else 1.0 - self.p_yes

    @property
    def notional(self) -> Decimal:
        """Dollars at risk if it fills in full (price × count)."""
        return self.price * self.count

    def with_count(self, count: Decimal) -> OrderIntent:
        return replace(self, count=count)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe (Decimal and datetime as strings): for XCom and trigger events."""
        out: dict[str, object] = {}
        for k in self.__dataclass_fields__:
            v = getattr(self, k)
            out[k] = v.isoformat() if isinstance(v, datetime) else (str(v) if isinstance(v, Decimal) else v)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> OrderIntent:
        """Inverse of :meth:`to_dict`; raises ValueError naming the field on bad input."""
        kw: dict[str, object] = dict(d)
        try:
            for k in ("price", "count", "edge_per_contract", "fee_estimate"):
                kw[k] = Decimal(str(d[k]))
            for k in ("decided_at", "quote_ts"):
                kw[k] = datetime.fromisoformat(str(d[k]))
            kw["close_time"] = datetime.fromisoformat(str(d["close_time"])) if d.get("close_time") else None
            kw["p_yes"] = float(d["p_yes"])  # type: ignore[arg-type]
            kw["confidence"] = float(d["confidence"])  # type: ignore[arg-type]
        except KeyError as exc:
            raise ValueError(f"order intent: missing field {exc.args[0]}") from None
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ValueError(f"order intent: bad field ({exc})") from None
        return cls(**kw)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a probability did not become an intent. ``reason`` is a stable code; ``detail`` prose."""

    strategy: str
    ticker: str
    reason: str
    detail: str = ""


@dataclass(slots=True)
class IntentBatch:
    intents: list[OrderIntent] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def client_order_id(*, strategy: str, ticker: str, side: str, action: str, decided_at: datetime,
                    bucket_s: int = 60) -> str:
    """Deterministic id for a decision: same strategy, market, side, action and time bucket → same id.

    Restarting the process and re-deciding the same thing inside the same bucket reproduces the
    id, so the ledger (and the exchange, which dedupes on ``client_order_id``) never sees a
    second order for it. Times are floored to ``bucket_s`` seconds in UTC.
    """
    if decided_at.tzinfo is None:
        raise ValueError("decided_at must be timezone-aware")
    ts = int(decided_at.astimezone(UTC).timestamp())
    bucket = ts - ts % max(int(bucket_s), 1)
    raw = f"{strategy}|{ticker.upper()}|{side}|{action}|{bucket}"
    return "ke-" + hashlib.sha256(raw.encode()).hexdigest()[:28]


def edge_after_fees(*, win_prob: float, price: Decimal, count: Decimal, is_maker: bool,
                    market: MarketSnapshot, tick: Decimal, at: datetime | None = None) -> tuple[Decimal, Decimal]:
    """(expected value per contract after fees, fee for the whole order), dollars.

    EV per contract of buying a side at ``price`` that wins with ``win_prob``:
    ``win_prob − price − fee/count``. The probability is quantized to 1e-6 to stay in Decimal.
    """
    fee = order_fee(price=price, count=count, is_maker=is_maker, schedule=market.fee_schedule, tick=tick, at=at)
    q = Decimal(str(round(win_prob, 6)))
    return q - price - fee / count, fee


def maker_fill_probability(*, spread: Decimal, tick: Decimal, base: float) -> float:
    """Heuristic chance a resting order at the touch fills: ``base`` at a one-tick spread, falling
    as 1/sqrt(spread in ticks) because wide books trade rarely. Clipped to [0, 1]."""
    ticks = max(float(spread / tick), 1.0) if tick > 0 else 1.0
    return min(max(base / math.sqrt(ticks), 0.0), 1.0)


def _options(p: ModelProbability, m: MarketSnapshot, cfg: GateConfig, count: Decimal
             ) -> list[tuple[float, Side, Liquidity, Decimal, Decimal, Decimal]]:
    """Every (expected EV, side, liquidity, price, edge per contract, fee) open to us."""
    out: list[tuple[float, Side, Liquidity, Decimal, Decimal, Decimal]] = []
    spread = m.spread if m.spread is not None else ONE
    fill_p = maker_fill_probability(spread=spread, tick=m.tick, base=cfg.maker_fill_prob)
    sides: list[tuple[Side, float, Decimal | None, Decimal | None]] = [
        ("yes", p.p_yes, m.yes_ask, m.yes_bid),
        ("no", 1.0 - p.p_yes, m.no_ask, m.no_bid),
    ]
    for side, q, ask, bid in sides:
        if cfg.allow_taker and ask is not None and ZERO < ask < ONE:
            edge, fee = edge_after_fees(win_prob=q, price=ask, count=count, is_maker=False, market=m,
                                        tick=cfg.fee_tick, at=p.as_of)
            out.append((float(edge), side, "taker", ask, edge, fee))
        # Resting at the bid only makes sense when there is a spread to earn (else it would cross).
        if cfg.allow_maker and bid is not None and ZERO < bid < ONE and spread > m.tick:
            edge, fee = edge_after_fees(win_prob=q, price=bid, count=count, is_maker=True, market=m,
                                        tick=cfg.fee_tick, at=p.as_of)
            out.append((float(edge) * fill_p, side, "maker", bid, edge, fee))
    return out


def build_intents(
    probabilities: Iterable[ModelProbability],
    markets: Sequence[MarketSnapshot],
    *,
    strategy: str,
    now: datetime,
    cfg: GateConfig | None = None,
) -> IntentBatch:
    """Turn a strategy's probabilities into intents and rejections (one of them per probability).

    ``now`` is the decision time (UTC): quote and input ages are measured against it and it seeds
    the ``client_order_id``. Pure: no I/O, same inputs → same output.
    """
    cfg = cfg or GateConfig()
    by_ticker = {m.ticker: m for m in markets}
    batch = IntentBatch()

    def reject(p: ModelProbability, reason: str, detail: str = "") -> None:
        batch.rejections.append(Rejection(strategy=strategy, ticker=p.ticker, reason=reason, detail=detail))

    for p in probabilities:
        m = by_ticker.get(p.ticker)
        if m is None:
            reject(p, "no_market", "no snapshot for this ticker")
            continue
        if m.status not in ("active", "open"):
            reject(p, "market_not_active", f"status={m.status}")
            continue
        quote_age = (now - m.quote_ts).total_seconds()
        if quote_age > cfg.max_quote_age_s or quote_age < 0:
            reject(p, "stale_quote", f"quote age {quote_age:.1f}s > {cfg.max_quote_age_s}s")
            continue
        inputs_age = p.inputs_age_s + max((now - p.as_of).total_seconds(), 0.0)
        if inputs_age > cfg.max_inputs_age_s:
            reject(p, "stale_inputs", f"model inputs {inputs_age:.1f}s old > {cfg.max_inputs_age_s}s")
            continue
        if m.close_time is not None:
            ttc = (m.close_time - now).total_seconds()
            if ttc < cfg.min_time_to_close_s:
                reject(p, "too_close_to_close", f"{ttc:.0f}s to close < {cfg.min_time_to_close_s}s")
                continue
            if ttc > cfg.max_time_to_close_s:
                reject(p, "too_far_from_close", f"{ttc:.0f}s to close > {cfg.max_time_to_close_s}s")
                continue
        if p.confidence < cfg.min_confidence:
            reject(p, "low_confidence", f"confidence {p.confidence:.2f} < {cfg.min_confidence}")
            continue
        if m.spread is None:
            reject(p, "one_sided_book", "a side of the book is empty")
            continue
        if m.spread > cfg.max_spread:
            reject(p, "spread_too_wide", f"spread {m.spread} > {cfg.max_spread}")
            continue
        options = _options(p, m, cfg, cfg.max_count)
        if not options:
            reject(p, "no_price", "no tradable price on either side")
            continue
        ev, side, liq, price, edge, fee = max(options, key=lambda o: (o[0], o[2] == "taker"))
        if edge < cfg.min_edge_dollars or ev <= 0:
            best = max(o[4] for o in options)
            reject(p, "edge_too_small", f"best edge after fees {best:.4f} < {cfg.min_edge_dollars}")
            continue
        coid = client_order_id(strategy=strategy, ticker=m.ticker, side=side, action="buy",
                               decided_at=now, bucket_s=cfg.decision_bucket_s)
        batch.intents.append(
            OrderIntent(
                client_order_id=coid, strategy=strategy, family=m.family, ticker=m.ticker,
                event_ticker=m.event_ticker, side=side, action="buy", price=price, count=cfg.max_count,
                liquidity=liq, p_yes=p.p_yes, confidence=p.confidence, edge_per_contract=edge,
                fee_estimate=fee, decided_at=now, quote_ts=m.quote_ts, close_time=m.close_time,
            )
        )
    return batch
