"""The records the matching engine speaks (orders, states, fills, trades, deltas, results) and its price-level book."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, NamedTuple

from kalshi_edge.kalshi.money import ONE, ZERO, parse_count, parse_price

Outcome = Literal["yes", "no"]
BookSide = Literal["bid", "ask"]
Action = Literal["buy", "sell"]
TimeInForce = Literal["gtc", "ioc", "fok"]
OrderStatus = Literal["resting", "executed", "canceled", "rejected"]
SelfTradePrevention = Literal["taker_at_cross", "maker"]

#: The account that owns liquidity seeded from recorded books (``load_levels``).
EXCHANGE_ACCOUNT = "exchange"

TIF_ALIASES: dict[str, TimeInForce] = {
    "gtc": "gtc",
    "good_till_canceled": "gtc",
    "ioc": "ioc",
    "immediate_or_cancel": "ioc",
    "fok": "fok",
    "fill_or_kill": "fok",
}


class EngineError(ValueError):
    """A request the engine refuses (bad price, bad count, unknown market state)."""


class OrderNotFound(EngineError):
    """No resting order with that id (never existed, already filled or canceled)."""


def book_side_for(side: Outcome, action: Action) -> BookSide:
    """Legacy ``side``/``action`` → V2 ``book_side``: bid = long YES (buy yes / sell no)."""
    if side not in ("yes", "no"):
        raise EngineError(f"side: {side!r} is not 'yes' or 'no'")
    if action not in ("buy", "sell"):
        raise EngineError(f"action: {action!r} is not 'buy' or 'sell'")
    return "bid" if (side == "yes") == (action == "buy") else "ask"


@dataclass(frozen=True, slots=True)
class EngineOrder:
    """An order as the engine sees it. ``price`` is the YES price in dollars; ``count`` contracts."""

    order_id: str
    account: str
    ticker: str
    book_side: BookSide
    price: Decimal
    count: Decimal
    client_order_id: str = ""
    time_in_force: TimeInForce = "gtc"
    post_only: bool = False
    self_trade_prevention: SelfTradePrevention = "taker_at_cross"
    ts_ms: int = 0

    def __post_init__(self) -> None:
        if self.book_side not in ("bid", "ask"):
            raise EngineError(f"book_side: {self.book_side!r} is not 'bid' or 'ask'")
        tif = TIF_ALIASES.get(str(self.time_in_force))
        if tif is None:
            raise EngineError(f"time_in_force: {self.time_in_force!r} is not gtc/ioc/fok")
        object.__setattr__(self, "time_in_force", tif)
        price = parse_price(self.price, "price")
        if not ZERO < price < ONE:
            raise EngineError(f"price: {price} must be strictly between 0 and 1 dollars")
        count = parse_count(self.count, "count")
        if count <= ZERO:
            raise EngineError(f"count: {count} must be positive")
        if self.self_trade_prevention not in ("taker_at_cross", "maker"):
            raise EngineError(f"self_trade_prevention: {self.self_trade_prevention!r} is not taker_at_cross/maker")
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "count", count)

    @classmethod
    def from_side_action(
        cls,
        *,
        order_id: str,
        account: str,
        ticker: str,
        side: Outcome,
        action: Action,
        price: Decimal,
        count: Decimal,
        **kwargs: object,
    ) -> EngineOrder:
        """Build from legacy fields; ``price`` is the price **of ``side``** (a NO price for side=no)."""
        p = parse_price(price, "price")
        yes_price = p if side == "yes" else ONE - p
        return cls(
            order_id=order_id,
            account=account,
            ticker=ticker,
            book_side=book_side_for(side, action),
            price=yes_price,
            count=count,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def outcome(self) -> Outcome:
        """The outcome this order bids for (``bid`` → yes, ``ask`` → no)."""
        return "yes" if self.book_side == "bid" else "no"

    @property
    def outcome_price(self) -> Decimal:
        """The price in its own outcome's terms (NO price for an ask)."""
        return self.price if self.book_side == "bid" else ONE - self.price


@dataclass(slots=True)
class OrderState:
    """The live state of one order. Counts in contracts, fees and costs in dollars."""

    order: EngineOrder
    status: OrderStatus
    remaining_count: Decimal
    filled_count: Decimal = ZERO
    #: Sum over fills of yes_price × count (dollars): average yes fill price = this / filled.
    filled_yes_notional: Decimal = ZERO
    taker_fees: Decimal = ZERO
    maker_fees: Decimal = ZERO
    reject_reason: str = ""
    seq: int = 0
    # Unrounded cumulative fees: the per-order rounding is applied to these sums.
    _raw_taker: Decimal = ZERO
    _raw_maker: Decimal = ZERO

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def initial_count(self) -> Decimal:
        return self.order.count

    @property
    def average_yes_price(self) -> Decimal | None:
        """Average YES execution price in dollars (None before any fill)."""
        if self.filled_count == ZERO:
            return None
        return self.filled_yes_notional / self.filled_count


@dataclass(frozen=True, slots=True)
class EngineFill:
    """One order's side of one execution. ``yes_price`` dollars; ``fee`` dollars charged to this order."""

    fill_id: str
    trade_id: str
    order_id: str
    client_order_id: str
    account: str
    ticker: str
    book_side: BookSide
    count: Decimal
    yes_price: Decimal
    is_taker: bool
    fee: Decimal
    ts_ms: int

    @property
    def outcome(self) -> Outcome:
        return "yes" if self.book_side == "bid" else "no"

    @property
    def no_price(self) -> Decimal:
        return ONE - self.yes_price

    @property
    def outcome_price(self) -> Decimal:
        """The price paid for the outcome this order is long."""
        return self.yes_price if self.book_side == "bid" else ONE - self.yes_price


@dataclass(frozen=True, slots=True)
class EngineTrade:
    """One execution between a taker and a maker (what the public ``trade`` channel shows)."""

    trade_id: str
    ticker: str
    count: Decimal
    yes_price: Decimal
    taker_book_side: BookSide
    taker_order_id: str
    maker_order_id: str
    ts_ms: int

    @property
    def taker_outcome_side(self) -> Outcome:
        return "yes" if self.taker_book_side == "bid" else "no"


@dataclass(frozen=True, slots=True)
class BookDelta:
    """A change of the aggregate quantity at one level (``orderbook_delta``): outcome-side price."""

    ticker: str
    side: Outcome
    price: Decimal
    delta: Decimal
    ts_ms: int


class Book(NamedTuple):
    """Aggregate levels, best first: ``yes`` = YES bids (yes prices), ``no`` = NO bids (no prices)."""

    yes: list[tuple[Decimal, Decimal]]
    no: list[tuple[Decimal, Decimal]]

    @property
    def best_yes_bid(self) -> Decimal | None:
        return self.yes[0][0] if self.yes else None

    @property
    def best_no_bid(self) -> Decimal | None:
        return self.no[0][0] if self.no else None

    @property
    def best_yes_ask(self) -> Decimal | None:
        """1 − best NO bid (dollars)."""
        return ONE - self.no[0][0] if self.no else None

    @property
    def best_no_ask(self) -> Decimal | None:
        return ONE - self.yes[0][0] if self.yes else None


@dataclass(slots=True)
class SubmitResult:
    """What one ``submit`` did. Iterating it yields the fills."""

    state: OrderState
    fills: list[EngineFill] = field(default_factory=list)
    trades: list[EngineTrade] = field(default_factory=list)
    deltas: list[BookDelta] = field(default_factory=list)
    #: Resting orders of other accounts that finished (executed) or were cancelled by STP.
    touched: list[OrderState] = field(default_factory=list)

    def __iter__(self) -> Iterator[EngineFill]:
        return iter(self.fills)

    def __len__(self) -> int:
        return len(self.fills)

    @property
    def status(self) -> OrderStatus:
        return self.state.status


@dataclass(slots=True)
class LevelsResult:
    """What one ``load_levels`` did: executions against user orders and the level changes."""

    fills: list[EngineFill] = field(default_factory=list)
    trades: list[EngineTrade] = field(default_factory=list)
    deltas: list[BookDelta] = field(default_factory=list)
    touched: list[OrderState] = field(default_factory=list)


class PriceLevel:
    __slots__ = ("price", "orders", "total")

    def __init__(self, price: Decimal) -> None:
        self.price = price
        self.orders: deque[OrderState] = deque()
        self.total = ZERO


class BookSideLevels:
    """One outcome's bids: price → FIFO level; ``prices`` kept sorted ascending (best = last)."""

    __slots__ = ("levels", "prices")

    def __init__(self) -> None:
        self.levels: dict[Decimal, PriceLevel] = {}
        self.prices: list[Decimal] = []

    def level(self, price: Decimal) -> PriceLevel:
        lvl = self.levels.get(price)
        if lvl is None:
            lvl = PriceLevel(price)
            self.levels[price] = lvl
            bisect.insort(self.prices, price)
        return lvl

    def drop_if_empty(self, lvl: PriceLevel) -> None:
        # The identity check makes a second call (level already dropped or re-created) harmless.
        if not lvl.orders and self.levels.get(lvl.price) is lvl:
            del self.levels[lvl.price]
            i = bisect.bisect_left(self.prices, lvl.price)
            del self.prices[i]

    def best_first(self) -> Iterator[PriceLevel]:
        # Iterate over a snapshot: matching may delete levels while we walk.
        for p in reversed(list(self.prices)):
            lvl = self.levels.get(p)
            if lvl is not None:
                yield lvl


class MarketBook:
    __slots__ = ("yes", "no")

    def __init__(self) -> None:
        self.yes = BookSideLevels()
        self.no = BookSideLevels()

    def side(self, outcome: Outcome) -> BookSideLevels:
        return self.yes if outcome == "yes" else self.no

