"""Exact domain model of the Kalshi Trade API v2 (2026 fixed-point schema).

Every price, count and amount is a :class:`~decimal.Decimal` in dollars / contracts. Parsers
(``parse_market``, ``parse_order``...) accept the current ``*_dollars`` / ``*_fp`` fields and,
where a response still carries only them, the legacy integer-cent / integer-count fields (see
``tests/fixtures/kalshi_rest/markets_mixed_legacy_and_dollar_fields.json``). A payload carrying
neither raises :class:`KalshiSchemaError` naming the field, so corrupt data never becomes a
silent zero.

Order-book convention (KALSHI_API.md "Order book"): both sides are resting **bids**; a NO bid at
p is a YES ask at 1 − p, so ``best_yes_ask = 1 − best_no_bid`` and ``best_no_ask = 1 − best_yes_bid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from kalshi_edge.kalshi.errors import KalshiSchemaError
from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.money import (
    ONE,
    ZERO,
    MoneyError,
    cents_to_dollars,
    parse_count,
    parse_price,
    to_decimal,
)

# ---------------------------------------------------------------------------------------------
# field helpers


def _where(ctx: str, name: str) -> str:
    return f"{ctx}.{name}" if ctx else name


def _price_field(d: Mapping[str, Any], base: str, ctx: str, *, required: bool = True) -> Decimal | None:
    """``<base>_dollars`` (string dollars) or legacy ``<base>`` (integer cents)."""
    key = f"{base}_dollars"
    try:
        if d.get(key) not in (None, ""):
            return parse_price(d[key], _where(ctx, key))
        if d.get(base) not in (None, ""):
            return parse_price(cents_to_dollars(d[base], _where(ctx, base)), _where(ctx, base))
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None
    if required:
        raise KalshiSchemaError(f"{_where(ctx, key)}: missing (neither {key!r} nor legacy {base!r} present)")
    return None


def _amount_field(d: Mapping[str, Any], base: str, ctx: str, *, required: bool = False) -> Decimal | None:
    """A dollar amount that may exceed $1 (fees, costs, PnL): ``<base>_dollars`` or legacy cents."""
    key = f"{base}_dollars"
    try:
        if d.get(key) not in (None, ""):
            return to_decimal(d[key], _where(ctx, key))
        if d.get(base) not in (None, ""):
            return cents_to_dollars(d[base], _where(ctx, base))
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None
    if required:
        raise KalshiSchemaError(f"{_where(ctx, key)}: missing (neither {key!r} nor legacy {base!r} present)")
    return None


def _count_field(
    d: Mapping[str, Any], base: str, ctx: str, *, required: bool = True, signed: bool = False
) -> Decimal | None:
    """``<base>_fp`` (fixed-point string) or legacy ``<base>`` (integer contracts)."""
    key = f"{base}_fp"
    raw = d.get(key)
    name = key
    if raw in (None, ""):
        raw, name = d.get(base), base
    if raw in (None, ""):
        if required:
            raise KalshiSchemaError(f"{_where(ctx, key)}: missing (neither {key!r} nor legacy {base!r} present)")
        return None
    try:
        if signed:
            v = to_decimal(raw, _where(ctx, name))
            return -parse_count(-v, _where(ctx, name)) if v < 0 else parse_count(v, _where(ctx, name))
        return parse_count(raw, _where(ctx, name))
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None


def _str(d: Mapping[str, Any], key: str, ctx: str, *, required: bool = False) -> str | None:
    v = d.get(key)
    if v is None or v == "":
        if required:
            raise KalshiSchemaError(f"{_where(ctx, key)}: missing")
        return None if v is None else ""
    if not isinstance(v, str):
        raise KalshiSchemaError(f"{_where(ctx, key)}: expected a string, got {v!r}")
    return v


def _time(d: Mapping[str, Any], key: str, ctx: str) -> datetime | None:
    v = d.get(key)
    if v in (None, ""):
        return None
    try:
        if isinstance(v, int | float) and not isinstance(v, bool):
            # integer timestamps: seconds, or milliseconds when obviously too large for seconds
            return datetime.fromtimestamp(v / 1000 if v > 10**11 else v, tz=UTC)
        dt = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise KalshiSchemaError(f"{_where(ctx, key)}: {v!r} is not a timestamp") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _strike(d: Mapping[str, Any], key: str, ctx: str) -> Decimal | None:
    """Strikes are JSON numbers (the spec says double); kept exact via their decimal text."""
    v = d.get(key)
    if v in (None, ""):
        return None
    if isinstance(v, bool):
        raise KalshiSchemaError(f"{_where(ctx, key)}: {v!r} is not a number")
    try:
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(str(v))
    except InvalidOperation:
        raise KalshiSchemaError(f"{_where(ctx, key)}: {v!r} is not a number") from None


def _bool(d: Mapping[str, Any], key: str, default: bool = False) -> bool:
    v = d.get(key)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return default if v is None else bool(v)


# ---------------------------------------------------------------------------------------------
# enums


class Side(StrEnum):
    """Outcome side of a contract."""

    YES = "yes"
    NO = "no"


class BookSide(StrEnum):
    """V2 order side: ``bid`` = long YES (buy yes / sell no); ``ask`` = long NO (buy no / sell yes)."""

    BID = "bid"
    ASK = "ask"


def book_side_of(outcome_side: str, action: str) -> BookSide:
    """Legacy (side, action) → V2 book side."""
    long_yes = (outcome_side == "yes") == (action == "buy")
    return BookSide.BID if long_yes else BookSide.ASK


# ---------------------------------------------------------------------------------------------
# series / event / market


@dataclass(frozen=True, slots=True)
class Series:
    ticker: str
    title: str = ""
    category: str = ""
    frequency: str = ""
    fee_type: str = "quadratic"
    fee_multiplier: Decimal = ONE
    tags: tuple[str, ...] = ()
    settlement_sources: tuple[str, ...] = ()


def parse_series(d: Mapping[str, Any]) -> Series:
    """A ``Series`` object (``GET /series/{ticker}`` → ``series``)."""
    ticker = _str(d, "ticker", "series", required=True)
    ctx = f"series[{ticker}]"
    mult = d.get("fee_multiplier", 1)
    try:
        mult_d = to_decimal(repr(mult) if isinstance(mult, float) else mult, f"{ctx}.fee_multiplier")
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None
    sources = tuple(
        str(s.get("name", s)) if isinstance(s, Mapping) else str(s) for s in (d.get("settlement_sources") or ())
    )
    return Series(
        ticker=ticker or "",
        title=_str(d, "title", ctx) or "",
        category=_str(d, "category", ctx) or "",
        frequency=_str(d, "frequency", ctx) or "",
        fee_type=_str(d, "fee_type", ctx) or "quadratic",
        fee_multiplier=mult_d,
        tags=tuple(d.get("tags") or ()),
        settlement_sources=sources,
    )


@dataclass(frozen=True, slots=True)
class PriceRange:
    """Orders between ``start`` and ``end`` dollars must be multiples of ``step`` above ``start``."""

    start: Decimal
    end: Decimal
    step: Decimal


#: Default ranges per ``price_level_structure`` when a payload omits ``price_ranges``.
DEFAULT_PRICE_RANGES: dict[str, tuple[PriceRange, ...]] = {
    "linear_cent": (PriceRange(ZERO, ONE, Decimal("0.01")),),
    "deci_cent": (PriceRange(ZERO, ONE, Decimal("0.001")),),
    "tapered_deci_cent": (
        PriceRange(ZERO, Decimal("0.10"), Decimal("0.001")),
        PriceRange(Decimal("0.10"), Decimal("0.90"), Decimal("0.01")),
        PriceRange(Decimal("0.90"), ONE, Decimal("0.001")),
    ),
}


@dataclass(frozen=True, slots=True)
class Market:
    """One binary contract. Only ``ticker`` is mandatory so helpers can build markets from CSVs."""

    ticker: str
    event_ticker: str = ""
    series_ticker: str | None = None
    market_type: str = "binary"
    title: str = ""
    subtitle: str = ""
    yes_sub_title: str | None = None
    no_sub_title: str | None = None
    rules_primary: str | None = None
    status: str = ""
    result: str = ""
    strike_type: str | None = None
    floor_strike: Decimal | None = None
    cap_strike: Decimal | None = None
    custom_strike: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    yes_bid: Decimal | None = None
    yes_ask: Decimal | None = None
    no_bid: Decimal | None = None
    no_ask: Decimal | None = None
    yes_bid_size: Decimal | None = None
    yes_ask_size: Decimal | None = None
    last_price: Decimal | None = None
    volume: Decimal | None = None
    volume_24h: Decimal | None = None
    open_interest: Decimal | None = None
    settlement_value: Decimal | None = None
    expiration_value: str = ""
    price_level_structure: str = "linear_cent"
    price_ranges: tuple[PriceRange, ...] = ()
    fractional_trading_enabled: bool = False
    open_time: datetime | None = None
    close_time: datetime | None = None
    expiration_time: datetime | None = None
    settlement_ts: datetime | None = None
    fee_waiver_expiration_time: datetime | None = None
    updated_time: datetime | None = None

    @property
    def effective_price_ranges(self) -> tuple[PriceRange, ...]:
        if self.price_ranges:
            return self.price_ranges
        try:
            return DEFAULT_PRICE_RANGES[self.price_level_structure]
        except KeyError:
            raise KalshiSchemaError(
                f"market[{self.ticker}].price_level_structure: unknown {self.price_level_structure!r} "
                "and no price_ranges"
            ) from None

    def tick_at(self, price: Decimal) -> Decimal:
        """The price step (dollars) that applies at ``price``."""
        for r in self.effective_price_ranges:
            if r.start <= price <= r.end:
                return r.step
        raise MoneyError(f"price: {price} outside every price range of {self.ticker}")

    def validate_price(self, price: object, field: str = "price") -> Decimal:
        """An order price in dollars, strictly inside (0, 1) and on this market's tick grid.

        Raises :class:`MoneyError` naming ``field`` otherwise. Returns the parsed Decimal.
        """
        p = parse_price(price, field)
        if p <= ZERO or p >= ONE:
            raise MoneyError(f"{field}: order price {p} must be strictly between 0 and 1 dollars")
        for r in self.effective_price_ranges:
            if r.start <= p <= r.end and (p - r.start) % r.step == 0:
                return p
        steps = ", ".join(f"{r.start}-{r.end} step {r.step}" for r in self.effective_price_ranges)
        raise MoneyError(f"{field}: {p} is not on {self.ticker}'s tick grid ({steps})")

    def fee_schedule(self, series: Series | None = None, event: Event | None = None) -> FeeSchedule:
        """Fees for this market: series type/multiplier, event overrides, this market's waiver."""
        return FeeSchedule.resolve(
            series_fee_type=series.fee_type if series else None,
            series_multiplier=series.fee_multiplier if series else ONE,
            event_fee_type_override=event.fee_type_override if event else None,
            event_multiplier_override=event.fee_multiplier_override if event else None,
            market_waiver_expiration=self.fee_waiver_expiration_time,
        )

    def to_summary(self) -> dict[str, Any]:
        """A JSON-safe dict of the main fields (Decimal → str)."""
        return {
            "ticker": self.ticker,
            "event_ticker": self.event_ticker,
            "status": self.status,
            "result": self.result,
            "strike_type": self.strike_type,
            "floor_strike": None if self.floor_strike is None else str(self.floor_strike),
            "cap_strike": None if self.cap_strike is None else str(self.cap_strike),
            "yes_sub_title": self.yes_sub_title,
            "yes_bid_dollars": None if self.yes_bid is None else str(self.yes_bid),
            "yes_ask_dollars": None if self.yes_ask is None else str(self.yes_ask),
            "last_price_dollars": None if self.last_price is None else str(self.last_price),
            "volume_fp": None if self.volume is None else str(self.volume),
            "close_time": None if self.close_time is None else self.close_time.isoformat(),
        }


def _parse_price_ranges(raw: Any, ctx: str) -> tuple[PriceRange, ...]:
    if not raw:
        return ()
    out = []
    for i, r in enumerate(raw):
        try:
            start = parse_price(r["start"], f"{ctx}.price_ranges[{i}].start")
            end = parse_price(r["end"], f"{ctx}.price_ranges[{i}].end")
            step = to_decimal(r["step"], f"{ctx}.price_ranges[{i}].step")
        except KeyError as exc:
            raise KalshiSchemaError(f"{ctx}.price_ranges[{i}]: missing {exc.args[0]!r}") from None
        except MoneyError as exc:
            raise KalshiSchemaError(str(exc)) from None
        if step <= 0 or end < start:
            raise KalshiSchemaError(f"{ctx}.price_ranges[{i}]: bad range {r!r}")
        out.append(PriceRange(start, end, step))
    return tuple(out)


def parse_market(d: Mapping[str, Any], *, series_ticker: str | None = None) -> Market:
    """A ``Market`` object from ``GET /markets`` or ``/markets/{ticker}``.

    Quotes (``yes_bid``, ``yes_ask``, ``no_bid``, ``no_ask``) are required in either the
    ``*_dollars`` or the legacy integer-cent form; everything else is optional.
    """
    if not isinstance(d, Mapping):
        raise KalshiSchemaError(f"market: expected an object, got {type(d).__name__}")
    ticker = _str(d, "ticker", "market", required=True) or ""
    ctx = f"market[{ticker}]"
    return Market(
        ticker=ticker,
        event_ticker=_str(d, "event_ticker", ctx) or "",
        series_ticker=series_ticker or _str(d, "series_ticker", ctx) or None,
        market_type=_str(d, "market_type", ctx) or "binary",
        title=_str(d, "title", ctx) or "",
        subtitle=_str(d, "subtitle", ctx) or "",
        yes_sub_title=_str(d, "yes_sub_title", ctx),
        no_sub_title=_str(d, "no_sub_title", ctx),
        rules_primary=_str(d, "rules_primary", ctx),
        status=_str(d, "status", ctx) or "",
        result=_str(d, "result", ctx) or "",
        strike_type=_str(d, "strike_type", ctx) or None,
        floor_strike=_strike(d, "floor_strike", ctx),
        cap_strike=_strike(d, "cap_strike", ctx),
        custom_strike=d.get("custom_strike"),
        yes_bid=_price_field(d, "yes_bid", ctx),
        yes_ask=_price_field(d, "yes_ask", ctx),
        no_bid=_price_field(d, "no_bid", ctx),
        no_ask=_price_field(d, "no_ask", ctx),
        yes_bid_size=_count_field(d, "yes_bid_size", ctx, required=False),
        yes_ask_size=_count_field(d, "yes_ask_size", ctx, required=False),
        last_price=_price_field(d, "last_price", ctx, required=False),
        volume=_count_field(d, "volume", ctx, required=False),
        volume_24h=_count_field(d, "volume_24h", ctx, required=False),
        open_interest=_count_field(d, "open_interest", ctx, required=False),
        settlement_value=_price_field(d, "settlement_value", ctx, required=False),
        expiration_value=str(d.get("expiration_value") or ""),
        price_level_structure=_str(d, "price_level_structure", ctx) or "linear_cent",
        price_ranges=_parse_price_ranges(d.get("price_ranges"), ctx),
        fractional_trading_enabled=_bool(d, "fractional_trading_enabled"),
        open_time=_time(d, "open_time", ctx),
        close_time=_time(d, "close_time", ctx),
        expiration_time=_time(d, "expiration_time", ctx),
        settlement_ts=_time(d, "settlement_ts", ctx),
        fee_waiver_expiration_time=_time(d, "fee_waiver_expiration_time", ctx),
        updated_time=_time(d, "updated_time", ctx),
    )


def parse_markets(payload: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[Market]:
    """Markets from a ``{"markets": [...]}`` response, a list, or an index-keyed dict of markets."""
    if isinstance(payload, Mapping):
        if "markets" in payload:
            items: Iterable[Any] = payload["markets"] or []
        elif "market" in payload:
            items = [payload["market"]]
        else:  # e.g. a pandas to_json(orient="index") dump: {"0": {...}, "1": {...}}
            items = payload.values()
    else:
        items = payload
    return [parse_market(m) for m in items]


@dataclass(frozen=True, slots=True)
class Event:
    event_ticker: str
    series_ticker: str = ""
    title: str = ""
    sub_title: str = ""
    mutually_exclusive: bool = False
    strike_date: datetime | None = None
    fee_type_override: str | None = None
    fee_multiplier_override: Decimal | None = None
    markets: tuple[Market, ...] = ()


def parse_event(d: Mapping[str, Any], markets: Iterable[Mapping[str, Any]] | None = None) -> Event:
    """An ``EventData`` object (``GET /events/{ticker}`` → ``event``; ``markets`` nested or beside)."""
    ticker = _str(d, "event_ticker", "event", required=True) or ""
    ctx = f"event[{ticker}]"
    mult = d.get("fee_multiplier_override")
    try:
        mult_d = (
            None
            if mult in (None, "")
            else to_decimal(repr(mult) if isinstance(mult, float) else mult, f"{ctx}.fee_multiplier_override")
        )
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None
    series = _str(d, "series_ticker", ctx) or ""
    raw_markets = markets if markets is not None else (d.get("markets") or ())
    return Event(
        event_ticker=ticker,
        series_ticker=series,
        title=_str(d, "title", ctx) or "",
        sub_title=_str(d, "sub_title", ctx) or "",
        mutually_exclusive=_bool(d, "mutually_exclusive"),
        strike_date=_time(d, "strike_date", ctx),
        fee_type_override=_str(d, "fee_type_override", ctx) or None,
        fee_multiplier_override=mult_d,
        markets=tuple(parse_market(m, series_ticker=series or None) for m in raw_markets),
    )


# ---------------------------------------------------------------------------------------------
# order book


_DEC_CACHE: dict[str, Decimal] = {}


def _dec_cached(text: str) -> Decimal:
    """``Decimal(text)`` memoized: a feed repeats the same few hundred price/size strings, and
    parsing them is most of the cost of applying a delta. Bounded so it cannot grow without limit."""
    d = _DEC_CACHE.get(text)
    if d is None:
        d = Decimal(text)
        if not d.is_finite():
            raise KalshiSchemaError(f"orderbook: {text!r} is not a finite number")
        if len(_DEC_CACHE) >= 65_536:
            _DEC_CACHE.clear()
        _DEC_CACHE[text] = d
    return d


class OrderBook:
    """A market's resting bids: ``yes[price] = count`` and ``no[price] = count`` (Decimal dollars).

    Mutable on purpose (the WebSocket client applies thousands of deltas a second); use
    :meth:`copy` for a snapshot. Price keys compare by value, so "0.5600" and "0.56" are one level.
    """

    __slots__ = ("ticker", "yes", "no", "ts_ms")

    def __init__(
        self,
        ticker: str,
        yes: Mapping[Decimal, Decimal] | None = None,
        no: Mapping[Decimal, Decimal] | None = None,
        ts_ms: int | None = None,
    ) -> None:
        self.ticker = ticker
        self.yes: dict[Decimal, Decimal] = dict(yes or {})
        self.no: dict[Decimal, Decimal] = dict(no or {})
        self.ts_ms = ts_ms

    # -- construction -------------------------------------------------------------------
    @staticmethod
    def _levels(raw: Any, ctx: str, *, cents: bool = False) -> dict[Decimal, Decimal]:
        out: dict[Decimal, Decimal] = {}
        for i, lvl in enumerate(raw or ()):
            try:
                p_raw, c_raw = lvl[0], lvl[1]
            except (TypeError, IndexError, KeyError):
                raise KalshiSchemaError(f"{ctx}[{i}]: expected [price, count], got {lvl!r}") from None
            try:
                p = cents_to_dollars(p_raw, f"{ctx}[{i}].price") if cents else parse_price(p_raw, f"{ctx}[{i}].price")
                c = parse_count(c_raw, f"{ctx}[{i}].count")
            except MoneyError as exc:
                raise KalshiSchemaError(str(exc)) from None
            if c > 0:
                out[p] = out.get(p, ZERO) + c
        return out

    @classmethod
    def from_rest(cls, ticker: str, payload: Mapping[str, Any]) -> OrderBook:
        """From ``GET /markets/{ticker}/orderbook``: ``orderbook_fp`` (dollars) or legacy ``orderbook`` (cents)."""
        ctx = f"orderbook[{ticker}]"
        if isinstance(payload.get("orderbook_fp"), Mapping):
            ob = payload["orderbook_fp"]
            return cls(
                ticker,
                cls._levels(ob.get("yes_dollars"), f"{ctx}.yes_dollars"),
                cls._levels(ob.get("no_dollars"), f"{ctx}.no_dollars"),
            )
        if isinstance(payload.get("orderbook"), Mapping):
            ob = payload["orderbook"]
            if "yes_dollars" in ob or "no_dollars" in ob:
                return cls(
                    ticker,
                    cls._levels(ob.get("yes_dollars"), f"{ctx}.yes_dollars"),
                    cls._levels(ob.get("no_dollars"), f"{ctx}.no_dollars"),
                )
            return cls(
                ticker,
                cls._levels(ob.get("yes"), f"{ctx}.yes", cents=True),
                cls._levels(ob.get("no"), f"{ctx}.no", cents=True),
            )
        raise KalshiSchemaError(f"{ctx}: missing (neither 'orderbook_fp' nor legacy 'orderbook' present)")

    @classmethod
    def from_ws_snapshot(cls, msg: Mapping[str, Any]) -> OrderBook:
        """From an ``orderbook_snapshot`` message body (``yes_dollars_fp`` / ``no_dollars_fp``)."""
        ticker = _str(msg, "market_ticker", "orderbook_snapshot", required=True) or ""
        ctx = f"orderbook_snapshot[{ticker}]"
        if "yes_dollars_fp" not in msg and "no_dollars_fp" not in msg and ("yes" in msg or "no" in msg):
            return cls(ticker, cls._levels(msg.get("yes"), f"{ctx}.yes", cents=True),
                       cls._levels(msg.get("no"), f"{ctx}.no", cents=True))
        return cls(
            ticker,
            cls._levels(msg.get("yes_dollars_fp"), f"{ctx}.yes_dollars_fp"),
            cls._levels(msg.get("no_dollars_fp"), f"{ctx}.no_dollars_fp"),
            ts_ms=msg.get("ts_ms"),
        )

    # -- mutation -------------------------------------------------------------------------
    def apply_delta(self, side: str, price: Decimal | str, delta: Decimal | str, ts_ms: int | None = None) -> None:
        """Add ``delta`` contracts (may be negative) at ``price`` on ``side`` ("yes"|"no").

        A level that reaches zero is removed. A level that would go negative means the book is
        out of sync with the exchange: raises :class:`KalshiSchemaError` (callers resnapshot).
        """
        book = self.yes if side == "yes" else self.no if side == "no" else None
        if book is None:
            raise KalshiSchemaError(f"orderbook_delta[{self.ticker}].side: {side!r} is not yes|no")
        p = price if isinstance(price, Decimal) else _dec_cached(price)
        new = book.get(p, ZERO) + (delta if isinstance(delta, Decimal) else _dec_cached(delta))
        if new > 0:
            book[p] = new
        elif new == 0:
            book.pop(p, None)
        else:
            raise KalshiSchemaError(
                f"orderbook_delta[{self.ticker}]: {side} level {p} would go negative ({new}); book out of sync"
            )
        if ts_ms is not None:
            self.ts_ms = ts_ms

    def copy(self) -> OrderBook:
        return OrderBook(self.ticker, self.yes, self.no, self.ts_ms)

    # -- reading --------------------------------------------------------------------------
    @property
    def best_yes_bid(self) -> Decimal | None:
        return max(self.yes) if self.yes else None

    @property
    def best_no_bid(self) -> Decimal | None:
        return max(self.no) if self.no else None

    @property
    def best_yes_ask(self) -> Decimal | None:
        """1 − best NO bid (a NO bid at p is a YES offer at 1 − p)."""
        b = self.best_no_bid
        return None if b is None else ONE - b

    @property
    def best_no_ask(self) -> Decimal | None:
        b = self.best_yes_bid
        return None if b is None else ONE - b

    def yes_levels(self) -> list[tuple[Decimal, Decimal]]:
        """YES bids, best (highest) first."""
        return sorted(self.yes.items(), reverse=True)

    def no_levels(self) -> list[tuple[Decimal, Decimal]]:
        """NO bids, best (highest) first."""
        return sorted(self.no.items(), reverse=True)

    def yes_asks(self) -> list[tuple[Decimal, Decimal]]:
        """YES offers implied by the NO bids, best (lowest) first: (1 − p, count)."""
        return [(ONE - p, c) for p, c in self.no_levels()]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderBook):
            return NotImplemented
        return self.ticker == other.ticker and self.yes == other.yes and self.no == other.no

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.ticker!r}, yes={len(self.yes)} levels best {self.best_yes_bid}, "
            f"no={len(self.no)} levels best {self.best_no_bid})"
        )


# ---------------------------------------------------------------------------------------------
# orders, fills, positions, settlements, trades


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    ticker: str
    client_order_id: str = ""
    outcome_side: Side = Side.YES
    book_side: BookSide = BookSide.BID
    action: str | None = None
    status: str = ""
    yes_price: Decimal | None = None
    no_price: Decimal | None = None
    initial_count: Decimal = ZERO
    fill_count: Decimal = ZERO
    remaining_count: Decimal = ZERO
    taker_fees: Decimal = ZERO
    maker_fees: Decimal = ZERO
    created_time: datetime | None = None
    #: The order group the order belongs to ("" when none, or when the payload does not say).
    order_group_id: str = ""

    @property
    def is_open(self) -> bool:
        return self.status == "resting"


def _sides(d: Mapping[str, Any], ctx: str) -> tuple[Side, BookSide, str | None]:
    action = _str(d, "action", ctx) or None
    outcome = _str(d, "outcome_side", ctx) or _str(d, "side", ctx)
    book = _str(d, "book_side", ctx)
    if outcome not in ("yes", "no") and book in ("bid", "ask"):
        outcome = "yes"  # V2 orders are expressed on the YES book
    if outcome not in ("yes", "no"):
        raise KalshiSchemaError(f"{ctx}.outcome_side: missing or invalid (got {outcome!r}, side={d.get('side')!r})")
    if book not in ("bid", "ask"):
        if action not in ("buy", "sell"):
            raise KalshiSchemaError(f"{ctx}.book_side: missing, and no legacy 'action' to derive it from")
        book = book_side_of(outcome, action).value
    return Side(outcome), BookSide(book), action


def parse_order(d: Mapping[str, Any]) -> Order:
    """An ``Order`` object (``GET /portfolio/orders`` items, ``/orders/{id}`` → ``order``)."""
    oid = _str(d, "order_id", "order", required=True) or ""
    ctx = f"order[{oid}]"
    outcome, book, action = _sides(d, ctx)
    return Order(
        order_id=oid,
        ticker=_str(d, "ticker", ctx, required=True) or "",
        client_order_id=_str(d, "client_order_id", ctx) or "",
        outcome_side=outcome,
        book_side=book,
        action=action,
        status=_str(d, "status", ctx, required=True) or "",
        yes_price=_price_field(d, "yes_price", ctx, required=False),
        no_price=_price_field(d, "no_price", ctx, required=False),
        initial_count=_count_field(d, "initial_count", ctx, required=False) or ZERO,
        fill_count=_count_field(d, "fill_count", ctx, required=True) or ZERO,
        remaining_count=_count_field(d, "remaining_count", ctx, required=True) or ZERO,
        taker_fees=_amount_field(d, "taker_fees", ctx) or ZERO,
        maker_fees=_amount_field(d, "maker_fees", ctx) or ZERO,
        created_time=_time(d, "created_time", ctx),
        order_group_id=_str(d, "order_group_id", ctx) or "",
    )


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    order_id: str
    ticker: str
    outcome_side: Side
    book_side: BookSide
    count: Decimal
    yes_price: Decimal
    no_price: Decimal
    is_taker: bool
    fee_cost: Decimal = ZERO
    trade_id: str = ""
    action: str | None = None
    created_time: datetime | None = None

    @property
    def signed_yes_count(self) -> Decimal:
        """Contracts of YES exposure this fill adds (+) or removes (−)."""
        return self.count if self.book_side is BookSide.BID else -self.count


def parse_fill(d: Mapping[str, Any]) -> Fill:
    """A ``Fill`` (REST ``/portfolio/fills`` item or WS ``fill`` message body)."""
    fid = _str(d, "fill_id", "fill") or _str(d, "trade_id", "fill", required=True) or ""
    ctx = f"fill[{fid}]"
    outcome, book, action = _sides(d, ctx)
    yes_p = _price_field(d, "yes_price", ctx, required=False)
    no_p = _price_field(d, "no_price", ctx, required=False)
    if yes_p is None and no_p is None:
        raise KalshiSchemaError(f"{ctx}.yes_price_dollars: missing (and no no_price_dollars)")
    yes_p = yes_p if yes_p is not None else ONE - no_p  # type: ignore[operator]
    no_p = no_p if no_p is not None else ONE - yes_p
    fee = d.get("fee_cost")
    try:
        fee_d = ZERO if fee in (None, "") else to_decimal(fee, f"{ctx}.fee_cost")
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None
    created = _time(d, "created_time", ctx) or _time(d, "ts_ms", ctx) or _time(d, "ts", ctx)
    return Fill(
        fill_id=fid,
        order_id=_str(d, "order_id", ctx, required=True) or "",
        ticker=_str(d, "ticker", ctx) or _str(d, "market_ticker", ctx, required=True) or "",
        outcome_side=outcome,
        book_side=book,
        count=_count_field(d, "count", ctx) or ZERO,
        yes_price=yes_p,
        no_price=no_p,
        is_taker=_bool(d, "is_taker"),
        fee_cost=fee_d,
        trade_id=_str(d, "trade_id", ctx) or "",
        action=action,
        created_time=created,
    )


@dataclass(frozen=True, slots=True)
class Position:
    """Net position in one market: ``position`` > 0 is YES contracts, < 0 is NO contracts."""

    ticker: str
    position: Decimal
    market_exposure: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees_paid: Decimal = ZERO
    total_traded: Decimal = ZERO
    resting_orders_count: int = 0


def parse_position(d: Mapping[str, Any]) -> Position:
    """A ``MarketPosition`` (``GET /portfolio/positions`` → ``market_positions`` items)."""
    ticker = _str(d, "ticker", "position", required=True) or ""
    ctx = f"position[{ticker}]"
    return Position(
        ticker=ticker,
        position=_count_field(d, "position", ctx, signed=True) or ZERO,
        market_exposure=_amount_field(d, "market_exposure", ctx) or ZERO,
        realized_pnl=_amount_field(d, "realized_pnl", ctx) or ZERO,
        fees_paid=_amount_field(d, "fees_paid", ctx) or ZERO,
        total_traded=_amount_field(d, "total_traded", ctx) or ZERO,
        resting_orders_count=int(d.get("resting_orders_count") or 0),
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    ticker: str
    event_ticker: str
    market_result: str
    yes_count: Decimal
    no_count: Decimal
    yes_total_cost: Decimal
    no_total_cost: Decimal
    revenue: Decimal  # dollars (the API sends integer cents)
    fee_cost: Decimal = ZERO
    settled_time: datetime | None = None


def parse_settlement(d: Mapping[str, Any]) -> Settlement:
    """A ``Settlement`` (``GET /portfolio/settlements`` items). ``revenue`` arrives in cents."""
    ticker = _str(d, "ticker", "settlement", required=True) or ""
    ctx = f"settlement[{ticker}]"
    if d.get("revenue") in (None, ""):
        raise KalshiSchemaError(f"{ctx}.revenue: missing")
    try:
        revenue = cents_to_dollars(d["revenue"], f"{ctx}.revenue")
        fee = ZERO if d.get("fee_cost") in (None, "") else to_decimal(d["fee_cost"], f"{ctx}.fee_cost")
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None
    return Settlement(
        ticker=ticker,
        event_ticker=_str(d, "event_ticker", ctx) or "",
        market_result=_str(d, "market_result", ctx, required=True) or "",
        yes_count=_count_field(d, "yes_count", ctx) or ZERO,
        no_count=_count_field(d, "no_count", ctx) or ZERO,
        yes_total_cost=_amount_field(d, "yes_total_cost", ctx, required=True) or ZERO,
        no_total_cost=_amount_field(d, "no_total_cost", ctx, required=True) or ZERO,
        revenue=revenue,
        fee_cost=fee,
        settled_time=_time(d, "settled_time", ctx),
    )


@dataclass(frozen=True, slots=True)
class Trade:
    """A public trade (REST ``/markets/trades`` or WS ``trade``)."""

    trade_id: str
    ticker: str
    count: Decimal
    yes_price: Decimal
    no_price: Decimal
    taker_side: str
    created_time: datetime | None = None


def parse_trade(d: Mapping[str, Any]) -> Trade:
    tid = _str(d, "trade_id", "trade", required=True) or ""
    ctx = f"trade[{tid}]"
    yes_p = _price_field(d, "yes_price", ctx)
    no_p = _price_field(d, "no_price", ctx, required=False)
    taker = _str(d, "taker_side", ctx) or _str(d, "taker_outcome_side", ctx) or ""
    return Trade(
        trade_id=tid,
        ticker=_str(d, "ticker", ctx) or _str(d, "market_ticker", ctx, required=True) or "",
        count=_count_field(d, "count", ctx) or ZERO,
        yes_price=yes_p or ZERO,
        no_price=no_p if no_p is not None else ONE - (yes_p or ZERO),
        taker_side=taker,
        created_time=_time(d, "created_time", ctx) or _time(d, "ts_ms", ctx),
    )


@dataclass(frozen=True, slots=True)
class Balance:
    balance: Decimal  # dollars available
    portfolio_value: Decimal = ZERO


def parse_balance(d: Mapping[str, Any]) -> Balance:
    """``GET /portfolio/balance``: integer cents (``balance_dollars`` preferred when present)."""
    bal = _amount_field(d, "balance", "balance", required=True) or ZERO
    pv = _amount_field(d, "portfolio_value", "balance") or ZERO
    return Balance(balance=bal, portfolio_value=pv)
