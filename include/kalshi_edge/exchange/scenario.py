"""Scenarios for the local exchange simulator: which series, events, markets and books it serves.

A scenario is one JSON document (``Scenario.load(path)`` / ``scenario.save(path)``)::

    {"name": "...", "clock_start": "2026-07-12T15:00:00Z",
     "notes": {"generated": [...what is generated...], "sources": [...]},
     "series": [<spec Series>], "events": [<spec EventData, no markets>],
     "markets": [<spec Market>],                       # quotes are recomputed from the live book
     "books": {"<ticker>": {"yes_dollars": [["0.2700", "31.00"], ...], "no_dollars": [...]}},
     "candlesticks": {"<ticker>": [<spec MarketCandlestick>]},
     "trades": [<spec Trade>]}

``clock_start`` is where the simulator clock starts; the built-in scenario picks it so every
market is open (``open_time ≤ clock < close_time``), which makes demos and tests deterministic.

:func:`builtin_scenario` builds the default scenario from ``data/sample/kalshi/``:

* **temperature** — KXHIGHNY-26JUL12: three markets are the recorded REST fixture
  (``kxhighny_open_trimmed.json``, real); the other three brackets of the ladder, the series and
  the event objects are **generated** from the same template; books are the recorded top of book
  (real prices and sizes) plus generated deeper levels;
* **BTC** — KXBTCD (above/below) and KXBTC (ranges) for the 5 pm ET event of the clock's day, with
  strikes around the last close of the sample BTC bars (``btcusd_5m_2026-03-06.csv``, real price,
  re-dated); all prices and books are **generated** from a lognormal model;
* **Hot 100** — one KXTOPSONG event whose contenders are the top songs of the last sample chart
  (``hot100_top15_2023-12.csv``, real titles); prices and books are **generated**.

Every generated market carries ``"generated": true`` (an extra field the spec allows) and the
scenario's ``notes.generated`` says what was generated, so nobody mistakes it for a recording.

:class:`ReplayFeed` reads recorded top-of-book logs (``kxhighny_top_of_book`` layout: ``timestamp``
in US Pacific, ``market_ticker``, ``best_yes_bid``, ``best_no_bid`` in cents) and yields book
updates by simulator time; :func:`scenario_from_replay` builds the markets those logs need.
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from kalshi_edge.exchange.templates import (  # re-exported: import these from here
    CENT,
    ET,
    ScenarioError,
    book_around,
    iso,
    make_event,
    make_market,
    make_series,
    parse_time,
    prob_above,
)

__all__ = ["BUILTIN_CLOCK", "CENT", "ET", "REPLAY_LEVEL_SIZE", "BookUpdate", "ReplayFeed", "Scenario", "ScenarioError",
           "book_around", "builtin_scenario", "default_sample_dir", "iso", "make_event", "make_market", "make_series",
           "parse_time", "read_top_of_book", "scenario_from_replay"]

#: Contracts shown at a recorded top-of-book price when the log has no size (generated).
REPLAY_LEVEL_SIZE = Decimal("100")


def default_sample_dir() -> Path:
    """``<project>/data/sample/kalshi`` (``KALSHI_EDGE_HOME`` moves the project root)."""
    from kalshi_edge.config import PROJECT_ROOT

    return Path(PROJECT_ROOT) / "data" / "sample" / "kalshi"



@dataclass
class Scenario:
    """What the simulator serves. Plain spec-shaped dicts; the simulator adds live state."""

    name: str
    clock_start: datetime
    series: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    markets: list[dict[str, Any]] = field(default_factory=list)
    books: dict[str, dict[str, list[list[str]]]] = field(default_factory=dict)
    candlesticks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    #: ``{"series": [SeriesFeeChange], "events": [EventFeeChange]}`` served by the fee-change endpoints.
    fee_changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: ``{city: {"units", "config_version", "timeseries": [{"t", "v", "status", ...}]}}`` for /live_data/weather.
    live_weather: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clock_start": iso(self.clock_start),
            "notes": self.notes,
            "series": self.series,
            "events": self.events,
            "markets": self.markets,
            "books": self.books,
            "candlesticks": self.candlesticks,
            "trades": self.trades,
            "fee_changes": self.fee_changes,
            "live_weather": self.live_weather,
        }

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=False))

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "scenario") -> Scenario:
        if not isinstance(d, dict):
            raise ScenarioError(f"{where}: top level must be an object")
        for key in ("markets",):
            if key not in d:
                raise ScenarioError(f"{where}: missing {key!r}")
        markets = d["markets"]
        for i, m in enumerate(markets):
            for f in ("ticker", "event_ticker", "open_time", "close_time"):
                if f not in m:
                    raise ScenarioError(f"{where}: markets[{i}] has no {f!r}")
            parse_time(m["open_time"], f"{where}: markets[{i}].open_time")
            parse_time(m["close_time"], f"{where}: markets[{i}].close_time")
        if "clock_start" in d:
            clock = parse_time(d["clock_start"], f"{where}: clock_start")
        else:  # the latest open time: every market that can be open is open
            clock = max(parse_time(m["open_time"], where) for m in markets)
        sc = cls(
            name=str(d.get("name", where)),
            clock_start=clock,
            series=list(d.get("series", [])),
            events=list(d.get("events", [])),
            markets=list(markets),
            books=dict(d.get("books", {})),
            candlesticks=dict(d.get("candlesticks", {})),
            trades=list(d.get("trades", [])),
            notes=dict(d.get("notes", {})),
            fee_changes=dict(d.get("fee_changes") or {}),
            live_weather=dict(d.get("live_weather") or {}),
        )
        sc.fill_missing_parents()
        return sc

    @classmethod
    def load(cls, path: Path) -> Scenario:
        p = Path(path)
        try:
            raw = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{p}: not JSON ({exc})") from None
        if isinstance(raw, dict) and "markets" in raw and "clock_start" not in raw and "series" not in raw:
            # A bare GET /markets response (like the recorded fixtures) is a scenario too.
            raw = {"name": p.stem, "markets": raw["markets"]}
        return cls.from_dict(raw, str(p))

    def fill_missing_parents(self) -> None:
        """Create (generated) series/events for markets whose parents the scenario lacks."""
        have_events = {e["event_ticker"] for e in self.events}
        have_series = {s["ticker"] for s in self.series}
        for m in self.markets:
            ev = m["event_ticker"]
            series = m.get("series_ticker") or ev.split("-")[0]
            if series not in have_series:
                self.series.append(make_series(series, title=series, category="Unknown"))
                have_series.add(series)
            if ev not in have_events:
                self.events.append(make_event(ev, series, title=m.get("title", ev), mutually_exclusive=False))
                have_events.add(ev)


# ---------------------------------------------------------------------------- built-in scenario
BUILTIN_CLOCK = datetime(2026, 7, 12, 15, 0, tzinfo=UTC)  # 11:00 ET on Sunday 2026-07-12


def _temperature(sample: Path, clock: datetime, rng: random.Random, sc: Scenario) -> None:
    path = sample / "kxhighny_open_trimmed.json"
    recorded = json.loads(path.read_text())["markets"]
    ev = recorded[0]["event_ticker"]
    by_ticker = {m["ticker"]: dict(m) for m in recorded}
    template = recorded[0]
    open_t = parse_time(template["open_time"], str(path))
    close_t = parse_time(template["close_time"], str(path))
    # The fixture is trimmed to 3 of the event's 6 markets; generate the 3 missing brackets.
    fair = {"KXHIGHNY-26JUL12-B82.5": 0.33, "KXHIGHNY-26JUL12-B84.5": 0.30, "KXHIGHNY-26JUL12-B86.5": 0.17}
    for t, (lo, hi) in {"KXHIGHNY-26JUL12-B82.5": (82, 83), "KXHIGHNY-26JUL12-B84.5": (84, 85),
                        "KXHIGHNY-26JUL12-B86.5": (86, 87)}.items():
        if t in by_ticker:
            continue
        m = make_market(
            ticker=t, event_ticker=ev, title=f"Will the **high temp in NYC** be {lo}-{hi}° on Jul 12, 2026?",
            yes_sub_title=f"{lo}° to {hi}°", no_sub_title=f"{lo}° to {hi}°", open_time=open_t,
            close_time=close_t, strike_type="between", floor_strike=lo, cap_strike=hi,
            rules_primary=(f"If the highest temperature recorded in Central Park, New York for July 12, 2026 as "
                           f"reported by the National Weather Service's Climatological Report (Daily), is between "
                           f"{lo}-{hi}°, then the market resolves to Yes."),
        )
        by_ticker[t] = m
        sc.books[t] = book_around(fair[t], rng)
    for t, m in by_ticker.items():
        if t in sc.books:
            continue
        top = (Decimal(m["yes_bid_dollars"]), Decimal(m["yes_bid_size_fp"]),
               Decimal(m["yes_ask_dollars"]), Decimal(m["yes_ask_size_fp"]))
        sc.books[t] = book_around(0.0, rng, top=top)  # recorded best levels, generated depth
    order = sorted(by_ticker.values(), key=lambda m: (m.get("floor_strike") or -1e9, m.get("cap_strike") or 1e9))
    sc.markets.extend(order)
    sc.series.append(make_series(
        "KXHIGHNY", title="Highest temperature in NYC", category="Climate and Weather",
        tags=["Weather"], sources=[{"name": "National Weather Service",
                                   "url": "https://forecast.weather.gov/product.php?site=OKX&product=CLI&issuedby=NYC"}]))
    sc.events.append(make_event(ev, "KXHIGHNY", title="Highest temperature in NYC on Jul 12, 2026?",
                                sub_title="On Jul 12, 2026", category="Climate and Weather",
                                strike_date=close_t))
    cpath = sample / "candlesticks_trimmed.json"
    if cpath.exists():
        # Real candles of a recorded market; attached to T82 so the candlestick endpoints serve real shapes.
        sc.candlesticks["KXHIGHNY-26JUL12-T82"] = json.loads(cpath.read_text())["candlesticks"]


def _btc_spot(sample: Path) -> tuple[float, str]:
    path = sample / "btcusd_5m_2026-03-06.csv"
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ScenarioError(f"{path}: no rows")
    last = rows[-1]
    try:
        return float(last["close"]), last["timestamp"]
    except (KeyError, ValueError):
        raise ScenarioError(f"{path}: row {len(rows)} field 'close' is not a number") from None


def _btc(sample: Path, clock: datetime, rng: random.Random, sc: Scenario) -> None:
    spot, spot_ts = _btc_spot(sample)
    close_et = clock.astimezone(ET).replace(hour=17, minute=0, second=0, microsecond=0)
    if close_et <= clock.astimezone(ET):
        close_et += timedelta(days=1)
    close = close_et.astimezone(UTC)
    open_t = close - timedelta(days=1)
    hours = (close - clock).total_seconds() / 3600
    tag = close_et.strftime("%y%b%d").upper() + "17"
    sigma = 0.55
    center = round(spot / 500) * 500
    # KXBTCD: "above" ladder, $500 apart.
    ev_d = f"KXBTCD-{tag}"
    for k in range(-8, 9):
        strike = center + 500 * k
        t = f"{ev_d}-T{strike - 0.01:.2f}"
        m = make_market(
            ticker=t, event_ticker=ev_d, title=f"Bitcoin price on {close_et:%b %d, %Y} at 5pm EDT?",
            yes_sub_title=f"${strike:,.0f} or above", no_sub_title=f"${strike:,.0f} or above",
            open_time=open_t, close_time=close, strike_type="greater", floor_strike=strike - 0.01,
            rules_primary=(f"If the simple average of the sixty seconds of CF Benchmarks' Bitcoin Real-Time Index "
                           f"(BRTI) before 5 PM EDT is above {strike - 0.01:.2f} at 5 PM EDT on "
                           f"{close_et:%b %d, %Y}, then the market resolves to Yes."),
        )
        sc.markets.append(m)
        sc.books[t] = book_around(prob_above(spot, strike, sigma, hours), rng)
    # KXBTC: ranges $500 wide tiling [center-3000, center+3000) plus two tails.
    ev_r = f"KXBTC-{tag}"
    lo_edge, hi_edge = center - 3000, center + 3000
    edges = list(range(int(lo_edge), int(hi_edge) + 1, 500))
    specs: list[tuple[str, str, float | None, float | None, float]] = []
    specs.append((f"{ev_r}-T{lo_edge - 0.01:.2f}", "less", None, float(lo_edge),
                  1 - prob_above(spot, lo_edge, sigma, hours)))
    for lo, hi in itertools_pairwise(edges):
        mid = (lo + hi) / 2
        p = prob_above(spot, lo, sigma, hours) - prob_above(spot, hi, sigma, hours)
        specs.append((f"{ev_r}-B{mid:.0f}", "between", float(lo), float(hi - 0.01), p))
    specs.append((f"{ev_r}-T{hi_edge - 0.01:.2f}", "greater", float(hi_edge - 0.01), None,
                  prob_above(spot, hi_edge, sigma, hours)))
    for t, stype, floor, cap, p in specs:
        if stype == "less":
            sub = f"${cap:,.0f} or below"
        elif stype == "greater":
            sub = f"${floor + 0.01:,.0f} or above"
        else:
            sub = f"${floor:,.0f} to ${cap:,.2f}"
        sc.markets.append(make_market(
            ticker=t, event_ticker=ev_r, title=f"Bitcoin price range on {close_et:%b %d, %Y} at 5pm EDT?",
            yes_sub_title=sub, no_sub_title=sub, open_time=open_t, close_time=close, strike_type=stype,
            floor_strike=floor, cap_strike=cap,
            rules_primary=f"If the BRTI 60-second average at 5 PM EDT on {close_et:%b %d, %Y} is {sub}, "
                          "then the market resolves to Yes."))
        sc.books[t] = book_around(p, rng)
    for series, title in (("KXBTCD", "Bitcoin price Above/below"), ("KXBTC", "Bitcoin price range")):
        sc.series.append(make_series(series, title=title, category="Crypto", frequency="hourly", tags=["BTC"],
                                     sources=[{"name": "CF Benchmarks", "url": "https://www.cfbenchmarks.com/data/indices/BRTI"}]))
    sc.events.append(make_event(ev_d, "KXBTCD", title=f"Bitcoin price on {close_et:%b %d, %Y} at 5pm EDT?",
                                mutually_exclusive=False, category="Crypto", strike_date=close))
    sc.events.append(make_event(ev_r, "KXBTC", title=f"Bitcoin price range on {close_et:%b %d, %Y} at 5pm EDT?",
                                mutually_exclusive=True, category="Crypto", strike_date=close))
    sc.notes.setdefault("sources", []).append(
        f"BTC spot {spot:.2f} = last close of btcusd_5m_2026-03-06.csv ({spot_ts}), re-dated to the scenario day")


def itertools_pairwise(xs: Sequence[int]) -> Iterator[tuple[int, int]]:
    return zip(xs, xs[1:], strict=False)


def _song_code(title: str, used: set[str]) -> str:
    letters = re.sub(r"[^A-Z]", "", title.upper()) + "XXX"
    for i in range(len(letters) - 2):
        code = letters[0] + letters[1 + i] + letters[2 + i] if i else letters[:3]
        if code not in used:
            used.add(code)
            return code
    raise ScenarioError(f"cannot make a unique 3-letter code for {title!r}")  # pragma: no cover


def _hot100(sample: Path, clock: datetime, rng: random.Random, sc: Scenario, contenders: int = 8) -> None:
    path = sample / "hot100_top15_2023-12.csv"
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ScenarioError(f"{path}: no rows")
    last_chart = max(r["chart_date"] for r in rows)
    top = sorted((r for r in rows if r["chart_date"] == last_chart), key=lambda r: int(r["this_week"]))[:contenders]
    # Weekly event: markets close Sunday 23:59 ET of the tracking week's weekend.
    et = clock.astimezone(ET)
    sunday = (et + timedelta(days=(6 - et.weekday()) % 7)).replace(hour=23, minute=59, second=0, microsecond=0)
    close = sunday.astimezone(UTC)
    open_t = close - timedelta(days=7)
    chart_date = (sunday + timedelta(days=6)).date()  # the chart dated the following Saturday
    ev = "KXTOPSONG-" + (sunday + timedelta(days=6)).strftime("%y%b%d").upper()
    weights = [1.0 / (int(r["this_week"]) ** 1.6) for r in top]
    total = sum(weights)
    used: set[str] = set()
    for r, w in zip(top, weights, strict=True):
        code = _song_code(r["song"], used)
        t = f"{ev}-{code}"
        sc.markets.append(make_market(
            ticker=t, event_ticker=ev, title=f"Top song on the Billboard Hot 100 chart dated {chart_date:%b %d, %Y}?",
            yes_sub_title=r["song"], no_sub_title=r["song"], open_time=open_t, close_time=close,
            strike_type="custom",
            rules_primary=(f"If {r['song']} by {r['artist']} is the #1 song on the Billboard Hot 100 chart dated "
                           f"{chart_date:%b %d, %Y}, then the market resolves to Yes.")))
        sc.books[t] = book_around(w / total, rng)
    sc.series.append(make_series("KXTOPSONG", title="Top song on the Billboard Hot 100", category="Entertainment",
                                 frequency="weekly", tags=["Music"],
                                 sources=[{"name": "Billboard", "url": "https://www.billboard.com/charts/hot-100/"}]))
    sc.events.append(make_event(ev, "KXTOPSONG", title=f"Billboard Hot 100 #1 on {chart_date:%b %d, %Y}?",
                                mutually_exclusive=True, category="Entertainment", strike_date=close))
    sc.notes.setdefault("sources", []).append(f"Hot 100 contenders = top {contenders} of the chart dated {last_chart}")


def _generated_weather_index(clock: datetime, rng: random.Random) -> dict[str, Any]:
    """A generated Central Park temperature index for the clock's ET day (5-minute points, °F)."""
    day = clock.astimezone(ET).replace(hour=0, minute=0, second=0, microsecond=0)
    pts = []
    for i in range(288):
        t = day + timedelta(minutes=5 * i)
        hour = t.hour + t.minute / 60
        v = 77.0 + 7.0 * math.cos((hour - 15.0) / 24.0 * 2 * math.pi) + rng.uniform(-0.3, 0.3)
        pts.append({"t": int(t.timestamp()), "v": round(v, 1), "status": "preliminary", "contributors": 1})
    return {"units": "F", "config_version": "simulator-generated", "timeseries": pts}


def builtin_scenario(sample_dir: Path | None = None, *, clock: datetime | None = None, seed: int = 0) -> Scenario:
    """The default scenario: open KXHIGHNY, KXBTCD/KXBTC and KXTOPSONG markets at ``clock``.

    ``clock`` must lie inside the recorded temperature event's trading window
    (2026-07-11T14:00Z .. 2026-07-13T04:59Z); the default is 2026-07-12 15:00Z. ``seed`` fixes the
    generated book depths. Deterministic: the same arguments give the same scenario.
    """
    sample = Path(sample_dir) if sample_dir else default_sample_dir()
    clk = (clock or BUILTIN_CLOCK).astimezone(UTC)
    rng = random.Random(seed)
    sc = Scenario(name="builtin", clock_start=clk)
    sc.notes = {
        "generated": [
            "KXHIGHNY-26JUL12 markets B82.5, B84.5, B86.5 (the fixture is trimmed to T82, B88.5, T89)",
            "all series and event objects (no recorded series/event payloads exist)",
            "book levels below the recorded top of book of the KXHIGHNY fixture markets",
            "every KXBTCD/KXBTC market and book (lognormal fair value around a real spot)",
            "every KXTOPSONG market price and book (rank-weighted; song titles are real)",
        ],
        "sources": [
            "KXHIGHNY markets: Kalshi REST fixture kxhighny_open_trimmed.json (real)",
            "KXHIGHNY-26JUL12-T82 candlesticks: Kalshi REST fixture candlesticks_trimmed.json (real)",
        ],
    }
    _temperature(sample, clk, rng, sc)
    _btc(sample, clk, rng, sc)
    _hot100(sample, clk, rng, sc)
    sc.live_weather["NYC"] = _generated_weather_index(clk, random.Random(seed + 1))
    sc.notes["generated"].append("live_weather NYC: a 5-minute diurnal temperature curve for the clock's day "
                                 "(no recorded /live_data/weather payload exists)")
    for m in sc.markets:
        ot = parse_time(m["open_time"], m["ticker"])
        ct = parse_time(m["close_time"], m["ticker"])
        if not ot <= clk < ct:
            raise ScenarioError(f"builtin scenario: {m['ticker']} is not open at {iso(clk)} ({m['open_time']}..{m['close_time']})")
    return sc


# ---------------------------------------------------------------------------- replay
@dataclass(frozen=True, slots=True)
class BookUpdate:
    """A recorded top of book at ``ts`` (UTC). Prices in dollars; sizes are generated (100)."""

    ts: datetime
    ticker: str
    yes_bid: Decimal | None
    no_bid: Decimal | None


def read_top_of_book(path: Path) -> list[BookUpdate]:
    """A recorded top-of-book log as book updates (the format's one reader, then dollars)."""
    from kalshi_edge.kalshi.top_of_book import BookFormatError
    from kalshi_edge.kalshi.top_of_book import read_top_of_book as read_frame

    try:
        frame, _dropped = read_frame(path)
    except BookFormatError as exc:
        raise ScenarioError(str(exc)) from None

    def dollars(cents: int) -> Decimal | None:
        return Decimal(cents) / 100 if 0 < cents < 100 else None

    return [
        BookUpdate(ts.to_pydatetime(), ticker, dollars(yb), dollars(nb))
        for ts, ticker, yb, nb in zip(frame["ts"], frame["ticker"], frame["yes_bid_c"], frame["no_bid_c"], strict=True)
    ]


class ReplayFeed:
    """Recorded book updates released by simulator time (the simulator's clock sets the speed)."""

    def __init__(self, updates: Sequence[BookUpdate]) -> None:
        self.updates = list(updates)
        self._i = 0
        self.skipped_crossed = 0

    @classmethod
    def from_files(cls, paths: Sequence[Path]) -> ReplayFeed:
        ups: list[BookUpdate] = []
        for p in paths:
            ups.extend(read_top_of_book(Path(p)))
        ups.sort(key=lambda u: u.ts)
        return cls(ups)

    @property
    def start(self) -> datetime | None:
        return self.updates[0].ts if self.updates else None

    def due(self, now: datetime) -> Iterator[BookUpdate]:
        """Updates with ``ts ≤ now`` not yet released."""
        while self._i < len(self.updates) and self.updates[self._i].ts <= now:
            self._i += 1
            yield self.updates[self._i - 1]

    @property
    def exhausted(self) -> bool:
        return self._i >= len(self.updates)


_TEMP_RE = re.compile(r"^(?P<series>[A-Z0-9]+)-(?P<date>\d{2}[A-Z]{3}\d{2})-(?P<kind>[TB])(?P<val>\d+(?:\.\d+)?)$")


def scenario_from_replay(feed: ReplayFeed, name: str = "replay") -> Scenario:
    """Markets for the tickers of a replay (generated from the ticker text; labelled so).

    Each market opens at its first update and closes one hour after its last, so the whole
    replay trades. ``T`` strikes become generated ``greater`` markets and ``B`` brackets
    ``between`` markets: the logs carry no rules, so these are placeholders for trading, not
    contract semantics.
    """
    if not feed.updates:
        raise ScenarioError("replay: no book updates")
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for u in feed.updates:
        first.setdefault(u.ticker, u.ts)
        last[u.ticker] = u.ts
    start = feed.updates[0].ts
    sc = Scenario(name=name, clock_start=start)
    sc.notes = {"generated": ["every market object (from the ticker text of the replayed logs)",
                              f"level sizes ({REPLAY_LEVEL_SIZE} contracts at each recorded best price)"],
                "sources": ["book prices: the replayed top-of-book logs (real)"]}
    for t in sorted(first):
        mt = _TEMP_RE.match(t)
        ev = t.rsplit("-", 1)[0]
        kind, val = (mt.group("kind"), float(mt.group("val"))) if mt else ("T", 0.0)
        if kind == "B":
            floor, cap, stype = math.floor(val), math.ceil(val), "between"
        else:
            floor, cap, stype = val, None, "greater"
        sc.markets.append(make_market(
            ticker=t, event_ticker=ev, title=t, yes_sub_title=t.rsplit("-", 1)[1], no_sub_title=t.rsplit("-", 1)[1],
            open_time=min(first[t], start), close_time=last[t] + timedelta(hours=1), strike_type=stype,
            floor_strike=floor, cap_strike=cap, rules_primary="(generated placeholder for a replayed market)"))
    sc.fill_missing_parents()
    return sc
