"""The ONE edge path: model probabilities + the book → edge after fees → gates → order intents.

Nowhere else in the project is edge after fees computed: the session, the backtester, the
sensor's trigger, the families' lake edge snapshots and the CLI tables all call
:func:`evaluate_edges` (or :func:`build_intents`, which is built on it), and every reason a market
is not traded is a :class:`SkipReason`.

For every (probability, market) pair :func:`evaluate_edges`

1. applies the gates, in this order, each with its own :class:`SkipReason`: market status, quote
   freshness (``stale_quote``), model input freshness (``stale_inputs``), time-to-close window,
   model confidence, spread;
2. prices both sides (buy YES at the YES ask, buy NO at the NO ask = 1 − YES bid) as taker and as
   maker (resting at that side's bid), with the expected value per contract **after fees from
   the one fee function** :func:`kalshi_edge.kalshi.fees.order_fee` (:func:`edge_after_fees`);
3. chooses maker or taker by expected value: resting earns ``fill_prob × edge_maker`` (maker
   fee, usually zero, but the order may never fill), crossing earns ``edge_taker`` for sure;
   ``fill_prob`` is the strategy's own per side when its probability carries ``maker_fill``
   (``weather_momentum``'s fitted table), else :func:`maker_fill_probability` (a measured table
   by spread in ticks, :data:`MAKER_FILL_TABLE`);
4. gates on the minimum edge after fees per contract (``edge_too_small``);
5. marks the row ``selected``; :func:`build_intents` turns selected rows into
   :class:`OrderIntent` with a deterministic ``client_order_id``.

A row's ``selected`` is True exactly when its ``skip_reason`` is None, and the detail of an
``edge_too_small`` skip quotes the row's own ``best_edge`` (the figure shown in the table).
The gate defaults are the :class:`~kalshi_edge.config.Settings` defaults (one set of defaults).

Size here is only a *proposal* (``GateConfig.max_count``); the risk engine decides the real size.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.kalshi.money import ONE, ZERO
from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability

Side = Literal["yes", "no"]
Action = Literal["buy", "sell"]
Liquidity = Literal["maker", "taker"]


class SkipReason(StrEnum):
    """Why a market was not traded: the ONE vocabulary (edge snapshots, CLI tables, reports).

    The first group comes from the shared gates (:func:`evaluate_edges`); the second from a
    strategy declining a market (:class:`~kalshi_edge.trading.strategy.Refusal`); the values are
    stable strings stored in the lake.
    """

    # -- shared gates, in the order they are applied
    NO_MARKET = "no_market"
    MARKET_NOT_ACTIVE = "market_not_active"
    STALE_QUOTE = "stale_quote"
    STALE_INPUTS = "stale_inputs"
    TOO_CLOSE_TO_CLOSE = "too_close_to_close"
    TOO_FAR_FROM_CLOSE = "too_far_from_close"
    LOW_CONFIDENCE = "low_confidence"
    ONE_SIDED_BOOK = "one_sided_book"
    SPREAD_TOO_WIDE = "spread_too_wide"
    NO_PRICE = "no_price"
    THIN_DEPTH = "thin_depth"
    EDGE_TOO_SMALL = "edge_too_small"
    # -- a strategy's refusals (no probability for the market)
    NO_MODEL = "no_model"  # no fitted artifact / no forecast for this market
    UNREADABLE_CONTRACT = "unreadable_contract"  # payout terms could not be read (fail closed)
    FAR_FROM_SPOT = "far_from_spot"  # BTC strike too many sigmas from spot: the model's tail
    UNMATCHED_MARKET = "unmatched_market"  # no contender matches the market (or the remainder)
    LOW_MATCH_CONFIDENCE = "low_match_confidence"  # best match below the confidence gate
    AMBIGUOUS_MATCH = "ambiguous_match"  # runner-up too close to the best match
    EVENT_DATE_MISMATCH = "event_date_mismatch"  # prediction is for another event date
    STRATEGY_ERROR = "strategy_error"  # the strategy raised (logged; other families go on)
    INCOHERENT_LADDER = "incoherent_ladder"  # the event's mids do not sum to ~1 (weather_momentum)
    HAZARD_THROTTLE = "hazard_throttle"  # signal against the new-high hazard (weather_momentum)
    SIGNAL_BUDGET = "signal_budget"  # the strategy's per-market signal budget is spent
    SHADOW_MODE = "shadow_mode"  # shadow mode: the signal is logged, no probability is returned


#: EVs are stored to 1e-6 dollars.
EV_Q = Decimal("0.000001")


def _settings_default(name: str) -> Any:
    """The default of a :class:`~kalshi_edge.config.Settings` field (so the two never disagree)."""
    from kalshi_edge.config import Settings

    return Settings.model_fields[name].default


@dataclass(frozen=True, slots=True)
class GateConfig:
    """Thresholds of the shared gates. Money in dollars (Decimal), times in seconds.

    Defaults equal the :class:`~kalshi_edge.config.Settings` defaults; :meth:`from_settings` reads
    the configured values.
    """

    min_edge_dollars: Decimal = field(default_factory=lambda: Decimal(str(_settings_default("min_edge_dollars"))))
    min_confidence: float = 0.5
    max_spread: Decimal = Decimal("0.10")
    min_time_to_close_s: float = 300.0
    max_time_to_close_s: float = 7 * 24 * 3600.0
    max_quote_age_s: float = field(default_factory=lambda: float(_settings_default("max_quote_age_seconds")))
    max_inputs_age_s: float = 600.0
    #: Minimum contracts at the ask for a taker order when the book carries sizes (None = no sizes).
    min_depth: Decimal = Decimal("1")
    #: Contracts proposed per intent; the risk engine sizes down (never up).
    max_count: Decimal = Decimal("10")
    #: Chance a resting order at the touch is traded through within the session's maker TTL, by
    #: spread in ticks: ``((lowest ticks of the bucket, rate), ...)``, ascending. The default is
    #: measured (:data:`MAKER_FILL_TABLE`, see :func:`maker_fill_probability`).
    maker_fill_table: tuple[tuple[int, float], ...] = field(default_factory=lambda: MAKER_FILL_TABLE)
    #: Set: ignore the table and use the old heuristic ``maker_fill_prob / sqrt(spread in ticks)``
    #: (what-ifs and tests; ``KALSHI_EDGE_MAKER_FILL_PROB``). None (default): the measured table.
    maker_fill_prob: float | None = None
    allow_maker: bool = True
    allow_taker: bool = True
    #: Decisions within one bucket of this many seconds share a client_order_id (see below).
    decision_bucket_s: int = 60
    fee_tick: Decimal = field(default_factory=lambda: Decimal(str(_settings_default("fee_rounding_tick"))))
    #: Every strategy's resting maker order is moved to a re-decided price by an amend instead of
    #: the decision being skipped as ``already_working`` (a strategy can opt in alone with
    #: ``Strategy.amend_resting``). Off by default: the backtest-vs-paper parity is unchanged.
    amend_resting: bool = False

    @classmethod
    def from_settings(cls, settings: object, **overrides: object) -> GateConfig:
        """Gates from :class:`kalshi_edge.config.Settings` (min edge, quote age, fee tick, maker fill override)."""
        base = cls(
            min_edge_dollars=Decimal(str(settings.min_edge_dollars)),  # type: ignore[attr-defined]
            max_quote_age_s=float(settings.max_quote_age_seconds),  # type: ignore[attr-defined]
            fee_tick=Decimal(str(settings.fee_rounding_tick)),  # type: ignore[attr-defined]
            maker_fill_prob=getattr(settings, "maker_fill_prob", None),
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
    #: Provenance of ``p_yes``: the artifact version and when the model's answer was computed.
    model_version: str = ""
    model_as_of: datetime | None = None
    #: The market's own YES probability at decision time (the mid), for model-vs-market reports.
    market_p: float | None = None

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
            kw["model_as_of"] = datetime.fromisoformat(str(d["model_as_of"])) if d.get("model_as_of") else None
            kw["market_p"] = float(d["market_p"]) if d.get("market_p") is not None else None  # type: ignore[arg-type]
            kw["p_yes"] = float(d["p_yes"])  # type: ignore[arg-type]
            kw["confidence"] = float(d["confidence"])  # type: ignore[arg-type]
        except KeyError as exc:
            raise ValueError(f"order intent: missing field {exc.args[0]}") from None
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ValueError(f"order intent: bad field ({exc})") from None
        return cls(**kw)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a probability did not become an intent. ``reason`` a :class:`SkipReason`; ``detail`` prose."""

    strategy: str
    ticker: str
    reason: SkipReason
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

    It deliberately carries no session component: which session owns an order is told by the
    exchange order group the session sends it in (and the ledger's ``session``), see
    :func:`kalshi_edge.trading.brokers.own_resting_order_ids`. A per-session prefix here would turn
    the same decision into a new id after a restart, breaking "never send twice".
    """
    if decided_at.tzinfo is None:
        raise ValueError("decided_at must be timezone-aware")
    ts = int(decided_at.astimezone(UTC).timestamp())
    bucket = ts - ts % max(int(bucket_s), 1)
    raw = f"{strategy}|{ticker.upper()}|{side}|{action}|{bucket}"
    return "ke-" + hashlib.sha256(raw.encode()).hexdigest()[:28]


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One market's edge after fees and gate decision: a row of every edge table.

    EVs are per contract in dollars (Decimal), for an order of ``count`` contracts; None where the
    side has no usable price (or maker orders are not allowed). ``best_*`` is the option the gates
    chose (or would have chosen); ``selected`` ⇔ ``skip_reason is None``.
    """

    ticker: str
    strategy: str
    p_yes: float | None
    market_p: float | None
    yes_bid: Decimal | None
    yes_ask: Decimal | None
    count: Decimal
    ev_yes_taker: Decimal | None = None
    ev_no_taker: Decimal | None = None
    ev_yes_maker: Decimal | None = None
    ev_no_maker: Decimal | None = None
    fee_yes_taker: Decimal | None = None
    fee_no_taker: Decimal | None = None
    best_side: Side | None = None
    best_liquidity: Liquidity | None = None
    best_price: Decimal | None = None
    best_edge: Decimal | None = None
    best_fee: Decimal | None = None
    skip_reason: SkipReason | None = None
    detail: str = ""
    confidence: float | None = None
    model_version: str = ""
    model_as_of: datetime | None = None

    @property
    def selected(self) -> bool:
        return self.skip_reason is None

    def as_record(self) -> dict[str, Any]:
        """A flat dict for tables and lake snapshots (``skip_reason`` "" when selected)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["skip_reason"] = "" if self.skip_reason is None else self.skip_reason.value
        out["selected"] = self.selected
        return out


def edge_after_fees(*, win_prob: float, price: Decimal, count: Decimal, is_maker: bool,
                    market: MarketSnapshot, tick: Decimal, at: datetime | None = None) -> tuple[Decimal, Decimal]:
    """THE edge after fees: (expected value per contract after fees, fee for the whole order), dollars.

    EV per contract of buying a side at ``price`` that wins with ``win_prob``:
    ``win_prob − price − fee/count``, the fee from :func:`kalshi_edge.kalshi.fees.order_fee` for the
    whole order (rounded up once per order). The probability is quantized to 1e-6 to stay in Decimal.
    """
    fee = order_fee(price=price, count=count, is_maker=is_maker, schedule=market.fee_schedule, tick=tick, at=at)
    return (_prob_decimal(win_prob) - price - fee / count).quantize(EV_Q), fee


@functools.lru_cache(maxsize=4096)
def _prob_decimal(p: float) -> Decimal:
    """A probability quantized to 1e-6 as a Decimal (memoized: each side's taker and maker option
    price the same probability)."""
    return Decimal(str(round(p, 6)))


def edge_after_fees_vec(win_prob: Any, price: Any, *, multiplier: float = 1.0, count: float = 1.0,
                        tick: float = 0.01, is_maker: bool = False) -> Any:
    """:func:`edge_after_fees` vectorized over a ladder (floats; NaN where ``price`` is not in (0, 1)).

    For screening hundreds of strikes at once (taker fee from
    :func:`kalshi_edge.kalshi.fees.taker_fee_per_contract_vec`, rounded up per order; makers pay
    nothing on quadratic series). Every number that becomes an order or a stored row is
    recomputed with :func:`edge_after_fees` (they agree to 1e-6 dollars, tested).
    """
    import numpy as np

    from kalshi_edge.kalshi.fees import taker_fee_per_contract_vec

    q = np.asarray(win_prob, dtype=float)
    px = np.asarray(price, dtype=float)
    px = np.where((px > 0) & (px < 1), px, np.nan)
    if is_maker:
        return q - px
    fee = taker_fee_per_contract_vec(np.nan_to_num(px, nan=0.5), multiplier=multiplier, tick=tick, count=count)
    return q - px - fee


#: Measured chance that a resting order at the touch is traded *through* (the backtester's maker
#: fill: strictly through our price, last in the queue) within 300 s = ``TradingSession.maker_ttl_s``,
#: by spread in ticks ``(lowest ticks of the bucket, rate)``. Measured with the one fitter
#: (:meth:`kalshi_edge.families.weather.momentum.fills.MakerFillModel.fit`, 30 s grid, both sides
#: pooled) by ``scripts/measure_maker_fills.py`` on every recorded book the project reads:
#:
#: ======  ===============================================  ==================================  =======
#: ticks   KXHIGHNY, 13 days (n, Wilson 95 %)               crypto 15m, 8 series (n, Wilson)     default
#: ======  ===============================================  ==================================  =======
#: 1       6.79 % n=227,378 [6.69, 6.90]; days 4.6–12.7 %    43.8 % n=3,436 [42.2, 45.5]          4.5 %
#: 2       4.52 % n=84,378 [4.38, 4.66]; days 1.65–13.0 %    37.2 % n=1,738 [34.9, 39.5]          1.5 %
#: 3–4     5.01 % n=74,916 [4.86, 5.17]; days 1.8–11.4 %     40.4 % n=1,250 [37.7, 43.2]          1.5 %
#: 5–9     6.20 % n=45,306 [5.98, 6.42]; days 1.9–16.9 %     42.1 % n=776 [38.7, 45.6]            1.5 %
#: ≥10     5.88 % n=8,646 [5.40, 6.39]; days 1.75–13.5 %     27.3 % n=44 [16.4, 41.9]             1.5 %
#: ======  ===============================================  ==================================  =======
#:
#: The default is the lower end: the lower-filling source (KXHIGHNY) and, because its rate moves
#: from day to day far more than any day's interval (a default is a prior for an unseen day), the
#: lowest single day per bucket rounded down to 0.5 pp, so no recorded day filled less often. The
#: old heuristic (0.3 / sqrt(ticks): 30 %, 21 %, 15–17 %, 10–13 %, ≤ 9.5 %) overstated the pooled
#: KXHIGHNY rates 1.6–4.7× (5–13× the lowest day); it understates the busy crypto books, whose
#: strategies may pass their own ``maker_fill``. The edge path rests only when the spread is wider
#: than one tick, so the one-tick row is for completeness.
MAKER_FILL_TABLE: tuple[tuple[int, float], ...] = ((1, 0.045), (2, 0.015), (3, 0.015), (5, 0.015), (10, 0.015))


def maker_fill_probability(*, spread: Decimal, tick: Decimal, base: float | None = None,
                           table: Sequence[tuple[int, float]] = MAKER_FILL_TABLE) -> float:
    """Chance a resting order at the touch fills within the maker TTL, from the spread in ticks.

    By default the measured :data:`MAKER_FILL_TABLE` (the rate of the last bucket whose lowest
    tick count ≤ the spread's). With ``base`` set, the old heuristic instead: ``base`` at a
    one-tick spread, falling as 1/sqrt(spread in ticks). Clipped to [0, 1].
    """
    ticks = max(float(spread / tick), 1.0) if tick > 0 else 1.0
    if base is not None:
        return min(max(base / math.sqrt(ticks), 0.0), 1.0)
    rate = table[0][1] if table else 0.0
    for lo, r in table:
        if ticks + 1e-9 >= lo:
            rate = r
    return min(max(rate, 0.0), 1.0)


def _price_options(p: ModelProbability, m: MarketSnapshot, cfg: GateConfig
                   ) -> tuple[dict[str, Decimal], list[tuple[float, Side, Liquidity, Decimal, Decimal, Decimal]]]:
    """Every option's EV/fee by column name, and the options (expected EV, side, liquidity, price,
    edge per contract, fee) open to us."""
    count = cfg.max_count
    opts: list[tuple[float, Side, Liquidity, Decimal, Decimal, Decimal]] = []
    evs: dict[str, Decimal] = {}
    spread = m.spread if m.spread is not None else ONE
    if p.maker_fill is not None:  # the strategy's own (e.g. fitted) fill odds per side
        fills = p.maker_fill
    else:
        h = maker_fill_probability(spread=spread, tick=m.tick, base=cfg.maker_fill_prob, table=cfg.maker_fill_table)
        fills = (h, h)
    sides: list[tuple[Side, float, Decimal | None, Decimal | None, float]] = [
        ("yes", p.p_yes, m.yes_ask, m.yes_bid, fills[0]),
        ("no", 1.0 - p.p_yes, m.no_ask, m.no_bid, fills[1]),
    ]
    for side, q, ask, bid, fill_p in sides:
        if cfg.allow_taker and ask is not None and ZERO < ask < ONE:
            edge, fee = edge_after_fees(win_prob=q, price=ask, count=count, is_maker=False, market=m,
                                        tick=cfg.fee_tick, at=p.as_of)
            evs[f"ev_{side}_taker"], evs[f"fee_{side}_taker"] = edge, fee
            opts.append((float(edge), side, "taker", ask, edge, fee))
        # Resting at the bid only makes sense when there is a spread to earn (else it would cross).
        if cfg.allow_maker and bid is not None and ZERO < bid < ONE and spread > m.tick:
            edge, fee = edge_after_fees(win_prob=q, price=bid, count=count, is_maker=True, market=m,
                                        tick=cfg.fee_tick, at=p.as_of)
            evs[f"ev_{side}_maker"] = edge
            opts.append((float(edge) * fill_p, side, "maker", bid, edge, fee))
    return evs, opts


def _gate(p: ModelProbability, m: MarketSnapshot, now: datetime, cfg: GateConfig) -> tuple[SkipReason, str] | None:
    """The first gate ``(p, m)`` fails before pricing, or None."""
    if m.status not in ("active", "open"):
        return SkipReason.MARKET_NOT_ACTIVE, f"status={m.status}"
    quote_age = (now - m.quote_ts).total_seconds()
    if quote_age > cfg.max_quote_age_s or quote_age < 0:
        return SkipReason.STALE_QUOTE, f"quote age {quote_age:.1f}s > {cfg.max_quote_age_s}s"
    inputs_age = p.inputs_age_s + max((now - p.as_of).total_seconds(), 0.0)
    if inputs_age > cfg.max_inputs_age_s:
        return SkipReason.STALE_INPUTS, f"model inputs {inputs_age:.1f}s old > {cfg.max_inputs_age_s}s"
    if m.close_time is not None:
        ttc = (m.close_time - now).total_seconds()
        if ttc < cfg.min_time_to_close_s:
            return SkipReason.TOO_CLOSE_TO_CLOSE, f"{ttc:.0f}s to close < {cfg.min_time_to_close_s}s"
        if ttc > cfg.max_time_to_close_s:
            return SkipReason.TOO_FAR_FROM_CLOSE, f"{ttc:.0f}s to close > {cfg.max_time_to_close_s}s"
    if p.confidence < cfg.min_confidence:
        return SkipReason.LOW_CONFIDENCE, f"confidence {p.confidence:.2f} < {cfg.min_confidence}"
    if m.spread is None:
        return SkipReason.ONE_SIDED_BOOK, "a side of the book is empty"
    if m.spread > cfg.max_spread:
        return SkipReason.SPREAD_TOO_WIDE, f"spread {m.spread} > {cfg.max_spread}"
    return None


def evaluate_edge(p: ModelProbability, m: MarketSnapshot, *, strategy: str, now: datetime,
                  cfg: GateConfig | None = None, price_skipped: bool = True) -> EdgeRow:
    """One market's :class:`EdgeRow`: every option's edge after fees, the choice, the gate decision.

    ``price_skipped=False`` leaves the EVs of a market that fails a gate before pricing empty
    (the decision loop's fast path; tables keep the default and show every EV).
    """
    cfg = cfg or GateConfig()
    skip = _gate(p, m, now, cfg)
    evs: dict[str, Decimal] = {}
    best: dict[str, Any] = {}
    if skip is None or price_skipped:
        evs, options = _price_options(p, m, cfg)
        if options:
            ev, side, liq, price, edge, fee = max(options, key=lambda o: (o[0], o[2] == "taker"))
            best = {"best_side": side, "best_liquidity": liq, "best_price": price, "best_edge": edge, "best_fee": fee}
            if skip is None and liq == "taker":
                depth = m.yes_ask_size if side == "yes" else m.yes_bid_size
                if depth is not None and depth < cfg.min_depth:
                    skip = SkipReason.THIN_DEPTH, f"{depth} contracts at the {side} ask < {cfg.min_depth}"
            if skip is None and (edge < cfg.min_edge_dollars or ev <= 0):
                skip = SkipReason.EDGE_TOO_SMALL, f"best edge after fees {edge:.4f} < {cfg.min_edge_dollars}"
        elif skip is None:
            skip = SkipReason.NO_PRICE, "no tradable price on either side"
    return EdgeRow(ticker=m.ticker, strategy=strategy, p_yes=p.p_yes, market_p=float(m.mid) if m.mid is not None else None,
                   yes_bid=m.yes_bid, yes_ask=m.yes_ask, count=cfg.max_count, confidence=p.confidence,
                   model_version=p.model_version, model_as_of=p.as_of,
                   skip_reason=None if skip is None else skip[0], detail="" if skip is None else skip[1],
                   **evs, **best)  # type: ignore[arg-type]


def evaluate_edges(probabilities: Iterable[ModelProbability], markets: Sequence[MarketSnapshot], *,
                   strategy: str, now: datetime, cfg: GateConfig | None = None,
                   refusals: Iterable[Any] = (), price_skipped: bool = True) -> list[EdgeRow]:
    """Edge rows for every probability (and a row per strategy refusal), in input order.

    ``refusals`` are :class:`~kalshi_edge.trading.strategy.Refusal` (ticker, reason, detail): the
    markets the strategy saw and declined; their rows carry the market but no EV. Pure.
    """
    cfg = cfg or GateConfig()
    by_ticker = {m.ticker: m for m in markets}
    rows: list[EdgeRow] = []
    for p in probabilities:
        m = by_ticker.get(p.ticker)
        if m is None:
            rows.append(EdgeRow(ticker=p.ticker, strategy=strategy, p_yes=p.p_yes, market_p=None, yes_bid=None,
                                yes_ask=None, count=cfg.max_count, skip_reason=SkipReason.NO_MARKET,
                                detail="no snapshot for this ticker", confidence=p.confidence,
                                model_version=p.model_version, model_as_of=p.as_of))
            continue
        rows.append(evaluate_edge(p, m, strategy=strategy, now=now, cfg=cfg, price_skipped=price_skipped))
    for r in refusals:
        m = by_ticker.get(r.ticker)
        rows.append(EdgeRow(ticker=r.ticker, strategy=strategy, p_yes=None,
                            market_p=float(m.mid) if m is not None and m.mid is not None else None,
                            yes_bid=m.yes_bid if m else None, yes_ask=m.yes_ask if m else None, count=cfg.max_count,
                            skip_reason=SkipReason(r.reason), detail=r.detail))
    return rows


def intent_from_row(row: EdgeRow, m: MarketSnapshot, *, now: datetime, cfg: GateConfig) -> OrderIntent:
    """The :class:`OrderIntent` of a selected row (deterministic ``client_order_id``)."""
    if not row.selected or row.best_side is None or row.best_price is None or row.p_yes is None:
        raise ValueError(f"{row.ticker}: row not selected ({row.skip_reason})")
    coid = client_order_id(strategy=row.strategy, ticker=m.ticker, side=row.best_side, action="buy",
                           decided_at=now, bucket_s=cfg.decision_bucket_s)
    return OrderIntent(
        client_order_id=coid, strategy=row.strategy, family=m.family, ticker=m.ticker,
        event_ticker=m.event_ticker, side=row.best_side, action="buy", price=row.best_price, count=cfg.max_count,
        liquidity=row.best_liquidity or "taker", p_yes=row.p_yes, confidence=row.confidence or 0.0,
        edge_per_contract=row.best_edge or ZERO, fee_estimate=row.best_fee or ZERO, decided_at=now,
        quote_ts=m.quote_ts, close_time=m.close_time, model_version=row.model_version,
        model_as_of=row.model_as_of, market_p=row.market_p,
    )


def exit_intent(*, strategy: str, ticker: str, event_ticker: str, family: str, side: Side, count: Decimal,
                market: MarketSnapshot, now: datetime, cfg: GateConfig, reason: str,
                p_yes: float | None = None) -> OrderIntent | None:
    """A taker **sell** of ``count`` contracts of ``side`` at our side's bid (YES bid for YES, NO bid
    = 1 − YES ask for NO): the one way an exit (a strategy's, or the risk stop-loss) is priced.

    The fee is the one fee function's (:func:`kalshi_edge.kalshi.fees.order_fee`, taker, whole
    order); ``edge_per_contract`` is what selling earns over holding at ``p_yes`` (the strategy's
    belief, else the market's mid): ``bid − fee/count − P(our side wins)``, to 1e-6 dollars.
    ``reason`` is the intent's reason (``stop_loss``, ``take_profit``, ``time_exit``, ...); the
    ``client_order_id`` is deterministic (strategy, market, side, ``sell``, time bucket), so the
    same exit decided again after a restart is never sent twice. None when our side has no bid.
    """
    bid = market.yes_bid if side == "yes" else market.no_bid
    if bid is None or not ZERO < bid < ONE or count <= 0:
        return None
    fee = order_fee(price=bid, count=count, is_maker=False, schedule=market.fee_schedule, tick=cfg.fee_tick, at=now)
    mid = float(market.mid) if market.mid is not None else float(bid if side == "yes" else ONE - bid)
    q = p_yes if p_yes is not None else mid
    win = q if side == "yes" else 1.0 - q
    edge = (bid - fee / count - _prob_decimal(win)).quantize(EV_Q)
    return OrderIntent(
        client_order_id=client_order_id(strategy=strategy, ticker=ticker, side=side, action="sell", decided_at=now,
                                        bucket_s=cfg.decision_bucket_s),
        strategy=strategy, family=family, ticker=ticker, event_ticker=event_ticker, side=side, action="sell",
        price=bid, count=count, liquidity="taker", p_yes=q, confidence=1.0, edge_per_contract=edge,
        fee_estimate=fee, decided_at=now, quote_ts=market.quote_ts, close_time=market.close_time, reason=reason,
        market_p=float(market.mid) if market.mid is not None else None,
    )


def build_intents(
    probabilities: Iterable[ModelProbability],
    markets: Sequence[MarketSnapshot],
    *,
    strategy: str,
    now: datetime,
    cfg: GateConfig | None = None,
    refusals: Iterable[Any] = (),
) -> IntentBatch:
    """Turn a strategy's probabilities into intents and rejections (one of them per probability,
    plus one rejection per refusal).

    ``now`` is the decision time (UTC): quote and input ages are measured against it and it seeds
    the ``client_order_id``. Pure: no I/O, same inputs → same output.
    """
    cfg = cfg or GateConfig()
    by_ticker = {m.ticker: m for m in markets}
    batch = IntentBatch()
    for row in evaluate_edges(probabilities, markets, strategy=strategy, now=now, cfg=cfg, refusals=refusals,
                              price_skipped=False):
        if row.skip_reason is not None:
            batch.rejections.append(Rejection(strategy=strategy, ticker=row.ticker, reason=row.skip_reason,
                                              detail=row.detail))
            continue
        batch.intents.append(intent_from_row(row, by_ticker[row.ticker], now=now, cfg=cfg))
    return batch
