"""Incremental features over the book-event stream: O(1) work per update, no future data.

Kinematics (mid, velocity, acceleration) from two continuous-time EMAs
---------------------------------------------------------------------
The mid of a market is piecewise constant between updates, so an exponential moving average of it
can be advanced *exactly* over any gap ``dt``: ``e ← x_held + (e − x_held)·exp(−dt/τ)``. That makes
the features exact under irregular sampling (a 0.1 s burst and a 40 s silence are both right)
and O(1) per update. For a signal ``x(t)`` with slope ``v`` and curvature ``a`` the steady-state
EMA is ``x − vτ + aτ²``, so with ``d_k = (x − e_k)/τ_k`` for two time constants τ1 < τ2:
``a = (d1 − d2)/(τ2 − τ1)`` and ``v = d1 + aτ1``. Units: cents per minute and cents per minute².

Ladder PMF and its center of mass μ
-----------------------------------
Each event's brackets form a ladder; each bracket has a center (``B32.5`` → 32.5 °F; the lower
tail ``T30`` ("<30") → 28.5, the upper tail ``T37`` (">37") → 38.5: the tails count as one more
2 °F bracket, a stated convention). The PMF is the mids renormalised to sum to 1. The sums are
kept in integers (``Σ(bid+ask)``, ``Σ(bid+ask)·2c``), updated by subtracting the old and adding
the new contribution, so μ never drifts and the PMF is exactly normalised. μ̇, μ̈ come from the
same two-EMA kinematics on μ, restarted whenever a bracket joins the ladder (its mass arriving is
not a move).

Leader detection: the bracket whose mid velocity is the largest in its ladder, positive, and
above both neighbours' (``is_leader``); ``lead_margin`` is its velocity minus the larger
neighbour's.

Size-based features (``ofi``, ``queue_imb``, ``depth``, ``depth_imb``) need sizes: on sources
without them (top-of-book logs) they are NaN and ``has_sizes`` is 0 — absent, not faked. OFI is
the Cont–Kukanov–Stoikov order-flow imbalance of the touch, summed with exponential decay
(τ = ``tau_ofi_s``).

Every query ``features(ticker, t)`` uses only events stamped at or before ``t``; updates must come
in time order (an older event raises, it would rewrite the past).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kalshi_edge.families.weather.momentum.stream import BookEvent

NAN = float("nan")

#: The feature vector, in order (what models and the report's importance plot use).
FEATURES: tuple[str, ...] = (
    "mid_c", "spread_c", "vel", "acc", "gap_lo", "gap_hi", "p", "center_minus_mu", "mu_vel", "mu_acc",
    "is_leader", "lead_margin", "age_s", "hawkes", "hawkes_ratio", "hour_et",
    "has_sizes", "ofi", "queue_imb", "depth", "depth_imb",
)

_SUFFIX = re.compile(r"^([BT])(-?\d+(?:\.\d+)?)$")


def event_and_suffix(ticker: str) -> tuple[str, str]:
    ev, _, suffix = ticker.upper().rpartition("-")
    return ev, suffix


class Kinematics:
    """Level, velocity and acceleration of a piecewise-constant signal (two exact EMAs)."""

    __slots__ = ("t", "x", "e1", "e2", "k1", "k2", "tau1", "tau2")

    def __init__(self, tau1_s: float = 60.0, tau2_s: float = 300.0) -> None:
        if not 0 < tau1_s < tau2_s:
            raise ValueError(f"need 0 < tau1 < tau2, got {tau1_s}, {tau2_s}")
        self.tau1, self.tau2 = tau1_s, tau2_s
        self.k1, self.k2 = -1.0 / tau1_s, -1.0 / tau2_s
        self.t: float | None = None
        self.x = self.e1 = self.e2 = 0.0

    def update(self, t: float, x: float) -> None:
        """The signal is ``x`` from time ``t`` (seconds) on."""
        if self.t is None:
            self.t, self.x, self.e1, self.e2 = t, x, x, x
            return
        dt = t - self.t
        if dt > 0:
            h = self.x
            self.e1 = h + (self.e1 - h) * math.exp(dt * self.k1)
            self.e2 = h + (self.e2 - h) * math.exp(dt * self.k2)
            self.t = t
        self.x = x

    def at(self, t: float) -> tuple[float, float, float]:
        """(level, velocity per minute, acceleration per minute²) as of ``t`` ≥ the last update."""
        if self.t is None:
            return NAN, NAN, NAN
        dt = t - self.t
        h = self.x
        e1, e2 = self.e1, self.e2
        if dt > 0:
            e1 = h + (e1 - h) * math.exp(dt * self.k1)
            e2 = h + (e2 - h) * math.exp(dt * self.k2)
        d1 = (h - e1) / self.tau1
        d2 = (h - e2) / self.tau2
        a = (d1 - d2) / (self.tau2 - self.tau1)
        v = d1 + a * self.tau1
        return h, v * 60.0, a * 3600.0


class _HawkesState:
    """Online exponential-kernel intensity: λ(t) = μ + α Σ exp(−β(t − t_i)) (O(1) per event)."""

    __slots__ = ("t", "s")

    def __init__(self) -> None:
        self.t: float | None = None
        self.s = 0.0  # Σ exp(−β(t − t_i)) at self.t, including the event at self.t

    def event(self, t: float, beta: float) -> None:
        if self.t is not None:
            self.s *= math.exp(-beta * (t - self.t))
        self.s += 1.0
        self.t = t

    def excitation(self, t: float, beta: float) -> float:
        return 0.0 if self.t is None else self.s * math.exp(-beta * (t - self.t))


@dataclass(slots=True)
class _Bracket:
    ticker: str
    center2: int  # 2 × bracket center (°F), an integer
    kin: Kinematics
    bid: int = 0
    ask: int = 100
    last_ts: float = 0.0
    w: int | float = 0  # bid + ask: this bracket's contribution to the ladder sums (int for cent books)
    hawkes: _HawkesState = field(default_factory=_HawkesState)
    bid_size: float | None = None
    ask_size: float | None = None
    yes_depth: float | None = None
    no_depth: float | None = None
    ofi: float = 0.0
    ofi_t: float = 0.0
    sized: bool = False


@dataclass(slots=True)
class _Ladder:
    brackets: list[_Bracket] = field(default_factory=list)  # sorted by center
    sum_w: int | float = 0
    sum_wc2: int | float = 0
    mu: Kinematics | None = None

    def support(self) -> tuple[float, float]:
        return self.brackets[0].center2 / 2.0, self.brackets[-1].center2 / 2.0


@dataclass(frozen=True, slots=True)
class HawkesParams:
    """Exponential-kernel Hawkes parameters (per second): baseline μ, jump α, decay β (α < β)."""

    mu: float
    alpha: float
    beta: float

    @property
    def mean_rate(self) -> float:
        """Stationary mean intensity μ / (1 − α/β)."""
        return self.mu / max(1e-9, 1.0 - self.alpha / self.beta)


class FeatureEngine:
    """Feed :class:`BookEvent` s in time order with :meth:`update`; read with :meth:`features`."""

    def __init__(self, *, tau1_s: float = 60.0, tau2_s: float = 300.0, tau_ofi_s: float = 60.0,
                 hawkes: HawkesParams | None = None) -> None:
        self.tau1, self.tau2, self.tau_ofi = float(tau1_s), float(tau2_s), float(tau_ofi_s)
        self.hawkes = hawkes
        self._b: dict[str, _Bracket] = {}
        self._ladder_of: dict[str, _Ladder] = {}
        self._ladders: dict[str, _Ladder] = {}
        self.last_ts: float | None = None
        self.updates = 0

    # -- structure ---------------------------------------------------------------------------
    @staticmethod
    def center2(suffix: str, ladder_suffixes: Iterable[str] = ()) -> int | None:
        """2 × the bracket center of a ``B…``/``T…`` suffix (tails: one 2 °F bracket beyond the strike)."""
        m = _SUFFIX.match(suffix)
        if not m:
            return None
        kind, v = m.group(1), float(m.group(2))
        if kind == "B":
            return round(2 * v)
        b_vals = [float(s[1:]) for s in ladder_suffixes if s.startswith("B") and _SUFFIX.match(s)]
        if b_vals and v < min(b_vals):
            return round(2 * (v - 1.5))
        return round(2 * (v + 1.5))

    def _new_bracket(self, ticker: str) -> _Bracket:
        ev, suffix = event_and_suffix(ticker)
        lad = self._ladders.get(ev)
        if lad is None:
            lad = self._ladders[ev] = _Ladder(mu=Kinematics(self.tau1, self.tau2))
        # a tail's side is only known against the B brackets, so every center of the ladder is
        # re-derived when a bracket joins (rare: once per market, not per update)
        br = _Bracket(ticker, 0, Kinematics(self.tau1, self.tau2))
        if self.center2(suffix) is None:
            # not a temperature bracket (a crypto strike, a song): a ladder of its own, per-market
            # features only (its PMF is trivially {ticker: 1})
            lad = self._ladders[ticker] = _Ladder(brackets=[br], mu=Kinematics(self.tau1, self.tau2))
            self._b[ticker] = br
            self._ladder_of[ticker] = lad
            return br
        lad.brackets.append(br)
        suffixes = [event_and_suffix(b.ticker)[1] for b in lad.brackets]
        for b in lad.brackets:
            c2 = self.center2(event_and_suffix(b.ticker)[1], suffixes)
            if c2 is None:  # pragma: no cover - checked above for the newcomer, the others passed before
                continue
            if c2 != b.center2:
                lad.sum_wc2 += b.w * (c2 - b.center2)
                b.center2 = c2
        lad.brackets.sort(key=lambda b: b.center2)
        # a new bracket changes what μ means (its mass was not counted before): restart μ's
        # kinematics at the next update instead of reading the jump as motion
        lad.mu = Kinematics(self.tau1, self.tau2)
        self._b[ticker] = br
        self._ladder_of[ticker] = lad
        return br

    # -- updates -----------------------------------------------------------------------------
    def update(self, ev: BookEvent) -> None:
        """Apply one event (O(1): no loop over history or over the ladder)."""
        t = ev.ts_ns * 1e-9
        if self.last_ts is not None and t < self.last_ts:
            raise ValueError(f"{ev.ticker}: event at {t} is older than the last one ({self.last_ts}); "
                             "features only move forward in time")
        self.last_ts = t
        br = self._b.get(ev.ticker)
        if br is None:
            br = self._new_bracket(ev.ticker)
        lad = self._ladder_of[ev.ticker]
        self.updates += 1
        bid, ask = ev.yes_bid_c, ev.yes_ask_c
        if ev.bid_size is not None and ev.ask_size is not None:
            # Cont–Kukanov–Stoikov OFI increment at the touch (real size changes only)
            if br.sized:
                e = 0.0
                if bid >= br.bid:
                    e += ev.bid_size
                if bid <= br.bid:
                    e -= br.bid_size or 0.0
                if ask <= br.ask:
                    e -= ev.ask_size
                if ask >= br.ask:
                    e += br.ask_size or 0.0
                br.ofi = br.ofi * math.exp(-(t - br.ofi_t) / self.tau_ofi) + e
            br.ofi_t = t
            br.sized = True
            br.bid_size, br.ask_size = ev.bid_size, ev.ask_size
        if ev.yes_depth is not None or ev.no_depth is not None:
            br.yes_depth, br.no_depth = ev.yes_depth, ev.no_depth
        w = bid + ask
        moved = w != br.w or br.kin.t is None
        if moved:
            lad.sum_w += w - br.w
            lad.sum_wc2 += (w - br.w) * br.center2
            br.w = w
            br.kin.update(t, w * 0.5)
            if lad.sum_w > 0:
                lad.mu.update(t, lad.sum_wc2 / (2.0 * lad.sum_w))  # type: ignore[union-attr]
            if self.hawkes is not None:
                br.hawkes.event(t, self.hawkes.beta)
        br.bid, br.ask = bid, ask
        br.last_ts = t

    def update_many(self, events: Iterable[BookEvent]) -> int:
        n = 0
        for e in events:
            self.update(e)
            n += 1
        return n

    # -- reading -----------------------------------------------------------------------------
    def tickers(self) -> list[str]:
        return list(self._b)

    def ladder(self, ticker: str) -> list[str]:
        """The tickers of ``ticker``'s ladder, lowest bracket first."""
        return [b.ticker for b in self._ladder_of[ticker].brackets]

    def pmf(self, ticker: str) -> dict[str, float]:
        """The ladder's PMF (mids renormalised) keyed by ticker; sums to 1 exactly up to float rounding."""
        lad = self._ladder_of[ticker]
        if lad.sum_w <= 0:
            return {}
        return {b.ticker: b.w / lad.sum_w for b in lad.brackets}

    def mu(self, ticker: str) -> float:
        lad = self._ladder_of[ticker]
        return NAN if lad.sum_w <= 0 else lad.sum_wc2 / (2.0 * lad.sum_w)

    def support(self, ticker: str) -> tuple[float, float]:
        return self._ladder_of[ticker].support()

    def features(self, ticker: str, t: float) -> dict[str, float]:
        """Every feature of :data:`FEATURES` for ``ticker`` as of ``t`` (seconds since the epoch)."""
        if self.last_ts is not None and t < self.last_ts - 1e-9:
            raise ValueError(f"features as of {t} asked after an update at {self.last_ts}")
        br = self._b[ticker]
        lad = self._ladder_of[ticker]
        bs = lad.brackets
        i = bs.index(br)
        mid, vel, acc = br.kin.at(t)
        vels = [b.kin.at(t)[1] for b in bs]
        lo = bs[i - 1] if i > 0 else None
        hi = bs[i + 1] if i + 1 < len(bs) else None
        nb_vel = max([vels[j] for j in (i - 1, i + 1) if 0 <= j < len(bs)] or [NAN])
        top = max(range(len(bs)), key=lambda j: (vels[j], -j))
        is_leader = float(top == i and vel > 0 and (math.isnan(nb_vel) or vel > nb_vel))
        mu_x, mu_v, mu_a = lad.mu.at(t) if lad.mu is not None else (NAN, NAN, NAN)  # type: ignore[misc]
        p = br.w / lad.sum_w if lad.sum_w > 0 else NAN
        hk = hr = NAN
        if self.hawkes is not None:
            hk = self.hawkes.mu + self.hawkes.alpha * br.hawkes.excitation(t, self.hawkes.beta)
            hr = hk / self.hawkes.mean_rate
        # diurnal regime: hour of day in New York (UTC−5 in the winter days we have; DST-aware)
        hour = _hour_et(t)
        if br.sized:
            ofi = br.ofi * math.exp(-(t - br.ofi_t) / self.tau_ofi)
            qb, qa = br.bid_size or 0.0, br.ask_size or 0.0
            qi = (qb - qa) / (qb + qa) if qb + qa > 0 else 0.0
        else:
            ofi = qi = NAN
        if br.yes_depth is not None and br.no_depth is not None:
            depth = br.yes_depth + br.no_depth
            dimb = (br.yes_depth - br.no_depth) / depth if depth > 0 else 0.0
        else:
            depth = dimb = NAN
        return {
            "mid_c": mid, "spread_c": float(br.ask - br.bid), "vel": vel, "acc": acc,
            "gap_lo": mid - lo.w * 0.5 if lo is not None else NAN,
            "gap_hi": hi.w * 0.5 - mid if hi is not None else NAN,
            "p": p, "center_minus_mu": br.center2 / 2.0 - mu_x, "mu_vel": mu_v, "mu_acc": mu_a,
            "is_leader": is_leader, "lead_margin": vel - nb_vel if not math.isnan(nb_vel) else NAN,
            "age_s": t - br.last_ts, "hawkes": hk, "hawkes_ratio": hr, "hour_et": hour,
            "has_sizes": float(br.sized), "ofi": ofi, "queue_imb": qi, "depth": depth, "depth_imb": dimb,
        }

    def vector(self, ticker: str, t: float) -> list[float]:
        f = self.features(ticker, t)
        return [f[k] for k in FEATURES]


_ET = None


def _hour_et(t: float) -> float:
    """Hour of the day (fractional) in America/New_York at epoch seconds ``t``."""
    global _ET
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    if _ET is None:
        _ET = ZoneInfo("America/New_York")
    d = datetime.fromtimestamp(t, tz=UTC).astimezone(_ET)
    return d.hour + d.minute / 60.0
