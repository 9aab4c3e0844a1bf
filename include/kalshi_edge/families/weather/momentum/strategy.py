"""Strategy ``weather_momentum``: leader–follower and migration signals on KXHIGH ladders.

Through the one decision loop (``Strategy.probabilities(markets, now)``; everything after the
probability — edge after fees from the one fee function, maker/taker choice, gates, size, risk —
is the shared path of :mod:`kalshi_edge.trading.intents` and the risk engine):

1. **Features**: each call feeds the quotes that changed since the last call (stamped with their
   quote time, never later than ``now``) into a :class:`~.features.FeatureEngine`; sizes are used
   when the snapshots carry them. Only data at or before ``now``.
2. **Coherence gate**: an event's mids (empty sides at 0 / 1) must sum to 1 ± ``coherence_tol``;
   otherwise every market of the event is refused (``incoherent_ladder``): a ladder whose PMF is
   not normalised says the book is stale or one-sided, and momentum in it is noise.
3. **Leader–follower**: the leader bracket (largest positive mid velocity, above both
   neighbours), accelerating (``acc > min_acc``), with order flow agreeing when sizes exist
   (``ofi > 0``), and — when a fitted model is in the artifact store — the calibrated
   probability of an up-move over ``horizon_s`` at least ``p_up_min``: fair value = mid + the
   kinematic drift over the horizon (``vel·H + ½·acc·H²``, capped at ``max_shift_c``), scaled
   up to ×2 when the Hawkes intensity spikes above its stationary mean. Its lower neighbour (the
   follower it takes mass from) gets the opposite drift, so the ladder stays normalised.
4. **Migration**: when μ̇ and μ̈ agree in sign and ``|μ̇| > min_mu_vel``, the whole PMF is
   translated by the predicted Δμ over the horizon (a fraction of the 2 °F bracket width, capped
   at ½): ``p'_j = (1 − s)·p_j + s·p_{j∓1}`` — a mass-preserving shift, so coherent by construction.
5. **Hazard throttle**: the share of the day's chance of a new high still ahead, from the
   intraday model's hazard curve (:func:`kalshi_edge.families.weather.intraday.hazard_remaining`,
   in local standard time of the event's date; 1 before the day starts). Signals that push mass
   *up* the ladder are refused (``hazard_throttle``) when it is below ``min_hazard``. A book-only
   replay has no observations, so the curve's trend and running-high-gap inputs are 0 (stated,
   not faked); live, the same gate would take them from the intraday job.
6. **Warm-up**: a market is traded only after ``min_history_s`` of quotes (the kinematics need
   history; a first burst of quotes is not motion).
7. **Price range**: only markets with a mid in [``min_mid``, ``max_mid``] (a rising longshot is
   mostly the favourite–longshot bias, not momentum).
8. **Inventory / rate**: at most ``max_signals_per_market`` probabilities per market (a signal
   budget); contracts per market and dollars per event are capped by the shared risk engine.
9. **Shadow mode** (``shadow=true``): signals are computed and logged (logger + ``shadow_log``
   JSONL when given) and no probability is returned, so no order can follow.
10. **Exits** (``exits=true``, the default; :meth:`WeatherMomentum.exits`, called by the session
    every step with the positions this strategy opened): a position is sold (taker, at our side's
    bid, through the shared exit path) with the first reason that holds, in this order:

    - ``take_profit``: our side's bid, net of the exit's taker fee per contract (the one fee
      function, for the whole position), is at least the fair value of our side the latest entry
      was bought on plus ``take_profit_c`` cents (default 0): the predicted drift has been earned;
    - ``signal_reversal``: the strategy's signal for the market now points against our side by at
      least ``reversal_c`` cents (default 0.5, the entry threshold): a YES held while the model
      now expects the mid to fall, or a NO while it expects a rise;
    - ``time_exit``: ``exit_after_s`` seconds (default ``horizon_s``) have passed since the
      latest entry's decision: the drift window the entry was priced on is over.

    Only quotes stamped at or before ``now`` are used (the same feature engine as the entries).
    ``exits=false`` holds every entry to settlement (the behaviour before exits existed).

Maker-first: the drift the signals predict is a few cents, smaller than a taker's fee plus the
spread most of the time, so the shared edge path rests at the bid (maker fee from the one fee
function, ``quadratic`` series: zero) unless a taker's edge after fees is larger. The resting
option's expected value uses the artifact's fitted maker-fill table (``fills.py``: how often the
recorded touch traded through that price within ``horizon_s``, per spread and side) when there is
one (``maker_fills=fitted``, the default), else the shared measured default (``maker_fills=heuristic``
or no artifact).
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kalshi_edge.families.weather.momentum.features import FEATURES, FeatureEngine, HawkesParams
from kalshi_edge.families.weather.momentum.stream import BookEvent
from kalshi_edge.kalshi.fees import order_fee
from kalshi_edge.trading.intents import SkipReason
from kalshi_edge.trading.strategy import (
    ExitSignal,
    MarketSnapshot,
    ModelProbability,
    Refusal,
    Strategy,
    StrategyPosition,
    register_strategy,
)

log = logging.getLogger(__name__)

ARTIFACT_FAMILY = "weather"
ARTIFACT_NAME = "momentum"
RULES_VERSION = "rules-v1"
BRACKET_WIDTH_F = 2.0


def _hazard(event: str, t: float) -> float:
    """New-high hazard remaining at epoch ``t`` for ``event`` (KXHIGH…-YYMONDD), no observations."""
    from kalshi_edge.families.weather.intraday import hazard_remaining
    from kalshi_edge.kalshi.semantics import SemanticsError, parse_ticker

    try:
        d = parse_ticker(event).event_time_et
    except SemanticsError:
        return 1.0
    if d is None:
        return 1.0
    # local standard midnight of the event date (UTC-5 for the Eastern stations, all year)
    lst_midnight = datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() + 5 * 3600
    return hazard_remaining((t - lst_midnight) / 3600.0)


def _cents(d: Decimal | None, empty: int) -> int:
    return empty if d is None else int(d * 100)


@register_strategy
class WeatherMomentum(Strategy):
    """Leader–follower + migration on KXHIGH ladders, coherence-gated (see the module docstring)."""

    name = "weather_momentum"
    family = "weather"
    book_only = True
    amend_resting = True  # maker-first: a re-decided price moves the resting order (amend)
    description = "cross-bracket momentum (leader-follower + PMF migration), coherence-gated, maker-first"

    def __init__(self, *, horizon_s: float = 300.0, min_vel: float = 0.5, min_acc: float = 0.0,
                 drift_gain: float = 1.0, max_shift_c: float = 4.0, min_mu_vel: float = 0.02,
                 coherence_tol: float = 0.15, min_hazard: float = 0.1, p_up_min: float = 0.0,
                 min_markets: int = 3, max_signals_per_market: int = 30, confidence: float = 0.7,
                 min_mid: float = 0.10, max_mid: float = 0.90, min_history_s: float = 300.0,
                 shadow: bool = False, shadow_log: str | None = None, use_model: str = "auto",
                 models_dir: str | None = None, maker_fills: str = "fitted", exits: bool = True,
                 exit_after_s: float | None = None, take_profit_c: float = 0.0, reversal_c: float = 0.5,
                 **params: Any) -> None:
        super().__init__(horizon_s=horizon_s, min_vel=min_vel, min_acc=min_acc, drift_gain=drift_gain,
                         max_shift_c=max_shift_c, min_mu_vel=min_mu_vel, coherence_tol=coherence_tol,
                         min_hazard=min_hazard, p_up_min=p_up_min, min_markets=min_markets,
                         max_signals_per_market=max_signals_per_market, confidence=confidence,
                         min_mid=min_mid, max_mid=max_mid, min_history_s=min_history_s, shadow=shadow,
                         shadow_log=shadow_log, use_model=use_model, models_dir=models_dir,
                         maker_fills=maker_fills, exits=exits, exit_after_s=exit_after_s,
                         take_profit_c=take_profit_c, reversal_c=reversal_c, **params)
        if use_model not in ("auto", "always", "never"):
            raise ValueError(f"weather_momentum: use_model {use_model!r} must be auto|always|never")
        if maker_fills not in ("fitted", "heuristic"):
            raise ValueError(f"weather_momentum: maker_fills {maker_fills!r} must be fitted|heuristic")
        if not 0.0 <= float(confidence) <= 1.0:
            raise ValueError(f"weather_momentum: confidence {confidence} outside [0, 1]")
        if not isinstance(exits, bool):
            raise ValueError(f"weather_momentum: exits {exits!r} must be true or false")
        self.exits_enabled = exits
        self.exit_after_s = float(horizon_s if exit_after_s is None else exit_after_s)
        if self.exit_after_s <= 0:
            raise ValueError(f"weather_momentum: exit_after_s {exit_after_s} must be positive")
        self.take_profit = Decimal(str(take_profit_c)) / 100
        self.reversal_c = float(reversal_c)
        #: event → (epoch seconds, the per-market signal adjustments computed then): exits read the
        #: signals of the same step the entries were priced on
        self._adj: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._fee_tick: Decimal | None = None
        self.h_min = float(horizon_s) / 60.0
        self.horizon_s = float(horizon_s)
        self.min_vel, self.min_acc = float(min_vel), float(min_acc)
        self.drift_gain, self.max_shift_c = float(drift_gain), float(max_shift_c)
        self.min_mu_vel, self.coherence_tol = float(min_mu_vel), float(coherence_tol)
        self.min_hazard = float(min_hazard)
        self.p_up_min, self.min_markets = float(p_up_min), int(min_markets)
        self.max_signals, self.confidence = int(max_signals_per_market), float(confidence)
        self.min_mid, self.max_mid = float(min_mid), float(max_mid)
        self.min_history_s = float(min_history_s)
        self._first_seen: dict[str, float] = {}
        self.shadow = bool(shadow)
        self.shadow_log = Path(shadow_log) if shadow_log else None
        self.signals: list[dict[str, Any]] = []  # shadow-mode record (also the last call's signals)
        self._sent: dict[str, int] = defaultdict(int)
        self._last: dict[str, tuple] = {}
        self.model: dict[str, Any] | None = None
        self.model_version = RULES_VERSION
        #: the artifact's maker-fill table (``fills.py``, fitted on the training days): the edge
        #: path prices resting orders with these odds instead of the shared default
        self.fill_model: Any = None
        hawkes = None
        if use_model != "never":
            self._load_model(models_dir, required=use_model == "always")
            if self.model and self.model.get("hawkes"):
                hawkes = HawkesParams(**self.model["hawkes"])
            if self.model and self.model.get("fill_model") and maker_fills == "fitted":
                from kalshi_edge.families.weather.momentum.fills import MakerFillModel

                self.fill_model = MakerFillModel.from_json(self.model["fill_model"])
        self.engine = FeatureEngine(hawkes=hawkes)

    # ------------------------------------------------------------------ artifacts (read only)
    def _load_model(self, models_dir: str | None, *, required: bool) -> None:
        from kalshi_edge.modeling.artifacts import ArtifactMissing, ArtifactStore

        store = ArtifactStore(models_dir) if models_dir else ArtifactStore.from_settings()
        try:
            art = store.load(ARTIFACT_FAMILY, ARTIFACT_NAME)
        except ArtifactMissing:
            if required:
                raise
            return
        self.model = art.payload
        self.model_version = art.version

    def _p_up(self, vec: list[float]) -> float | None:
        if not self.model:
            return None
        hs = self.model.get("horizons", {})
        if not hs:
            return None
        from kalshi_edge.families.weather.momentum.models import predict_logit_payload

        key = min(hs, key=lambda k: abs(float(k) - self.horizon_s))
        import numpy as np

        return float(predict_logit_payload(hs[key], np.asarray([vec], dtype=float))[0])

    # ------------------------------------------------------------------ the protocol
    def _feed(self, markets: Sequence[MarketSnapshot], now: datetime) -> None:
        new: list[BookEvent] = []
        for m in markets:
            if m.quote_ts > now:
                continue  # not yet known at `now`
            key = (m.yes_bid, m.yes_ask, m.yes_bid_size, m.yes_ask_size, m.quote_ts)
            if self._last.get(m.ticker) == key:
                continue
            self._last[m.ticker] = key
            self._first_seen.setdefault(m.ticker, m.quote_ts.timestamp())
            bsz = float(m.yes_bid_size) if m.yes_bid_size is not None else None
            asz = float(m.yes_ask_size) if m.yes_ask_size is not None else None
            if bsz is None or asz is None:
                bsz = asz = None
            new.append(BookEvent(int(m.quote_ts.timestamp() * 1e9), m.ticker, _cents(m.yes_bid, 0),
                                 _cents(m.yes_ask, 100), bsz, asz))
        new.sort(key=lambda e: e.ts_ns)
        floor = int(self.engine.last_ts * 1e9) if self.engine.last_ts is not None else None
        for e in new:
            if floor is not None and e.ts_ns < floor:
                e.ts_ns = floor  # a quote we saw late: it enters the features when we saw it
            self.engine.update(e)
            floor = e.ts_ns

    def probabilities(self, markets: Sequence[MarketSnapshot], now: datetime) -> list[ModelProbability]:
        self.refusals = []
        mine = [m for m in markets if self.wants(m)]
        self._feed(mine, now)
        t = now.timestamp()
        by_event: dict[str, list[MarketSnapshot]] = defaultdict(list)
        for m in mine:
            by_event[m.event_ticker].append(m)
        out: list[ModelProbability] = []
        call_signals: list[dict[str, Any]] = []
        for event, ladder in sorted(by_event.items()):
            quoted, adj, total = self._event_signals(event, ladder, t)
            if adj is None:
                if total is not None:
                    self.refusals += [Refusal(m.ticker, SkipReason.INCOHERENT_LADDER.value,
                                              f"mids sum to {total:.3f} (tolerance ±{self.coherence_tol})")
                                      for m in quoted]
                continue
            for m in quoted:
                a = adj.get(m.ticker)
                if a is None or abs(a["shift_c"]) < 0.5:
                    continue
                if t - self._first_seen.get(m.ticker, t) < self.min_history_s:
                    continue  # warm-up: not enough history for the kinematics
                if not self.min_mid <= float(m.mid) <= self.max_mid:  # type: ignore[arg-type]
                    continue  # the longshot zone: a few cents of drift there is mostly the longshot bias
                upward = a["shift_c"] * a["side_of_mu"] > 0
                hz = _hazard(event, t)
                a["hazard"] = hz
                if upward and hz < self.min_hazard:
                    self.refusals.append(Refusal(m.ticker, SkipReason.HAZARD_THROTTLE.value,
                                                 f"upward signal with new-high hazard {hz:.3f} < {self.min_hazard}"))
                    continue
                if self._sent[m.ticker] >= self.max_signals:
                    self.refusals.append(Refusal(m.ticker, SkipReason.SIGNAL_BUDGET.value,
                                                 f"{self.max_signals} signals already sent"))
                    continue
                fair = min(max(float(m.mid) + a["shift_c"] / 100.0, 0.01), 0.99)  # type: ignore[arg-type]
                sig = {"ts": now.isoformat(), "ticker": m.ticker, "mid": float(m.mid), "fair": round(fair, 4),  # type: ignore[arg-type]
                       **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in a.items()}}
                call_signals.append(sig)
                if self.shadow:
                    self.refusals.append(Refusal(m.ticker, SkipReason.SHADOW_MODE.value, json.dumps(sig)))
                    continue
                self._sent[m.ticker] += 1
                out.append(ModelProbability(
                    ticker=m.ticker, p_yes=fair, as_of=now, inputs_age_s=max((now - m.quote_ts).total_seconds(), 0.0),
                    confidence=self.confidence, model_version=self.model_version, maker_fill=self._maker_fill(m)))
        self.signals = call_signals
        if self.shadow and call_signals:
            for s in call_signals:
                log.info("weather_momentum shadow signal %s", s)
            if self.shadow_log is not None:
                self.shadow_log.parent.mkdir(parents=True, exist_ok=True)
                with self.shadow_log.open("a", encoding="utf-8") as fh:
                    fh.writelines(json.dumps(s, sort_keys=True) + "\n" for s in call_signals)
        return out

    def _event_signals(self, event: str, ladder: Sequence[MarketSnapshot], t: float
                       ) -> tuple[list[MarketSnapshot], dict[str, dict[str, Any]] | None, float | None]:
        """(two-sided markets, the ladder's signals or None, the mids' sum when the ladder is incoherent)."""
        quoted = [m for m in ladder if m.two_sided() and m.ticker in self.engine._b]
        if len(quoted) < self.min_markets:
            return quoted, None, None
        total = sum(float(m.mid) if m.mid is not None else float((m.yes_bid or 0) + (m.yes_ask or 1)) / 2
                    for m in ladder)
        if abs(total - 1.0) > self.coherence_tol:
            return quoted, None, total
        adj = self._signals(event, quoted, t)
        self._adj[event] = (t, adj)
        return quoted, adj, None

    # ------------------------------------------------------------------ exits
    def exits(self, positions: Sequence[StrategyPosition], markets: Sequence[MarketSnapshot],
              now: datetime) -> list[ExitSignal]:
        """Take profit, signal reversal or horizon elapsed (module docstring, item 10), in that order."""
        if not self.exits_enabled or not positions:
            return []
        mine = [m for m in markets if self.wants(m)]
        self._feed(mine, now)  # idempotent: a step's quotes enter the features once
        by = {m.ticker: m for m in mine}
        t = now.timestamp()
        if self._fee_tick is None:
            self._fee_tick = Decimal(str(getattr(self._settings(), "fee_rounding_tick", "0.01")))
        out: list[ExitSignal] = []
        for p in positions:
            m = by.get(p.ticker)
            if m is None or m.quote_ts > now:
                continue
            bid = m.yes_bid if p.side == "yes" else m.no_bid
            if bid is None or bid <= 0:
                continue  # nothing to sell into
            fee = order_fee(price=bid, count=p.count, is_maker=False, schedule=m.fee_schedule, tick=self._fee_tick,
                            at=now)
            net = bid - fee / p.count
            target = Decimal(str(round(p.entry_fair, 6))) + self.take_profit
            if net >= target:
                out.append(ExitSignal(p.ticker, "take_profit",
                                      detail=f"bid {bid} net of fee {net:.4f} ≥ entry fair {target:.4f}"))
                continue
            shift = self._current_shift(p.event_ticker, p.ticker, t, by)
            if shift is not None and (-shift if p.side == "yes" else shift) >= self.reversal_c:
                fair = min(max(float(m.mid) + shift / 100.0, 0.01), 0.99) if m.mid is not None else None
                out.append(ExitSignal(p.ticker, "signal_reversal", p_yes=fair,
                                      detail=f"signal {shift:+.2f}c against a {p.side} position"))
                continue
            held = (now - p.entered_at).total_seconds()
            if held >= self.exit_after_s:
                out.append(ExitSignal(p.ticker, "time_exit",
                                      detail=f"held {held:.0f}s ≥ {self.exit_after_s:.0f}s since the entry"))
        return out

    def _current_shift(self, event: str, ticker: str, t: float, by: dict[str, MarketSnapshot]) -> float | None:
        """The signal's shift (cents) for ``ticker`` at ``t``: 0 when the ladder has no signal for it,
        None when the ladder cannot be judged (too few quotes, incoherent)."""
        hit = self._adj.get(event)
        if hit is None or hit[0] != t:
            ladder = [m for m in by.values() if m.event_ticker == event]
            _, adj, _ = self._event_signals(event, ladder, t)
            if adj is None:
                return None
        else:
            adj = hit[1]
        a = adj.get(ticker)
        return 0.0 if a is None else float(a["shift_c"])

    def _maker_fill(self, m: MarketSnapshot) -> tuple[float, float] | None:
        """Fitted fill odds within the signal horizon of a YES bid at the YES bid and of a NO bid
        at the NO bid (= a YES offer at the YES ask), for this spread; None without a table."""
        if self.fill_model is None or m.spread is None:
            return None
        spread_c = int(round(float(m.spread) * 100))
        h = int(self.horizon_s)
        return (float(self.fill_model.prob(spread_c, h, "yes_bid")), float(self.fill_model.prob(spread_c, h, "yes_ask")))

    # ------------------------------------------------------------------ signals
    def _signals(self, event: str, quoted: Sequence[MarketSnapshot], t: float) -> dict[str, dict[str, Any]]:
        eng = self.engine
        tickers = eng.ladder(quoted[0].ticker)
        feats = {tk: eng.features(tk, t) for tk in tickers}
        shift = dict.fromkeys(tickers, 0.0)
        kinds: dict[str, list[str]] = defaultdict(list)
        h = self.h_min
        # leader–follower
        for i, tk in enumerate(tickers):
            f = feats[tk]
            if not (f["is_leader"] == 1.0 and f["vel"] > self.min_vel and f["acc"] > self.min_acc):
                continue
            if f["has_sizes"] == 1.0 and not f["ofi"] > 0:
                continue  # order flow disagrees
            p_up = self._p_up([f[k] for k in FEATURES])
            if p_up is not None and p_up < self.p_up_min:
                continue
            drift = self.drift_gain * (f["vel"] * h + 0.5 * f["acc"] * h * h)
            hr = f["hawkes_ratio"]
            if not math.isnan(hr):
                drift *= min(2.0, max(1.0, hr))
            drift = min(drift, self.max_shift_c)
            shift[tk] += drift
            kinds[tk].append("leader")
            # the follower it takes mass from: the neighbour whose velocity is lower (falling)
            nbrs = [j for j in (i - 1, i + 1) if 0 <= j < len(tickers)]
            if nbrs:
                j = min(nbrs, key=lambda j: feats[tickers[j]]["vel"])
                shift[tickers[j]] -= drift
                kinds[tickers[j]].append("follower")
        # migration of the whole PMF
        f0 = feats[tickers[0]]
        mu_v, mu_a = f0["mu_vel"], f0["mu_acc"]
        if not math.isnan(mu_v) and abs(mu_v) > self.min_mu_vel and mu_v * mu_a > 0:
            d_mu = mu_v * h + 0.5 * mu_a * h * h
            s = max(-0.5, min(0.5, d_mu / BRACKET_WIDTH_F))
            pmf = eng.pmf(tickers[0])
            total = sum(feats[tk]["mid_c"] for tk in tickers) / 100.0
            ps = [pmf[tk] for tk in tickers]
            for i, tk in enumerate(tickers):
                src = ps[i - 1] if s > 0 and i > 0 else ps[i + 1] if s < 0 and i + 1 < len(ps) else 0.0
                new_p = (1 - abs(s)) * ps[i] + abs(s) * src
                d = (new_p - ps[i]) * total * 100.0
                d = max(-self.max_shift_c, min(self.max_shift_c, d))
                if abs(d) >= 0.01:
                    shift[tk] += d
                    kinds[tk].append("migration")
        out = {}
        for tk in tickers:
            if not kinds[tk]:
                continue
            f = feats[tk]
            out[tk] = {"shift_c": shift[tk], "kinds": "+".join(kinds[tk]), "vel": f["vel"], "acc": f["acc"],
                       "mu_vel": mu_v, "mu_acc": mu_a, "ofi": f["ofi"], "hawkes_ratio": f["hawkes_ratio"],
                       "hour_et": f["hour_et"], "side_of_mu": 1.0 if f["center_minus_mu"] >= 0 else -1.0}
        return out
