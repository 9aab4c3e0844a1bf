"""The strategy interface a family implements, the market view it receives, and the registry.

A strategy only answers one question: *what is the probability that each of these open markets
settles YES, as of now?* Everything that turns probabilities into orders (fees, gates,
maker/taker, size, risk) is shared and lives in :mod:`kalshi_edge.trading.intents` and
:mod:`kalshi_edge.trading.risk`, so every family is traded by the same rules.

The protocol (families/README.md, "Strategy protocol"):

* input: the open markets with their quotes (:class:`MarketSnapshot`, each stamped with its quote
  time) and ``now``, the session's clock (wall clock live, the simulator's clock in paper, the
  replay clock in a backtest);
* output: one :class:`ModelProbability` per market it has a view on, carrying ``as_of`` (when the
  model's answer is valid), ``model_version`` (the artifact version it came from, see
  :mod:`kalshi_edge.modeling.artifacts`) and ``inputs_age_s`` (how old its freshest-required
  input was at ``as_of``); markets it declines get no probability, or a :class:`Refusal` in
  :attr:`Strategy.refusals` with a :class:`~kalshi_edge.trading.intents.SkipReason`;
* it reads fitted artifacts only and never fits (a backtest calls it thousands of times), it
  places no orders and writes nothing;
* optionally, exits: :meth:`Strategy.exits` gets the positions the strategy itself opened
  (:class:`StrategyPosition`) and returns :class:`ExitSignal` for those to close now; the session
  sells them through the shared path (default: none, every entry is held to settlement).

Strategies are registered by name with :func:`register_strategy` and built with
:func:`get_strategy`. The modules in :data:`STRATEGY_MODULES` register them when imported; a
listed module that fails to import is an error (:class:`StrategyImportError`, ``trade`` exits 2
naming it), never silently skipped.
"""

from __future__ import annotations

import importlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.money import ONE, ZERO

#: Series prefix → family. Used when a market snapshot does not say its family.
FAMILY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("KXBTC", "btc"),
    ("KXHIGH", "weather"),
    ("KXTOPSONG", "billboard"),
    ("KXTOPALBUM", "billboard"),
)
FAMILIES = ("btc", "weather", "billboard")


def family_of(ticker: str) -> str:
    """The family a market ticker belongs to ('btc' | 'weather' | 'billboard' | 'other')."""
    t = ticker.upper()
    for prefix, fam in FAMILY_PREFIXES:
        if t.startswith(prefix):
            return fam
    return "other"


_EVENT_RE = re.compile(r"^(?P<event>[A-Z0-9.]+-[A-Z0-9]+)-[^-]+$")


def event_of(ticker: str) -> str:
    """The event ticker of a market ticker (``KXHIGHNY-25DEC05-B32.5`` → ``KXHIGHNY-25DEC05``)."""
    m = _EVENT_RE.match(ticker.upper())
    return m.group("event") if m else ticker.upper()


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """What the trading layer knows about one market at one moment (prices in dollars, Decimal).

    ``yes_bid``/``yes_ask`` are the YES touch; ``None`` means that side of the book is empty.
    The NO touch is implied (a NO bid at p is a YES ask at 1 − p). ``quote_ts`` is when the
    quote was observed (UTC); ``close_time`` when trading ends. Sizes are optional: top-of-book
    logs carry none.
    """

    ticker: str
    yes_bid: Decimal | None
    yes_ask: Decimal | None
    quote_ts: datetime
    close_time: datetime | None = None
    event_ticker: str = ""
    family: str = ""
    status: str = "active"
    yes_bid_size: Decimal | None = None
    yes_ask_size: Decimal | None = None
    fee_schedule: FeeSchedule = field(default_factory=FeeSchedule)
    tick: Decimal = Decimal("0.01")
    #: The market's contract terms when the source has them (a ``kalshi.models.Market``: strikes,
    #: subtitles, rules); None for replayed books, which carry the ticker only.
    terms: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.event_ticker:
            object.__setattr__(self, "event_ticker", event_of(self.ticker))
        if not self.family:
            object.__setattr__(self, "family", family_of(self.ticker))
        if self.quote_ts.tzinfo is None:
            raise ValueError(f"{self.ticker}: quote_ts must be timezone-aware (UTC)")

    @classmethod
    def from_market(cls, market: Any, *, quote_ts: datetime | None, fee_schedule: FeeSchedule | None = None
                    ) -> MarketSnapshot:
        """A ``kalshi.models.Market`` (REST shape) as a snapshot carrying its terms. An empty side
        (0 bid / 1.00 ask) is None; an unknown quote time is the epoch (so the quote is stale)."""
        yes_ask = market.yes_ask if market.yes_ask is not None and market.yes_ask < ONE else None
        return cls(
            ticker=market.ticker, yes_bid=market.yes_bid if market.yes_bid else None, yes_ask=yes_ask,
            quote_ts=quote_ts or datetime(1970, 1, 1, tzinfo=UTC), close_time=market.close_time,
            event_ticker=market.event_ticker or "", status=market.status or "active",
            yes_bid_size=market.yes_bid_size, yes_ask_size=market.yes_ask_size,
            fee_schedule=fee_schedule or FeeSchedule(), terms=market,
        )

    @property
    def no_bid(self) -> Decimal | None:
        return None if self.yes_ask is None else ONE - self.yes_ask

    @property
    def no_ask(self) -> Decimal | None:
        return None if self.yes_bid is None else ONE - self.yes_bid

    @property
    def mid(self) -> Decimal | None:
        """YES mid in dollars, or None when either side is empty."""
        if self.yes_bid is None or self.yes_ask is None:
            return None
        return (self.yes_bid + self.yes_ask) / 2

    @property
    def spread(self) -> Decimal | None:
        if self.yes_bid is None or self.yes_ask is None:
            return None
        return self.yes_ask - self.yes_bid

    def two_sided(self) -> bool:
        """Both sides quoted at real prices (a 0 bid or a 1.00 ask is an empty side)."""
        return (
            self.yes_bid is not None
            and self.yes_ask is not None
            and self.yes_bid > ZERO
            and self.yes_ask < ONE
            and self.yes_ask > self.yes_bid
        )


@dataclass(frozen=True, slots=True)
class ModelProbability:
    """A model's belief about one market.

    ``p_yes`` in [0, 1]; ``as_of`` when the model computed it (UTC); ``inputs_age_s`` the age in
    seconds of the freshest-required input (e.g. BTC spot) at ``as_of``; ``confidence`` in [0, 1]
    (how much the model trusts itself here: calibration sample size, regime, data coverage);
    ``model_version`` the version of the fitted artifact used (:mod:`kalshi_edge.modeling.artifacts`).
    """

    ticker: str
    p_yes: float
    as_of: datetime
    inputs_age_s: float = 0.0
    confidence: float = 1.0
    #: The artifact version the probability came from ("" for book-only strategies).
    model_version: str = ""
    #: The strategy's own fill odds for a maker order resting at the touch, ``(YES bid, NO bid)``
    #: (a NO bid at the NO touch is a YES offer at the YES ask), e.g. fitted from how often the
    #: recorded market traded through that price. None: the shared heuristic
    #: (:func:`kalshi_edge.trading.intents.maker_fill_probability`).
    maker_fill: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not (0.0 <= self.p_yes <= 1.0):
            raise ValueError(f"{self.ticker}: p_yes {self.p_yes} outside [0, 1]")
        if self.maker_fill is not None and not all(0.0 <= f <= 1.0 for f in self.maker_fill):
            raise ValueError(f"{self.ticker}: maker_fill {self.maker_fill} outside [0, 1]")
        if not (0.0 <= self.confidence <= 1.0):
            raise ValueError(f"{self.ticker}: confidence {self.confidence} outside [0, 1]")
        if self.as_of.tzinfo is None:
            raise ValueError(f"{self.ticker}: as_of must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A market the strategy saw and deliberately gave no probability, with the reason.

    ``reason`` is a :class:`kalshi_edge.trading.intents.SkipReason` value (a str), ``detail`` prose
    (e.g. "prediction for chart 2024-01-06 but market event is 2026-07-18").
    """

    ticker: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StrategyPosition:
    """What one strategy holds in one market, as the ledger tells it (the input of :meth:`Strategy.exits`).

    ``count`` contracts of ``side`` that this strategy bought and may sell: its own fills (buys
    minus sells), never more than the market's net position (a stop-loss or another strategy may
    have sold part of it). ``avg_price`` is the market's average cost per contract held (fees
    excluded). ``entered_at`` / ``entry_p_yes`` are the decision time and the model's P(yes) of the
    strategy's latest filled entry into this holding (the fair value it bought on);
    ``first_entered_at`` the decision time of its first.
    """

    strategy: str
    ticker: str
    event_ticker: str
    family: str
    side: str
    count: Decimal
    avg_price: Decimal
    entered_at: datetime
    entry_p_yes: float
    first_entered_at: datetime
    entry_client_order_id: str = ""

    @property
    def entry_fair(self) -> float:
        """The fair value of our side the latest entry was bought on (P(yes) or 1 − P(yes))."""
        return self.entry_p_yes if self.side == "yes" else 1.0 - self.entry_p_yes


@dataclass(frozen=True, slots=True)
class ExitSignal:
    """A strategy's decision to close (part of) a position it holds.

    ``reason`` names why (``take_profit``, ``time_exit``, ``signal_reversal``, ...; it becomes the
    sell intent's ``reason`` and shows in the decision log and the session's counters); ``count``
    the contracts to sell (None: the whole position); ``p_yes`` the strategy's belief now, if it
    has one (the exit's edge is priced against it; default the market's mid). The session turns
    it into a taker sell at our side's bid (:func:`kalshi_edge.trading.intents.exit_intent`).
    """

    ticker: str
    reason: str
    count: Decimal | None = None
    p_yes: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if not self.reason:
            raise ValueError(f"{self.ticker}: an exit needs a reason")
        if self.count is not None and self.count <= 0:
            raise ValueError(f"{self.ticker}: exit count {self.count} must be positive")
        if self.p_yes is not None and not 0.0 <= self.p_yes <= 1.0:
            raise ValueError(f"{self.ticker}: p_yes {self.p_yes} outside [0, 1]")


class Strategy(ABC):
    """What a family implements. Subclasses set ``name`` and ``family`` and accept ``**params``.

    ``probabilities`` must only use data stamped at or before ``now`` (the backtester relies on
    it for no look-ahead) and must not place orders or write anything.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = "any"
    description: ClassVar[str] = ""
    #: True when the strategy needs nothing but the order book (usable on any recorded book).
    book_only: ClassVar[bool] = False
    #: True when the session may move this strategy's resting order to a re-decided price with an
    #: amend (cancel-replace) instead of skipping the decision as ``already_working``.
    amend_resting: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = dict(params)
        #: Refusals of the last :meth:`probabilities` call (the session reports them as skips).
        self.refusals: list[Refusal] = []

    def _settings(self) -> Any:
        """The session's settings (``params["settings"]``), else the process-wide ones."""
        s = self.params.get("settings")
        if s is None:
            from kalshi_edge.config import get_settings

            s = get_settings()
        return s

    def wants(self, market: MarketSnapshot) -> bool:
        """Whether this strategy trades ``market`` (default: its family, or everything for 'any')."""
        return self.family == "any" or market.family == self.family

    def exits(self, positions: Sequence[StrategyPosition], markets: Sequence[MarketSnapshot],
              now: datetime) -> list[ExitSignal]:
        """Positions this strategy opened that it wants to close now (default: none, hold to settlement).

        Called by the session every step with the positions **this** strategy opened (never
        another's) that are still open, after :meth:`probabilities` of the same step. Like
        :meth:`probabilities` it may only use data stamped at or before ``now`` and places no
        orders: the session prices each :class:`ExitSignal` as a sell through the shared path,
        passes the risk engine (exits reduce risk and are never blocked by exposure limits), the
        ledger (deterministic ``client_order_id``, never sent twice) and the broker.
        """
        return []

    @abstractmethod
    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        """Model probabilities for (a subset of) ``markets`` as of ``now`` (UTC)."""


class StrategyImportError(RuntimeError):
    """A module listed in :data:`STRATEGY_MODULES` failed to import; the message names it."""

    def __init__(self, module: str, exc: BaseException) -> None:
        super().__init__(f"strategy module {module} failed to import: {type(exc).__name__}: {exc}")
        self.module = module


_REGISTRY: dict[str, type[Strategy]] = {}
#: Modules that register strategies when imported (one line per module; add yours here).
STRATEGY_MODULES: tuple[str, ...] = (
    "kalshi_edge.trading.builtin_strategies",
    "kalshi_edge.families.btc.strategy",
    "kalshi_edge.families.weather.strategy",
    "kalshi_edge.families.billboard.strategy",
    "kalshi_edge.families.weather.momentum.strategy",
)
_loaded = False


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make ``cls`` loadable by ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__}: a registered strategy needs a non-empty name")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"strategy name {cls.name!r} already registered by {existing.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_modules() -> None:
    global _loaded
    if _loaded:
        return
    for mod in STRATEGY_MODULES:
        try:
            importlib.import_module(mod)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, naming the module
            raise StrategyImportError(mod, exc) from exc
    _loaded = True


def list_strategies() -> dict[str, type[Strategy]]:
    """Every registered strategy by name (sorted)."""
    _load_modules()
    return dict(sorted(_REGISTRY.items()))


def get_strategy(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Build the strategy registered as ``name`` with ``params``. Unknown names raise KeyError."""
    _load_modules()
    cls = _REGISTRY.get(name)
    if cls is None:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(sorted(_REGISTRY)) or '(none)'}")
    return cls(**dict(params or {}))


StrategyFactory = Callable[..., Strategy]
