"""Contract semantics: which outcome values pay YES, read from a market's fields, failing closed.

Two views of the same question:

* :func:`payout_interval` for **integer** outcomes (whole °F for the temperature series): an
  inclusive :class:`IntInterval`. KXHIGHNY examples: ``T81`` (less, cap 81) ⇒ hi = 80;
  ``B81.5`` (between 81–82) ⇒ 81..82; ``T88`` (greater, floor 88) ⇒ lo = 89.
* :func:`yes_region` / :func:`yes_predicate` for **continuous** outcomes (the BRTI average for
  BTC): a :class:`Region` with bounds and their inclusivity.

The truth comes from ``strike_type`` + ``floor_strike``/``cap_strike``; it is cross-checked
against every human-readable statement we can parse (``yes_sub_title``, ``rules_primary``,
``subtitle``): "81° to 82°", "80° or below", "90° or above", ">86°", "<82°", "88-89°",
"greater than 89°", "$95,000 or above", "$95,000 to 95,499.99"... Any disagreement raises
:class:`SemanticsError` — a contract we misread is worse than a contract we skip. Ticker text is
parsed by :func:`parse_ticker` as a helper only; it never decides a payout.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.models import Market

ET = ZoneInfo("America/New_York")

# ---------------------------------------------------------------------------------------------
# result types


@dataclass(frozen=True, slots=True)
class IntInterval:
    """Inclusive integer interval; ``None`` is an open end (−∞ or +∞)."""

    lo: int | None
    hi: int | None

    def __post_init__(self) -> None:
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise SemanticsError(f"empty integer interval {self.lo}..{self.hi}")

    def contains(self, value: int) -> bool:
        return (self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)

    __contains__ = contains

    def __str__(self) -> str:
        lo = "-inf" if self.lo is None else str(self.lo)
        hi = "+inf" if self.hi is None else str(self.hi)
        return f"[{lo}..{hi}]"


@dataclass(frozen=True, slots=True)
class Region:
    """A continuous YES region: (lower, lower_inclusive, upper, upper_inclusive); None = unbounded."""

    lower: Decimal | None
    lower_inclusive: bool
    upper: Decimal | None
    upper_inclusive: bool

    def contains(self, value: float | Decimal) -> bool:
        v = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        if self.lower is not None and (v < self.lower or (v == self.lower and not self.lower_inclusive)):
            return False
        return not (self.upper is not None and (v > self.upper or (v == self.upper and not self.upper_inclusive)))

    __contains__ = contains

    def as_tuple(self) -> tuple[Decimal | None, bool, Decimal | None, bool]:
        return (self.lower, self.lower_inclusive, self.upper, self.upper_inclusive)

    def to_int_interval(self) -> IntInterval:
        """The integers inside this region."""
        lo = hi = None
        if self.lower is not None:
            lo = math.ceil(self.lower)
            if lo == self.lower and not self.lower_inclusive:
                lo += 1
        if self.upper is not None:
            hi = math.floor(self.upper)
            if hi == self.upper and not self.upper_inclusive:
                hi -= 1
        return IntInterval(lo, hi)

    def __str__(self) -> str:
        lo = "(-inf" if self.lower is None else ("[" if self.lower_inclusive else "(") + str(self.lower)
        hi = "+inf)" if self.upper is None else str(self.upper) + ("]" if self.upper_inclusive else ")")
        return f"{lo}, {hi}"


# ---------------------------------------------------------------------------------------------
# from strike fields


def region_from_strikes(market: Market) -> Region:
    """The YES region from ``strike_type``/``floor_strike``/``cap_strike`` alone."""
    st, f, c = market.strike_type, market.floor_strike, market.cap_strike
    where = f"market {market.ticker}"

    def need(v: Decimal | None, name: str) -> Decimal:
        if v is None:
            raise SemanticsError(f"{where}: strike_type {st!r} but {name} is missing")
        return v

    if st == "greater":
        return Region(need(f, "floor_strike"), False, None, False)
    if st == "greater_or_equal":
        return Region(need(f, "floor_strike"), True, None, False)
    if st == "less":
        return Region(None, False, need(c, "cap_strike"), False)
    if st == "less_or_equal":
        return Region(None, False, need(c, "cap_strike"), True)
    if st == "between":
        lo, hi = need(f, "floor_strike"), need(c, "cap_strike")
        if lo > hi:
            raise SemanticsError(f"{where}: floor_strike {lo} > cap_strike {hi}")
        return Region(lo, True, hi, True)
    raise SemanticsError(f"{where}: strike_type {st!r} has no numeric payout region")


# ---------------------------------------------------------------------------------------------
# from text

_NUM = r"\$?\s*(-?\d[\d,]*(?:\.\d+)?)"
_DEG = r"\s*(?:°|º|˚|degrees?)?\s*(?:f\b|fahrenheit)?"
_PATTERNS: list[tuple[re.Pattern[str], Callable[[list[Decimal]], Region]]] = []


def _pat(regex: str, build: Callable[[list[Decimal]], Region]) -> None:
    _PATTERNS.append((re.compile(regex, re.IGNORECASE), build))


# order matters: ranges before one-sided forms; "or above" before bare "above"
_pat(rf"\bbetween\s+{_NUM}{_DEG}\s*(?:-|–|to|and)\s*{_NUM}{_DEG}", lambda v: Region(v[0], True, v[1], True))
_pat(rf"^\s*{_NUM}{_DEG}\s*(?:-|–|to)\s*{_NUM}{_DEG}\s*$", lambda v: Region(v[0], True, v[1], True))
_pat(rf"{_NUM}{_DEG}\s+or\s+(?:above|higher|more|greater|over)", lambda v: Region(v[0], True, None, False))
_pat(rf"{_NUM}{_DEG}\s+or\s+(?:below|lower|less|fewer|under)", lambda v: Region(None, False, v[0], True))
_pat(rf"(?:\bat\s+least|\bno\s+less\s+than|≥|>=)\s*{_NUM}", lambda v: Region(v[0], True, None, False))
_pat(rf"(?:\bat\s+most|\bno\s+more\s+than|≤|<=)\s*{_NUM}", lambda v: Region(None, False, v[0], True))
_pat(rf"(?:\bgreater\s+than|\bmore\s+than|\bhigher\s+than|\babove|\bover|>)\s*{_NUM}", lambda v: Region(v[0], False, None, False))
_pat(rf"(?:\bless\s+than|\blower\s+than|\bbelow|\bunder|<)\s*{_NUM}", lambda v: Region(None, False, v[0], False))


def _dec(s: str) -> Decimal:
    return Decimal(s.replace(",", ""))


def region_from_text(text: str | None) -> Region | None:
    """Parse one human-readable YES statement; None when no known form is found.

    >>> str(region_from_text("81° to 82°"))
    '[81, 82]'
    >>> str(region_from_text(">86°"))
    '(86, +inf)'
    """
    if not text:
        return None
    t = text.replace("\u00a0", " ").replace("**", "")
    for rx, build in _PATTERNS:
        m = rx.search(t)
        if m:
            vals = [_dec(g) for g in m.groups()]
            region = build(vals)
            if region.lower is not None and region.upper is not None and region.lower > region.upper:
                raise SemanticsError(f"text {text!r}: range {region.lower} > {region.upper}")
            return region
    return None


def _texts(market: Market) -> list[tuple[str, str]]:
    out = []
    for name in ("yes_sub_title", "rules_primary", "subtitle"):
        v = getattr(market, name)
        if v:
            out.append((name, v))
    return out


def _has_strikes(market: Market) -> bool:
    return market.strike_type is not None or market.floor_strike is not None or market.cap_strike is not None


def _close(a: Decimal | None, b: Decimal | None, tol: Decimal) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


def _display_tolerance(market: Market, texts: Sequence[tuple[str, str]]) -> Decimal:
    """Dollar subtitles round strikes for display ("$95,000 or above" for > 94,999.99): allow a cent."""
    return Decimal("0.01") if any("$" in t for _, t in texts) else Decimal("0")


# ---------------------------------------------------------------------------------------------
# the public functions


def yes_region(market: Market, *, require_text: bool = True) -> Region:
    """Continuous YES region of ``market``, cross-checked against its texts.

    Strike fields win when present; every parseable text must then agree (bounds within a cent
    for dollar texts, exactly otherwise). With no strike fields, the texts decide and must agree
    with each other. ``require_text=True`` (default) refuses a market none of whose texts parse.
    Raises :class:`SemanticsError` on any disagreement or when nothing is known.
    """
    texts = _texts(market)
    parsed = [(name, t, region_from_text(t)) for name, t in texts]
    parsed_ok = [(n, t, r) for n, t, r in parsed if r is not None]
    if require_text and not parsed_ok:
        raise SemanticsError(
            f"market {market.ticker}: no yes_sub_title/rules_primary text could be parsed to confirm the payout "
            f"(texts: {[t for _, t in texts]!r})"
        )
    tol = _display_tolerance(market, texts)
    base: Region | None = region_from_strikes(market) if _has_strikes(market) else None
    ref_name = "strike fields"
    if base is None:
        if not parsed_ok:
            raise SemanticsError(f"market {market.ticker}: no strike fields and no parseable text")
        ref_name, _, base = parsed_ok[0]
    # Whole-degree texts ("89° or above" for > 88) describe integer outcomes: compare integer sets.
    integer_texts = any(ch in t for _, t in texts for ch in "°º˚")
    for name, text, r in parsed_ok:
        if integer_texts:
            agree = r.to_int_interval() == base.to_int_interval()
        else:
            agree = _close(r.lower, base.lower, tol) and _close(r.upper, base.upper, tol)
        if not agree:
            raise SemanticsError(
                f"market {market.ticker}: {name} {text!r} means {r} but {ref_name} say {base} — refusing to guess"
            )
    return base


def payout_interval(market: Market, *, require_text: bool = True) -> IntInterval:
    """Inclusive integer outcomes (e.g. whole °F) that pay YES, cross-checked exactly.

    Every source (strike fields and each parseable text) is reduced to its set of integers and
    they must be identical: ``less 82`` and "81° or below" both give ``..81``. Raises
    :class:`SemanticsError` otherwise.
    """
    texts = _texts(market)
    sources: list[tuple[str, str, IntInterval]] = []
    if _has_strikes(market):
        sources.append(("strike fields", f"{market.strike_type} floor={market.floor_strike} cap={market.cap_strike}",
                        region_from_strikes(market).to_int_interval()))
    n_text = 0
    for name, t in texts:
        r = region_from_text(t)
        if r is not None:
            sources.append((name, t, r.to_int_interval()))
            n_text += 1
    if require_text and n_text == 0:
        raise SemanticsError(
            f"market {market.ticker}: no yes_sub_title/rules_primary text could be parsed to confirm the payout "
            f"(texts: {[t for _, t in texts]!r})"
        )
    if not sources:
        raise SemanticsError(f"market {market.ticker}: no strike fields and no parseable text")
    ref_name, ref_text, ref = sources[0]
    for name, text, iv in sources[1:]:
        if iv != ref:
            raise SemanticsError(
                f"market {market.ticker}: {name} {text!r} pays {iv} but {ref_name} ({ref_text}) pay {ref} — refusing to guess"
            )
    return ref


def yes_predicate(market: Market, *, require_text: bool = True) -> Callable[[float | Decimal], bool]:
    """``f(value) -> bool``: does an outcome ``value`` settle this market YES (continuous view)."""
    region = yes_region(market, require_text=require_text)
    return region.contains


# ---------------------------------------------------------------------------------------------
# tickers (a helper; never the sole source of truth)

_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DATE_RX = re.compile(r"^(\d{2})([A-Z]{3})(\d{2})?(\d{2})?(\d{2})?$")


@dataclass(frozen=True, slots=True)
class TickerParts:
    """``{SERIES}-{YY}{MON}{DD}[{HH}[{MM}]]-{suffix}``. Times are US Eastern (tz-aware)."""

    series: str
    event_time_et: datetime | None
    suffix: str | None
    has_day: bool = True
    has_time: bool = False

    @property
    def suffix_kind(self) -> str | None:
        """'threshold' (T…), 'bracket' (B…), or 'custom' (e.g. a song code) — a hint only."""
        if not self.suffix:
            return None
        if re.fullmatch(r"T-?\d+(\.\d+)?", self.suffix):
            return "threshold"
        if re.fullmatch(r"B-?\d+(\.\d+)?", self.suffix):
            return "bracket"
        return "custom"

    @property
    def suffix_value(self) -> Decimal | None:
        return Decimal(self.suffix[1:]) if self.suffix_kind in ("threshold", "bracket") else None  # type: ignore[index]


def parse_ticker(ticker: str) -> TickerParts:
    """Split a market or event ticker. Raises :class:`SemanticsError` when the date part is malformed."""
    parts = ticker.strip().upper().split("-")
    if len(parts) < 2 or not parts[0]:
        raise SemanticsError(f"ticker {ticker!r}: expected SERIES-DATE[-SUFFIX]")
    series, date_part = parts[0], parts[1]
    suffix = "-".join(parts[2:]) or None
    m = _DATE_RX.match(date_part)
    if not m or m.group(2) not in _MONTHS:
        raise SemanticsError(f"ticker {ticker!r}: {date_part!r} is not YYMON[DD[HH[MM]]]")
    yy, mon, dd, hh, mm = m.groups()
    try:
        dt = datetime(2000 + int(yy), _MONTHS[mon], int(dd or 1), int(hh or 0), int(mm or 0), tzinfo=ET)
    except ValueError as exc:
        raise SemanticsError(f"ticker {ticker!r}: bad date {date_part!r} ({exc})") from None
    return TickerParts(series=series, event_time_et=dt, suffix=suffix, has_day=dd is not None, has_time=hh is not None)


# ---------------------------------------------------------------------------------------------
# ladders


@dataclass(frozen=True, slots=True)
class Ladder:
    """An event's markets ordered along the outcome axis, each with its YES region.

    Built for mutually exclusive events (temperature brackets, BTC ranges). :meth:`check_tiles`
    verifies they partition the line without gaps or overlaps.
    """

    markets: tuple[Market, ...]
    regions: tuple[Region, ...]
    #: True when outcomes are whole numbers (°F): regions are then the closed integer intervals.
    integer: bool = False

    @classmethod
    def from_markets(cls, markets: Iterable[Market], *, integer: bool = False, require_text: bool = True) -> Ladder:
        """Order ``markets`` along the outcome axis (``integer=True`` for whole-°F outcomes)."""
        if integer:
            items = []
            for m in markets:
                iv = payout_interval(m, require_text=require_text)
                items.append((m, Region(None if iv.lo is None else Decimal(iv.lo), iv.lo is not None,
                                        None if iv.hi is None else Decimal(iv.hi), iv.hi is not None)))
        else:
            items = [(m, yes_region(m, require_text=require_text)) for m in markets]
        if not items:
            raise SemanticsError("ladder: no markets")

        def key(item: tuple[Market, Region]) -> tuple[int, Decimal, int, Decimal]:
            r = item[1]
            lo_inf = 0 if r.lower is None else 1
            hi_inf = 1 if r.upper is None else 0
            return (lo_inf, r.lower or Decimal(0), hi_inf, r.upper or Decimal(0))

        items.sort(key=key)
        return cls(tuple(m for m, _ in items), tuple(r for _, r in items), integer)

    def __len__(self) -> int:
        return len(self.markets)

    def int_intervals(self) -> list[IntInterval]:
        return [r.to_int_interval() for r in self.regions]

    def check_tiles(self, *, integer: bool | None = None, tol: Decimal = Decimal("0.01")) -> None:
        """Raise :class:`SemanticsError` unless the regions cover the whole line exactly once.

        ``integer`` (default: how the ladder was built) checks the integer intervals (consecutive: next.lo == prev.hi + 1).
        Otherwise continuous: the next lower bound must meet the previous upper bound (a gap of up
        to ``tol`` is allowed, e.g. "$95,000 to 95,499.99" then "$95,500 to ..."), with no overlap.
        """
        tickers = [m.ticker for m in self.markets]
        if integer is None:
            integer = self.integer
        if integer:
            ivs = self.int_intervals()
            if ivs[0].lo is not None:
                raise SemanticsError(f"ladder: lowest bracket {tickers[0]} starts at {ivs[0].lo}, nothing covers below")
            if ivs[-1].hi is not None:
                raise SemanticsError(f"ladder: highest bracket {tickers[-1]} ends at {ivs[-1].hi}, nothing covers above")
            for i in range(1, len(ivs)):
                prev, cur = ivs[i - 1], ivs[i]
                if prev.hi is None or cur.lo is None or cur.lo != prev.hi + 1:
                    kind = "overlap" if prev.hi is None or cur.lo is None or cur.lo <= prev.hi else "gap"
                    raise SemanticsError(
                        f"ladder: {kind} between {tickers[i - 1]} {prev} and {tickers[i]} {cur}"
                    )
            return
        rs = self.regions
        if rs[0].lower is not None:
            raise SemanticsError(f"ladder: lowest bracket {tickers[0]} starts at {rs[0].lower}, nothing covers below")
        if rs[-1].upper is not None:
            raise SemanticsError(f"ladder: highest bracket {tickers[-1]} ends at {rs[-1].upper}, nothing covers above")
        for i in range(1, len(rs)):
            prev, cur = rs[i - 1], rs[i]
            if prev.upper is None or cur.lower is None:
                raise SemanticsError(f"ladder: overlap between {tickers[i - 1]} {prev} and {tickers[i]} {cur}")
            gap = cur.lower - prev.upper
            if gap < 0 or (gap == 0 and prev.upper_inclusive and cur.lower_inclusive):
                raise SemanticsError(f"ladder: overlap between {tickers[i - 1]} {prev} and {tickers[i]} {cur}")
            if gap > tol or (gap == 0 and not prev.upper_inclusive and not cur.lower_inclusive):
                raise SemanticsError(f"ladder: gap between {tickers[i - 1]} {prev} and {tickers[i]} {cur}")

    def market_for(self, value: float | Decimal) -> Market | None:
        """The market whose YES region contains ``value`` (None in a gap)."""
        for m, r in zip(self.markets, self.regions, strict=True):
            if r.contains(value):
                return m
        return None

    def market_for_int(self, value: int) -> Market | None:
        for m, iv in zip(self.markets, self.int_intervals(), strict=True):
            if iv.contains(value):
                return m
        return None
