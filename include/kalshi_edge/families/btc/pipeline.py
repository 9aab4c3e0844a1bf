"""The BTC jobs the DAGs and the CLI run: hourly edge snapshots, settlement scoring, retraining.

Every job is keyed on a logical time (never "now"), so a rerun for the same time rewrites the
same rows (snapshots merge on ``(as_of, market_ticker)``).

Markets: the caller passes ladders (from the Kalshi client or the simulator). Offline, with no
ladder source, :func:`sample_ladders` builds a KXBTCD-style threshold ladder and a KXBTC-style
range ladder around the spot whose quotes are SYNTHETIC: a naive market maker quoting the
GBM+EWMA baseline probability with a 2-cent half spread. There are no recorded Kalshi BTC books
in the project; the synthetic quotes exist so the demo and tests exercise the full path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.edge import market_region, market_regions, snapshot_of
from kalshi_edge.families.btc.model import BarArrays, ModelParams, ModelState, baseline_gbm_ewma
from kalshi_edge.families.btc.pricing import RegionSpec, StaleSpotError, price_regions
from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.models import Market
from kalshi_edge.trading.intents import GateConfig, SkipReason, evaluate_edges
from kalshi_edge.trading.strategy import MarketSnapshot, ModelProbability, Refusal

CENT = Decimal("0.01")


@dataclass
class Ladder:
    """One event's markets, its fee schedule and when its quotes were taken."""

    event_ticker: str
    markets: list[Market]
    schedule: FeeSchedule = field(default_factory=FeeSchedule)
    quote_ts: datetime | None = None


def model_version(params: ModelParams) -> str:
    """Short stable hash of the hyperparameters (stored with every snapshot)."""
    blob = json.dumps(asdict(params), sort_keys=True, default=str).encode()
    return "btc-" + hashlib.sha256(blob).hexdigest()[:10]


def _cents(x: float) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def sample_ladders(
    bars: pd.DataFrame, as_of: datetime, *, n_threshold: int = 21, n_range: int = 20, step: float = 250.0
) -> list[Ladder]:
    """Deterministic offline ladders for the next whole hour after ``as_of`` (SYNTHETIC quotes).

    Strikes sit around the spot at ``as_of``; quotes come from the GBM+EWMA baseline (see module doc).
    """
    ts = pd.Timestamp(as_of).tz_convert("UTC")
    hist = bars[bars["ts"] <= ts].reset_index(drop=True)
    arr = BarArrays.from_frame(hist)
    close = (ts + pd.Timedelta(minutes=1)).ceil("h")
    spot = float(hist["close"].iloc[-1])
    center = round(spot / step) * step
    tag = close.tz_convert("America/New_York").strftime("%y%b%d%H").upper()
    horizon = int((close - ts).value)

    def quotes(p: np.ndarray) -> list[tuple[Decimal, Decimal]]:
        out = []
        for x in p:
            mid = min(max(float(x), 0.01), 0.99)
            bid = max(_cents(mid - 0.02), CENT)
            ask = min(_cents(mid + 0.02), Decimal("0.99"))
            out.append((bid, ask))
        return out

    thr = center + step * (np.arange(n_threshold) - n_threshold // 2)
    p_thr = baseline_gbm_ewma(arr, np.array([ts.value]), horizon, thr[None, :] - 0.01)[0]
    tmarkets = []
    for k, (bid, ask) in zip(thr, quotes(p_thr), strict=True):
        tmarkets.append(
            Market(
                ticker=f"KXBTCD-{tag}-T{k - 0.01:.2f}", event_ticker=f"KXBTCD-{tag}", series_ticker="KXBTCD",
                status="active", strike_type="greater", floor_strike=Decimal(f"{k - 0.01:.2f}"),
                yes_sub_title=f"${k:,.0f} or above", yes_bid=bid, yes_ask=ask, no_bid=1 - ask, no_ask=1 - bid,
                yes_bid_size=Decimal(100), yes_ask_size=Decimal(100), close_time=close.to_pydatetime(),
            )
        )
    lo = center - step * (n_range // 2) + step * np.arange(n_range)
    p_lo = baseline_gbm_ewma(arr, np.array([ts.value]), horizon, lo[None, :])[0]
    p_hi = baseline_gbm_ewma(arr, np.array([ts.value]), horizon, lo[None, :] + step)[0]
    rmarkets = []
    for a, (bid, ask) in zip(lo, quotes(p_lo - p_hi), strict=True):
        b = a + step - 0.01
        rmarkets.append(
            Market(
                ticker=f"KXBTC-{tag}-B{a + step / 2:.0f}", event_ticker=f"KXBTC-{tag}", series_ticker="KXBTC",
                status="active", strike_type="between", floor_strike=Decimal(f"{a:.2f}"), cap_strike=Decimal(f"{b:.2f}"),
                yes_sub_title=f"${a:,.0f} to {b:,.2f}", yes_bid=bid, yes_ask=ask, no_bid=1 - ask, no_ask=1 - bid,
                yes_bid_size=Decimal(100), yes_ask_size=Decimal(100), close_time=close.to_pydatetime(),
            )
        )
    qts = ts.to_pydatetime()
    return [
        Ladder(f"KXBTCD-{tag}", tmarkets, FeeSchedule(), qts),
        Ladder(f"KXBTC-{tag}", rmarkets, FeeSchedule(), qts),
    ]


def edge_snapshot(
    bars: pd.DataFrame,
    as_of: datetime,
    ladders: list[Ladder],
    *,
    params: ModelParams | None = None,
    state: ModelState | None = None,
    version: str | None = None,
    gates: GateConfig | None = None,
    max_spot_age_seconds: float = 120.0,
    max_strike_z: float = 4.0,
    count: Decimal = Decimal(1),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Price every market of every ladder, then the ONE edge path (:func:`evaluate_edges`).

    Returns ``(snapshots, opportunities)`` frames in the lake schemas. ``selected`` is the gate
    decision of :mod:`kalshi_edge.trading.intents` and ``skip_reason`` its :class:`SkipReason`
    value; markets that cannot be priced (unreadable terms, closed, stale spot, strike far from
    spot) are still snapshotted, with their reason. An opportunity row is the selected market's
    best option, with the EV shown in its snapshot row. With ``state`` (the trained artifact)
    nothing is fitted; without, the forecast refits walk-forward (no artifact yet).
    """
    p = params or ModelParams()
    g = replace(gates or GateConfig(), max_count=count)
    version = version or model_version(p)
    ts = pd.Timestamp(as_of).tz_convert("UTC")
    now = ts.to_pydatetime()
    snaps_of: dict[str, MarketSnapshot] = {}
    event_of: dict[str, str] = {}
    for lad in ladders:
        for m in lad.markets:
            snaps_of[m.ticker] = snapshot_of(m, quote_ts=lad.quote_ts, schedule=lad.schedule)
            event_of[m.ticker] = lad.event_ticker
    snapshots = list(snaps_of.values())
    regions, refusals = market_regions(snapshots, now)
    region_cols = {}
    for m in snapshots:
        try:
            region_cols[m.ticker] = market_region(m.terms)
        except SemanticsError:
            region_cols[m.ticker] = (None, None)
    priced = pd.DataFrame(columns=["ticker", "p_yes", "spot", "spot_ts", "sigma", "z"])
    if regions:
        specs = [RegionSpec(t, lo, hi, close) for t, (lo, hi, close) in regions.items()]
        try:
            priced = price_regions(bars, as_of, specs, params=p, max_spot_age_seconds=max_spot_age_seconds, state=state)
        except StaleSpotError as exc:
            refusals += [Refusal(t, SkipReason.STALE_INPUTS, f"stale spot: {exc}") for t in regions]
    by_ticker = priced.set_index("ticker").to_dict("index") if len(priced) else {}
    probs: list[ModelProbability] = []
    far: dict[str, str] = {}
    for t, pr in by_ticker.items():
        if float(pr["z"]) > max_strike_z:  # priced and shown, never traded: the model's far tail
            far[t] = f"strike {float(pr['z']):.1f} sigma from spot > {max_strike_z:g}"
        age = max((ts - pd.Timestamp(pr["spot_ts"])).total_seconds(), 0.0)
        probs.append(ModelProbability(t, float(Decimal(f"{float(pr['p_yes']):.6f}")), now, inputs_age_s=age,
                                      confidence=0.8, model_version=version))
    rows = {r.ticker: r for r in evaluate_edges(probs, snapshots, strategy="btc_vol_ladder", now=now, cfg=g,
                                                refusals=refusals)}
    for t, detail in far.items():
        rows[t] = replace(rows[t], skip_reason=SkipReason.FAR_FROM_SPOT, detail=detail)
    snaps: list[dict[str, Any]] = []
    opps: list[dict[str, Any]] = []
    for t, m in snaps_of.items():
        r = rows[t]
        pr = by_ticker.get(t, {})
        mk = m.terms
        lo, hi = region_cols[t]
        snaps.append({
            "as_of": ts, "event_ticker": event_of[t], "market_ticker": t,
            "close_ts": pd.Timestamp(m.close_time) if m.close_time else None,
            "region_low": lo, "region_high": hi, "yes_bid": mk.yes_bid, "yes_ask": mk.yes_ask,
            "no_bid": mk.no_bid, "no_ask": mk.no_ask, "yes_ask_size": mk.yes_ask_size, "no_ask_size": mk.yes_bid_size,
            "quote_ts": pd.Timestamp(m.quote_ts) if m.quote_ts.year > 1970 else None,
            "model_version": version, "date": ts.strftime("%Y-%m-%d"),
            "spot": pr.get("spot"), "spot_ts": pr.get("spot_ts"), "sigma": pr.get("sigma"),
            "p_yes": r.p_yes, "fee_yes_taker": r.fee_yes_taker, "fee_no_taker": r.fee_no_taker,
            "ev_yes_taker": r.ev_yes_taker, "ev_no_taker": r.ev_no_taker, "ev_yes_maker": r.ev_yes_maker,
            "ev_no_maker": r.ev_no_maker, "selected": r.selected,
            "skip_reason": "" if r.skip_reason is None else r.skip_reason.value,
        })
        if r.selected:
            opps.append({
                "as_of": ts, "event_ticker": event_of[t], "market_ticker": t, "close_ts": pd.Timestamp(m.close_time),
                "side": r.best_side, "action": r.best_liquidity, "price": r.best_price, "fee": r.best_fee,
                "ev": r.best_edge, "p_yes": r.p_yes, "model_version": version, "date": ts.strftime("%Y-%m-%d"),
            })
    from kalshi_edge.families.btc.datasets import BTC_EDGE_SNAPSHOTS, BTC_OPPORTUNITIES

    snap_df = pd.DataFrame(snaps, columns=BTC_EDGE_SNAPSHOTS.schema.names)
    opp_df = pd.DataFrame(opps, columns=BTC_OPPORTUNITIES.schema.names)
    return snap_df, opp_df


def load_bars_for(settings: Any, as_of: datetime, *, days: int = 50, offline_csv: Path | None = None) -> pd.DataFrame:
    """Bars up to ``as_of`` from the lake (5m, else 1m), or from ``offline_csv`` when given."""
    from kalshi_edge.families.btc.bars import read_bars_csv

    ts = pd.Timestamp(as_of).tz_convert("UTC")
    if offline_csv is not None:
        b = read_bars_csv(offline_csv)
        return b[b["ts"] <= ts].reset_index(drop=True)
    from kalshi_edge.families.btc.ingest import read_lake_bars
    from kalshi_edge.lake import Lake

    lake = Lake.from_settings(settings)
    start = (ts - pd.Timedelta(days=days)).strftime("%Y-%m-%d")
    for interval in ("5m", "1m"):
        b = read_lake_bars(lake, interval=interval, start=start, end=ts.isoformat())
        if len(b) > 100:
            return b
    raise StaleSpotError(f"no BTC bars in the lake up to {ts.isoformat()} (run the backfill first)")


def default_sample_csv(settings: Any) -> Path:
    """The shipped sample bars (offline runs)."""
    from kalshi_edge.config import PROJECT_ROOT

    return Path(PROJECT_ROOT) / "data" / "sample" / "btc" / "btcusd_5m_2026-02-21_2026-03-06.csv.gz"


def load_params(settings: Any) -> ModelParams:
    """Hyperparameters of the ``btc/latest`` artifact when ``btc train`` has written one, else defaults."""
    return load_trained(settings)[0]


def load_trained(settings: Any) -> tuple[ModelParams, ModelState | None, str | None]:
    """(params, fitted state, version) of the ``btc/latest`` artifact; (defaults, None, None) without one."""
    from kalshi_edge.modeling.artifacts import ArtifactStore

    store = ArtifactStore.from_settings(settings)
    if not store.exists("btc", "latest"):
        return ModelParams(), None, None
    art = store.load("btc", "latest")
    pr = dict(art.payload["params"])
    pr["half_lives_hours"] = tuple(pr["half_lives_hours"])
    return ModelParams(**pr), ModelState.from_json(art.payload["state"]), art.version


def run_hourly_edge(
    as_of: datetime,
    *,
    settings: Any = None,
    ladders: list[Ladder] | None = None,
    bars: pd.DataFrame | None = None,
    offline: bool | None = None,
    write: bool = True,
) -> dict:
    """The hourly edge job for logical time ``as_of``: snapshots + opportunities into the lake.

    ``offline`` (default: ``settings.kalshi_env == local``) reads the sample bars and builds the
    sample ladders; online, the open KXBTCD/KXBTC ladders are fetched from ``settings.rest_base_url``
    (only for a logical time within an hour of now: live quotes cannot be replayed, so an online
    rerun for the same time reproduces the model side but not the quotes). Returns a small dict.
    """
    from kalshi_edge.config import get_settings

    s = settings or get_settings()
    off = (str(s.kalshi_env) == "local") if offline is None else offline
    if bars is None:
        bars = load_bars_for(s, as_of, offline_csv=default_sample_csv(s) if off else None)
    if ladders is None:
        if off:
            ladders = sample_ladders(bars, as_of)
        else:
            # live quotes exist only now: refuse to attach them to a logical time far in the past
            from datetime import UTC
            from datetime import datetime as _dt

            fetched = _dt.now(UTC)
            lag = (fetched - pd.Timestamp(as_of).tz_convert("UTC").to_pydatetime()).total_seconds()
            if abs(lag) > 3600:
                raise ValueError(f"as_of {as_of} is {lag / 3600:.1f} h from now: live quotes cannot be replayed "
                                 "(use offline mode or recorded ladders for past times)")
            ladders = fetch_ladders(s.rest_base_url, quote_ts=fetched)
    params, state, version = load_trained(s)
    snaps, opps = edge_snapshot(
        bars, as_of, ladders, params=params, state=state, version=version, gates=GateConfig.from_settings(s),
        max_spot_age_seconds=s.max_spot_age_seconds,
    )
    out = {"as_of": pd.Timestamp(as_of).isoformat(), "markets": len(snaps), "selected": int(snaps["selected"].sum()),
           "opportunities": len(opps)}
    if write:
        from kalshi_edge.families.btc.datasets import BTC_EDGE_SNAPSHOTS, BTC_OPPORTUNITIES
        from kalshi_edge.lake import Lake

        lake = Lake.from_settings(s)
        lake.write(BTC_EDGE_SNAPSHOTS, snaps, source=f"btc_hourly_edge@{out['as_of']}", mode="merge")
        if len(opps):
            lake.write(BTC_OPPORTUNITIES, opps, source=f"btc_hourly_edge@{out['as_of']}", mode="merge")
    return out


def fetch_ladders(
    base_url: str,
    *,
    series_tickers: tuple[str, ...] = ("KXBTCD", "KXBTC"),
    quote_ts: datetime,
    timeout: float = 10.0,
) -> list[Ladder]:
    """Open BTC ladders from a Kalshi-compatible REST API (the local simulator or Kalshi's public
    market data): ``GET /series/{s}`` for the fee schedule (event overrides from ``GET /events/{e}``),
    ``GET /markets?series_ticker=s&status=open`` (cursor-paginated) for markets and quotes."""
    import json
    import urllib.parse
    import urllib.request

    from kalshi_edge.kalshi.models import parse_event, parse_markets, parse_series

    def get(path: str, **q: object) -> dict:
        url = f"{base_url.rstrip('/')}{path}" + (f"?{urllib.parse.urlencode(q)}" if q else "")
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - URL from settings
            return json.loads(resp.read().decode("utf-8"))

    ladders: list[Ladder] = []
    for s in series_tickers:
        series = parse_series(get(f"/series/{s}")["series"])
        markets: list[Market] = []
        cursor = ""
        while True:
            q: dict[str, object] = {"series_ticker": s, "status": "open", "limit": 200}
            if cursor:
                q["cursor"] = cursor
            page = get("/markets", **q)
            markets.extend(parse_markets(page))
            cursor = page.get("cursor") or ""
            if not cursor:
                break
        by_event: dict[str, list[Market]] = {}
        for m in markets:
            by_event.setdefault(m.event_ticker, []).append(m)
        for ev_ticker, ms in sorted(by_event.items()):
            ev = parse_event(get(f"/events/{ev_ticker}")["event"])
            sched = FeeSchedule.resolve(
                series_fee_type=series.fee_type, series_multiplier=series.fee_multiplier,
                event_fee_type_override=ev.fee_type_override, event_multiplier_override=ev.fee_multiplier_override,
            )
            ladders.append(Ladder(ev_ticker, ms, sched, quote_ts))
    return ladders
