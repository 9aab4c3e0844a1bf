"""``kalshi-edge btc vs-market``: the BTC settlement model priced on any crypto spot path, scored
against the market's own mid and the GBM+EWMA baseline on Kalshi's 15-minute "up or down"
markets (``KX<COIN>15M``), by time to expiry.

Input: top-of-book snapshots (``raw_snapshots.jsonl[.gz]``, one JSON object per line with
``ticker, series, ts`` (epoch s), ``yb, ya`` (YES bid/ask, dollars), ``spot``).

* **Spot path** per series: the snapshots' ``spot``, as 1-minute bars (last value of each minute,
  stamped at the minute's end, so a bar is known when stamped).
* **Contract** (from the ticker, e.g. ``KXETH15M-26AUG170145-45``): closes at the ticker's Eastern
  time; YES if the settlement price is at or above the price at the window open (close − 15 min).
  The recorded data carry neither, so both are **approximated from the spot path**: the strike is
  the spot observation nearest the open within ±60 s (no decision is made before it was seen), the
  settlement the mean spot over the last 60 s before the close (else the observations within
  ±60 s of the close; refused without any). The
  report gives the share of markets where this outcome agrees with the market's last mid (≥ 0.9
  or ≤ 0.1 within 60 s of the close).
* **Decisions** at fixed times to expiry (14, 12, 10, 8, 6, 4, 3, 2, 1 min): the snapshot at or
  just before that time (at most 30 s old), the market mid ``(yb + ya) / 2``, the model's
  P(settle ≥ strike) from bars at or before the decision (walk-forward :func:`online_forecast`,
  60-second settlement averaging), and the baseline's.
* **Scores** per time-to-expiry bucket and source: Brier, log loss, with 95 % intervals from a
  bootstrap over markets (fixed seed); every source on the same rows.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kalshi_edge.families.btc.model import BarArrays, ModelParams, baseline_gbm_ewma, online_forecast
from kalshi_edge.kalshi.semantics import parse_ticker

CHECKPOINTS_MIN = (14, 12, 10, 8, 6, 4, 3, 2, 1)
BUCKETS = ((10, 15, "10-15 min"), (5, 10, "5-10 min"), (2, 5, "2-5 min"), (0, 2, "0-2 min"))
WINDOW_MIN = 15
SETTLE_AVG_S = 60.0
MAX_SNAPSHOT_AGE_S = 30.0
MAX_STRIKE_AGE_S = 60.0


class SnapshotFileError(ValueError):
    """A snapshot file line that is not a usable JSON snapshot (names file, line and field)."""


def read_snapshots(path: str | Path) -> pd.DataFrame:
    """Snapshots as ``ts`` (UTC), ``ticker``, ``series``, ``yb``, ``ya``, ``spot`` (NaN if missing)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    recs = []
    with opener(path, "rt") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                recs.append((float(r["ts"]), str(r["ticker"]), str(r.get("series") or r["ticker"].split("-")[0]),
                             r.get("yb"), r.get("ya"), r.get("spot")))
            except (ValueError, KeyError, TypeError) as exc:
                raise SnapshotFileError(f"{path}: line {i}: not a snapshot with ts and ticker ({exc})") from None
    df = pd.DataFrame(recs, columns=["ts", "ticker", "series", "yb", "ya", "spot"])
    df["ts"] = pd.to_datetime(df["ts"], unit="s", utc=True)
    for c in ("yb", "ya", "spot"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df.sort_values("ts", kind="stable").reset_index(drop=True)


def spot_bars(snaps: pd.DataFrame) -> pd.DataFrame:
    """1-minute bars (``ts`` = minute end, ``close`` = last spot in the minute) of one series."""
    s = snaps.dropna(subset=["spot"]).set_index("ts")["spot"]
    s = s[s > 0]
    closes = s.resample("1min", label="right", closed="left").last().dropna()
    return pd.DataFrame({"ts": closes.index, "close": closes.to_numpy(float)})


@dataclass
class BtcVsMarket:
    rows: pd.DataFrame  # ticker, series, tte_min, bucket, p_market, p_model, p_baseline, outcome
    scores: pd.DataFrame
    markets: pd.DataFrame  # ticker, strike, settle, outcome, market_final, agrees
    skipped: dict[str, int]


def _settle(snaps: pd.DataFrame, ticker: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    close = pd.Timestamp(parse_ticker(ticker).event_time_et).tz_convert("UTC")
    return close - pd.Timedelta(minutes=WINDOW_MIN), close


def run_btc_vs_market(snaps: pd.DataFrame, *, params: ModelParams | None = None, bootstrap: int = 2000,
                      seed: int = 0) -> BtcVsMarket:
    """Rows and scores for every market of every series in ``snaps`` (see module doc)."""
    prm = params or replace(ModelParams(), min_train_days=0.5)
    skipped = {"no strike (no spot within 60 s of the open)": 0, "no settlement spot": 0,
               "no snapshot near a checkpoint": 0}
    rows, mkts = [], []
    for series, ss in snaps.groupby("series", sort=True):
        bars = spot_bars(ss)
        if len(bars) < 30:
            continue
        arr = BarArrays.from_frame(bars)
        spot = ss.dropna(subset=["spot"])
        for ticker, ts in ss.groupby("ticker", sort=True):
            try:
                open_t, close_t = _settle(ss, ticker)
            except Exception:  # noqa: BLE001 - a ticker we cannot read is skipped, counted below
                skipped["no strike (no spot within 60 s of the open)"] += 1
                continue
            near = spot[(spot["ts"] - open_t).abs() <= pd.Timedelta(seconds=MAX_STRIKE_AGE_S)]
            if near.empty:
                skipped["no strike (no spot within 60 s of the open)"] += 1
                continue
            k_at = (near["ts"] - open_t).abs().idxmin()
            strike, strike_seen = float(near.at[k_at, "spot"]), near.at[k_at, "ts"]
            last = spot[(spot["ts"] > close_t - pd.Timedelta(seconds=SETTLE_AVG_S)) & (spot["ts"] <= close_t)]
            if last.empty:
                last = spot[(spot["ts"] - close_t).abs() <= pd.Timedelta(seconds=SETTLE_AVG_S)]
            if last.empty:
                skipped["no settlement spot"] += 1
                continue
            settle = float(last["spot"].mean())
            outcome = int(settle >= strike)
            q = ts.dropna(subset=["yb", "ya"])
            fin = q[q["ts"] >= close_t - pd.Timedelta(seconds=60)]
            mfin = float(((fin["yb"] + fin["ya"]) / 2).iloc[-1]) if len(fin) else np.nan
            agrees = (None if np.isnan(mfin) or 0.1 < mfin < 0.9 else bool((mfin >= 0.9) == bool(outcome)))
            mkts.append({"ticker": ticker, "series": series, "strike": strike, "settle": settle, "outcome": outcome,
                         "market_final_mid": mfin, "agrees_with_market": agrees})
            for cp in CHECKPOINTS_MIN:
                t = close_t - pd.Timedelta(minutes=cp)
                snap = q[(q["ts"] <= t) & (q["ts"] > t - pd.Timedelta(seconds=MAX_SNAPSHOT_AGE_S))]
                # never decide before the strike was observed (it may be seen up to 60 s after the open)
                if snap.empty or t.value <= arr.t[0] or t < strike_seen:
                    skipped["no snapshot near a checkpoint"] += 1
                    continue
                r = snap.iloc[-1]
                rows.append({"ticker": ticker, "series": series, "decision_ts": t, "tte_min": cp, "strike": strike,
                             "p_market": float(np.clip((r["yb"] + r["ya"]) / 2, 0.0, 1.0)), "outcome": outcome,
                             "_series_bars": id(arr)})
        # model and baseline, one call per checkpoint (the horizon is the time to expiry)
        mine = [i for i, r in enumerate(rows) if r["series"] == series and "p_model" not in r]
        for cp in CHECKPOINTS_MIN:
            idx = [i for i in mine if rows[i]["tte_min"] == cp]
            if not idx:
                continue
            fns = np.array([rows[i]["decision_ts"].value for i in idx], dtype=np.int64)
            k = np.array([[rows[i]["strike"]] for i in idx])
            h = int(cp * 60 * 1e9)
            fc = online_forecast(arr, fns, h, prm, settle_avg_seconds=SETTLE_AVG_S)
            # P(settle >= strike): the model gives P(above); a tie has probability zero
            pm = fc.prob_above(k, prm)[:, 0]
            pb = np.clip(baseline_gbm_ewma(arr, fns, h, k[:, 0])[np.arange(len(idx)), np.arange(len(idx))], 0, 1)
            for j, i in enumerate(idx):
                rows[i]["p_model"], rows[i]["p_baseline"] = float(pm[j]), float(pb[j])
    frame = pd.DataFrame(rows).drop(columns=["_series_bars"], errors="ignore")
    if frame.empty:
        raise ValueError("no market with a strike, a settlement and a snapshot at a checkpoint")
    frame["bucket"] = [next(b[2] for b in BUCKETS if b[0] < m <= b[1]) for m in frame["tte_min"]]
    frame["decision_ts"] = frame["decision_ts"].map(lambda x: x.isoformat())
    return BtcVsMarket(frame, score(frame, bootstrap=bootstrap, seed=seed), pd.DataFrame(mkts), skipped)


def _boot(values: np.ndarray, groups: np.ndarray, reps: int, rng: np.random.Generator) -> tuple[float, float]:
    uniq, inv = np.unique(groups, return_inverse=True)
    sums = np.bincount(inv, weights=values)
    cnts = np.bincount(inv)
    if len(uniq) < 2 or reps <= 0:
        return (float("nan"), float("nan"))
    pick = rng.integers(0, len(uniq), size=(reps, len(uniq)))
    means = sums[pick].sum(axis=1) / cnts[pick].sum(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def score(rows: pd.DataFrame, *, bootstrap: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Brier and log loss per (bucket, source) with a bootstrap over markets; also ``all``."""
    out = []
    for bucket in [b[2] for b in BUCKETS] + ["all"]:
        sub = rows if bucket == "all" else rows[rows["bucket"] == bucket]
        if sub.empty:
            continue
        y = sub["outcome"].to_numpy(float)
        g = sub["ticker"].to_numpy()
        for src in ("market", "model", "baseline"):
            p = np.clip(sub[f"p_{src}"].to_numpy(float), 1e-4, 1 - 1e-4)
            br = (p - y) ** 2
            ll = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            rng = np.random.default_rng(seed)
            b_lo, b_hi = _boot(br, g, bootstrap, rng)
            rng = np.random.default_rng(seed)
            l_lo, l_hi = _boot(ll, g, bootstrap, rng)
            out.append({"bucket": bucket, "source": src, "n_rows": len(sub), "n_markets": len(set(g)),
                        "brier": float(br.mean()), "brier_lo": b_lo, "brier_hi": b_hi,
                        "log_loss": float(ll.mean()), "log_loss_lo": l_lo, "log_loss_hi": l_hi})
    return pd.DataFrame(out)


def write_outputs(res: BtcVsMarket, out_dir: str | Path) -> dict[str, Path]:
    """``rows.csv``, ``scores.csv``, ``markets.csv`` and ``report.html`` (deterministic)."""
    from datetime import UTC, datetime

    from kalshi_edge.modeling.metrics import png_img_tag, reliability_plot_png
    from kalshi_edge.reports.html import render_report, table_html

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    paths = {k: d / f"{k}.csv" for k in ("rows", "scores", "markets")}
    paths["report"] = d / "report.html"
    res.rows.to_csv(paths["rows"], index=False, float_format="%.6g")
    res.scores.to_csv(paths["scores"], index=False, float_format="%.6g")
    res.markets.to_csv(paths["markets"], index=False, float_format="%.6g")
    tab = [{"bucket": r.bucket, "source": r.source, "rows": r.n_rows, "markets": r.n_markets,
            "Brier [95% CI]": f"{r.brier:.4f} [{r.brier_lo:.4f}, {r.brier_hi:.4f}]",
            "log loss [95% CI]": f"{r.log_loss:.4f} [{r.log_loss_lo:.4f}, {r.log_loss_hi:.4f}]"}
           for r in res.scores.itertuples()]
    agree = res.markets["agrees_with_market"].dropna()
    intro = (f"<p>{res.rows['ticker'].nunique()} markets in {res.rows['series'].nunique()} series, "
             f"{len(res.rows)} decisions; model, market mid and the GBM+EWMA baseline on the same rows. "
             "Strike and settlement are approximated from the recorded spot path (see the module doc); the "
             f"outcome agrees with the market's decisive last mid on {int(agree.sum())} of {len(agree)} markets.</p>"
             f"<p class='meta'>skipped: {res.skipped}</p>")
    curves = {src: (res.rows[f"p_{src}"].clip(0, 1), res.rows["outcome"]) for src in ("market", "model", "baseline")}
    sections = [{"title": "Scores by time to expiry: model vs market vs baseline", "html": intro + table_html(tab)},
                {"title": "Calibration per source", "html": "".join(
                    png_img_tag(reliability_plot_png({k: v}, title=k), k) for k, v in curves.items())}]
    last = pd.Timestamp(res.rows["decision_ts"].max())
    paths["report"].write_text(render_report("Crypto 15-minute markets: model vs market", sections,
                                             generated_at=datetime.fromtimestamp(last.timestamp(), UTC)))
    return paths
