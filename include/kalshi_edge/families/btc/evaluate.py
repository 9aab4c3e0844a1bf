"""The honest offline evaluation behind ``kalshi-edge btc evaluate``.

For every hour boundary T (from ``start``), forecast at ``T - horizon`` from bars at or before
that time only, for ``n_strikes`` strikes spaced ``step`` dollars on the grid of multiples of the
step nearest the spot, centered; the outcome is whether the last close at or before T is above
the strike. The model and the zero-drift GBM+EWMA baseline are scored on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.model import (
    NS_PER_H,
    NS_PER_S,
    BarArrays,
    ModelParams,
    baseline_gbm_ewma,
    online_forecast,
)
from kalshi_edge.modeling.metrics import score_all


def strike_grid(spot: np.ndarray, step: float, n: int) -> np.ndarray:
    """(N, n) strikes: multiples of ``step`` nearest the spot, centered on it.

    Odd n: the nearest multiple in the middle, (n-1)/2 steps each side. Even n: the n/2
    multiples below the spot's midpoint-rounded position and n/2 above.
    """
    if n < 1 or step <= 0:
        raise ValueError("strikes must be >= 1 and the step > 0")
    s = np.asarray(spot, dtype=float)
    if n % 2:
        center = np.round(s / step) * step
        k = np.arange(n) - (n - 1) // 2
        return center[:, None] + step * k[None, :]
    lower = np.floor(s / step) * step
    k = np.arange(n) - (n // 2 - 1)
    return lower[:, None] + step * k[None, :]


@dataclass
class EvalResult:
    rows: pd.DataFrame  # forecast_ts, settle_ts, strike, p_yes, outcome (+ p_baseline)
    model: dict[str, float]
    baseline: dict[str, float]
    skipped: dict[str, int]
    params: ModelParams | None = None
    last_state: object | None = None  # ModelState of the last walk-forward block
    setup: dict[str, object] | None = None  # bars span, horizon, strikes (for the report)
    blocks: list[dict[str, object]] | None = None  # walk-forward blocks: train and test windows, rows


def hour_boundaries(bars: BarArrays, horizon_ns: int, start: datetime | None, warmup_hours: float) -> np.ndarray:
    """Settlement times T (ns): whole UTC hours with forecast time after the warm-up, T <= last bar."""
    first_ok = bars.t[0] + int(warmup_hours * NS_PER_H) + horizon_ns
    if start is not None:
        first_ok = max(first_ok, pd.Timestamp(start).tz_convert("UTC").value)
    t0 = -(-first_ok // NS_PER_H) * NS_PER_H
    t1 = (bars.t[-1] // NS_PER_H) * NS_PER_H
    if t1 < t0:
        return np.array([], dtype=np.int64)
    return np.arange(t0, t1 + 1, NS_PER_H, dtype=np.int64)


def evaluate(
    bars_frame: pd.DataFrame,
    *,
    horizon_minutes: int = 60,
    strike_step: float = 250.0,
    n_strikes: int = 13,
    start: datetime | None = None,
    params: ModelParams | None = None,
    max_spot_age_seconds: float = 120.0,
    warmup_hours: float = 0.0,
    min_history_bars: int = 12,
) -> EvalResult:
    """Run the evaluation; returns the rows and metrics (see module doc). Vectorized over forecasts.

    Skipped (counted in ``skipped``, never silently): forecasts with fewer than
    ``min_history_bars`` bars before them, a spot bar older than ``max_spot_age_seconds``, or no
    bar within one interval before T. ``warmup_hours`` optionally delays the first forecast.
    """
    p = params or ModelParams()
    bars = BarArrays.from_frame(bars_frame)
    h = int(horizon_minutes * 60 * NS_PER_S)
    T = hour_boundaries(bars, h, start, warmup_hours)
    skipped = {"stale_spot": 0, "no_settlement_bar": 0, "insufficient_history": 0}
    if len(T) == 0:
        raise ValueError("no hour boundary with enough history in the bars (check --from and the file span)")
    ft = T - h
    spot_i = np.searchsorted(bars.t, ft, side="right") - 1
    settle_i = np.searchsorted(bars.t, T, side="right") - 1
    # staleness guard: the spot bar must be recent; the settlement bar must be within one interval
    spot_age = (ft - bars.t[spot_i]) / NS_PER_S
    settle_age = (T - bars.t[settle_i]) / NS_PER_S
    stale = spot_age > max(max_spot_age_seconds, 0.0)
    nosettle = settle_age > max(bars.dt / NS_PER_S, max_spot_age_seconds)
    # no volatility estimate without returns: the first forecasts need min_history_bars bars before them
    short = spot_i < min_history_bars
    skipped["insufficient_history"] = int(short.sum())
    stale &= ~short
    skipped["stale_spot"] = int(stale.sum())
    skipped["no_settlement_bar"] = int((nosettle & ~stale & ~short).sum())
    keep = ~(stale | nosettle | short)
    T, ft, settle_i = T[keep], ft[keep], settle_i[keep]
    if len(T) == 0:
        raise ValueError("every forecast was skipped (stale spot or missing settlement bars)")
    fc = online_forecast(bars, ft, h, p)
    K = strike_grid(fc.spot, strike_step, n_strikes)
    pm = fc.prob_above(K, p)
    pb = baseline_gbm_ewma(bars, ft, h, K)
    settle = np.exp(bars.logc[settle_i])
    y = (settle[:, None] > K).astype(int)
    n = K.shape[1]
    blocks = _blocks(bars, ft, fc, p, n)
    rows = pd.DataFrame(
        {
            "forecast_ts": np.repeat(pd.to_datetime(ft, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"), n),
            "settle_ts": np.repeat(pd.to_datetime(T, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"), n),
            "strike": K.ravel(),
            "p_yes": pm.ravel(),
            "outcome": y.ravel(),
            "p_baseline": pb.ravel(),
        }
    )
    return EvalResult(
        rows=rows,
        model=score_all(rows["p_yes"], rows["outcome"]),
        baseline=score_all(rows["p_baseline"], rows["outcome"]),
        skipped=skipped,
        params=p,
        last_state=fc.states[int(fc.block.max())],
        setup={"bars_first": _iso(bars.t[0]), "bars_last": _iso(bars.t[-1]), "bars": int(len(bars.t)),
               "bar_seconds": int(bars.dt // NS_PER_S), "horizon_minutes": horizon_minutes,
               "strike_step": strike_step, "n_strikes": n_strikes, "hours": int(len(T))},
        blocks=blocks,
    )


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _blocks(bars: BarArrays, ft: np.ndarray, fc: object, p: ModelParams, n_strikes: int) -> list[dict[str, object]]:
    """One record per walk-forward block used: its test window (first/last forecast), rows, and the
    training window its state was fitted on (the trailing ``train_days`` before the block's first
    forecast's refit boundary, cut at the first bar; block 0 is the prior, fitted on nothing)."""
    day = 86400 * NS_PER_S
    first = (bars.t[0] // day) * day + day
    step = p.refit_days * day
    out = []
    for bi in np.unique(fc.block):  # type: ignore[attr-defined]
        m = fc.block == bi  # type: ignore[attr-defined]
        f0, f1 = int(ft[m].min()), int(ft[m].max())
        st = fc.states[int(bi)]  # type: ignore[attr-defined]
        if bi == 0 or f0 < first:
            train = "none (prior state)"
        else:
            early = f0 < first + p.early_daily_days * day
            start = ((f0 - first) // (day if early else step)) * (day if early else step) + first
            lo = max(start - p.train_days * day, int(bars.t[0]))
            train = f"{_iso(lo)} .. {_iso(start)}"
            if not getattr(st, "n_train", 0):
                train += " (too little labelled history: prior state)"
        out.append({"block": int(bi), "train window": train, "train samples": int(getattr(st, "n_train", 0)),
                    "first forecast": _iso(f0), "last forecast": _iso(f1), "hours": int(m.sum()),
                    "rows": int(m.sum()) * n_strikes})
    return out


def write_rows(res: EvalResult, path: str) -> None:
    """Write the contract columns ``forecast_ts,settle_ts,strike,p_yes,outcome``."""
    out = res.rows[["forecast_ts", "settle_ts", "strike", "p_yes", "outcome"]].copy()
    out["strike"] = out["strike"].map(lambda v: f"{v:.10g}")
    out["p_yes"] = out["p_yes"].map(lambda v: f"{v:.6f}")
    out.to_csv(path, index=False)


#: Why ``btc evaluate`` rows carry no market price (checked against what the project records).
NO_MARKET_REASON = (
    "The rows are hourly above/below questions on a ${step:g} strike grid settling {first} .. {last}. "
    "The project holds no recorded Kalshi prices of hourly BTC contracts (KXBTCD) for these hours: the only "
    "recorded Kalshi crypto prices are the 15-minute up/down snapshots (KX*15M, August 2026; scored against "
    "the market by `kalshi-edge btc vs-market`), a different contract (strike = the spot at the window's "
    "open, 15-minute expiry) on other dates, and the BTC ladders the demo and `btc edge --offline` trade on "
    "are generated, not recorded, so a 'market score' on them would say nothing about the market."
)


def _per_hour(res: EvalResult, col: str, n_strikes: int) -> dict[str, np.ndarray]:
    """Per settlement hour: mean Brier and log loss over its strikes (every hour has the same strike
    count, so the mean over hours equals the mean over rows; the bootstrap resamples hours, since
    the strikes of one hour share one outcome path)."""
    p = res.rows[col].to_numpy(float)
    y = res.rows["outcome"].to_numpy(float)
    q = np.clip(p, 1e-6, 1 - 1e-6)  # the clip of metrics.log_loss
    ll = -(y * np.log(q) + (1 - y) * np.log1p(-q))
    return {"Brier": ((p - y) ** 2).reshape(-1, n_strikes).mean(axis=1),
            "log loss": ll.reshape(-1, n_strikes).mean(axis=1)}


def write_report(res: EvalResult, path: str | Path, *, bars_name: str = "", rows_csv: str = "",
                 metadata: str = "") -> Path:
    """Standalone HTML report of :func:`evaluate`: the walk-forward setup, model vs the GBM+EWMA
    baseline on the same rows (n and 95 % hour-bootstrap intervals, of the difference too), a
    reliability diagram with bin counts, and the market section (see :data:`NO_MARKET_REASON`)."""
    from kalshi_edge.modeling.metrics import calibration_table, png_img_tag, reliability_plot_png
    from kalshi_edge.reports.evaluation import comparison_html, no_market_html, setup_html, write_page
    from kalshi_edge.reports.html import table_html

    su = res.setup or {}
    n = int(su.get("n_strikes") or res.rows.groupby("settle_ts").size().iloc[0])
    p = res.params or ModelParams()
    hours = len(res.rows) // n
    first, last = res.rows["settle_ts"].iloc[0], res.rows["settle_ts"].iloc[-1]
    setup = [
        ("bars", f"{bars_name} {su.get('bars', '')} bars of {su.get('bar_seconds', '')} s, "
                 f"{su.get('bars_first', '')} .. {su.get('bars_last', '')}"),
        ("question", f"P(last close at or before T > strike), T every whole UTC hour, forecast at T − "
                     f"{su.get('horizon_minutes', '')} min from bars at or before then only"),
        ("strikes", f"{n} per hour, ${float(su.get('strike_step') or 0):g} apart, centred on the spot"),
        ("settlement hours T", f"{first} .. {last} ({hours} hours)"),
        ("forecast times", f"{res.rows['forecast_ts'].iloc[0]} .. {res.rows['forecast_ts'].iloc[-1]}"),
        ("rows (hours × strikes)", len(res.rows)),
        ("skipped forecasts", ", ".join(f"{k}={v}" for k, v in res.skipped.items())),
        ("walk-forward", f"refit every {p.refit_days} days at UTC midnight on the trailing {p.train_days} days "
                         f"(labels known before the block only); the same state inside a block"),
        ("baseline", "zero-drift GBM with an EWMA(0.94) variance of 5-minute returns, on the same rows"),
        ("outputs", f"{rows_csv} (rows), {metadata} (scores + parameters)"),
    ]
    scores = {"model": _per_hour(res, "p_yes", n), "baseline GBM+EWMA": _per_hour(res, "p_baseline", n)}
    intro = (f"{len(res.rows)} rows = {hours} settlement hours × {n} strikes; both forecasters on the same rows. "
             f"Intervals: 95% percentile bootstrap over settlement hours (2000 resamples, seed 0). "
             f"ECE (10 bins, point value): model {res.model['ece']:.4f}, baseline {res.baseline['ece']:.4f}.")
    cal_rows = []
    for name, col in (("model", "p_yes"), ("baseline", "p_baseline")):
        t = calibration_table(res.rows[col], res.rows["outcome"])
        for r in t.itertuples():
            if r.count:
                cal_rows.append({"forecaster": name, "bin": f"{r.p_low:.1f}–{r.p_high:.1f}", "rows": int(r.count),
                                 "mean p": f"{r.mean_p:.3f}", "observed": f"{r.freq:.3f}"})
    imgs = "".join(png_img_tag(reliability_plot_png({name: (res.rows[col], res.rows["outcome"])},
                                                    title=f"{name}: reliability (n per bin)"), f"reliability {name}")
                   for name, col in (("model", "p_yes"), ("baseline GBM+EWMA", "p_baseline")))
    sections = [
        {"title": "Walk-forward setup", "html": setup_html(setup, res.blocks)},
        {"title": "Scores: model vs baseline on the same rows",
         "html": comparison_html(scores, "baseline GBM+EWMA", unit="hours", rows=len(res.rows), intro=intro)},
        {"title": "Reliability (probabilities, bin counts)", "html": imgs + table_html(cal_rows)},
        {"title": "Market", "html": no_market_html(NO_MARKET_REASON.format(
            step=float(su.get("strike_step") or 0), first=first, last=last))},
    ]
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(pd.Timestamp(last).timestamp(), UTC)
    title = f"BTC evaluate: {su.get('horizon_minutes', '')} min horizon, {n} strikes"
    return write_page(path, title, sections, generated_at=when)
