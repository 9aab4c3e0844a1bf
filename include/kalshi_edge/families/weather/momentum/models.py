"""Short-horizon "does the mid go up?" classifiers, walk-forward by day, calibrated.

Rows: every ``step_s`` seconds of a day's book, one row per market with a two-sided quote, the
features of :mod:`.features` as of that time (events stamped at or before it only). Outcome for
horizon ``h``: 1 when the mid ((yes bid + yes ask) / 2 of the last book at or before the time) is
strictly higher at ``ts + h`` than at ``ts``, else 0; a row whose ``ts + h`` lies after the day's
last recorded update has no outcome and is not used.

Walk-forward: day ``k`` is predicted by models trained on days ``< k`` only. The classifier is
fitted on the training days but the last, and calibrated on that last training day (isotonic for
the gradient-boosted trees, Platt for the ridge logistic), so calibration never sees its own
training rows; the first two days only train. The Hawkes parameters used in day ``k``'s features
are fitted by maximum likelihood on days ``< k`` too. Fixed seeds, single-threaded: re-runs are
identical.

Models: ``logit`` (L2-penalised logistic regression on standardised features) and ``gbm``
(LightGBM). Baseline: the base rate of up-moves on the training days (a constant).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kalshi_edge.families.weather.momentum.features import FEATURES, FeatureEngine, HawkesParams
from kalshi_edge.families.weather.momentum.stream import BookEvent

DEFAULT_HORIZONS: tuple[int, ...] = (30, 300)
SEED = 7
EPS = 1e-6


# ---------------------------------------------------------------------------------------------
# rows


def day_rows(events: Sequence[BookEvent], *, step_s: float = 30.0, horizons: Sequence[int] = DEFAULT_HORIZONS,
             hawkes: HawkesParams | None = None, day: str = "") -> pd.DataFrame:
    """Feature rows of one day's events (sorted by time), with outcomes per horizon."""
    eng = FeatureEngine(hawkes=hawkes)
    rows: list[list[float]] = []
    keys: list[tuple[float, str]] = []
    if not events:
        return pd.DataFrame(columns=["day", "ts_s", "ticker", *FEATURES])
    step_ns = int(step_s * 1e9)
    nxt = (events[0].ts_ns // step_ns + 1) * step_ns
    last_ns = events[-1].ts_ns

    def emit(t_ns: int) -> None:
        t = t_ns * 1e-9
        for tk in eng.tickers():
            b = eng._b[tk]
            if 0 < b.bid and b.ask < 100:
                rows.append(eng.vector(tk, t))
                keys.append((t, tk))

    for e in events:
        while e.ts_ns > nxt:
            emit(nxt)
            nxt += step_ns
        eng.update(e)
    while nxt <= last_ns:
        emit(nxt)
        nxt += step_ns
    df = pd.DataFrame(rows, columns=list(FEATURES))
    df.insert(0, "ticker", [k[1] for k in keys])
    df.insert(0, "ts_s", [k[0] for k in keys])
    df.insert(0, "day", day)
    # outcomes: mid as of ts + h (the last book at or before), strictly above the mid as of ts
    per: dict[str, tuple[list[float], list[float]]] = {}
    for e in events:
        t_l, m_l = per.setdefault(e.ticker, ([], []))
        t_l.append(e.ts_ns * 1e-9)
        m_l.append((e.yes_bid_c + e.yes_ask_c) / 2.0)
    end = last_ns * 1e-9
    for h in horizons:
        out = np.full(len(df), np.nan)
        for tk, idx in df.groupby("ticker").indices.items():
            ts, mids = np.asarray(per[tk][0]), np.asarray(per[tk][1])
            t0 = df["ts_s"].to_numpy()[idx]
            i0 = np.searchsorted(ts, t0, side="right") - 1
            i1 = np.searchsorted(ts, t0 + h, side="right") - 1
            y = (mids[i1] > mids[i0]).astype(float)
            y[t0 + h > end] = np.nan
            out[idx] = y
        df[f"y_{h}"] = out
    return df


def hawkes_sequences(events: Sequence[BookEvent], max_events: int = 20000) -> list[tuple[np.ndarray, float]]:
    """Mid-change times per market of one day (seconds from the day's first event), for the fit."""
    if not events:
        return []
    t0 = events[0].ts_ns * 1e-9
    horizon = events[-1].ts_ns * 1e-9 - t0
    last: dict[str, float] = {}
    times: dict[str, list[float]] = {}
    for e in events:
        m = e.yes_bid_c + e.yes_ask_c
        if e.ticker in last and last[e.ticker] != m:
            times.setdefault(e.ticker, []).append(e.ts_ns * 1e-9 - t0)
        last[e.ticker] = m
    seqs = [(np.asarray(v), horizon) for v in times.values()]
    n = sum(s.size for s, _ in seqs)
    if n > max_events:  # keep the fit cheap: the latest part of each sequence, same share each
        keep = max_events / n
        seqs = [(s[int(s.size * (1 - keep)):] - s[int(s.size * (1 - keep))] if s.size else s,
                 horizon - (s[int(s.size * (1 - keep))] if s.size else 0.0)) for s, _ in seqs]
    return seqs


# ---------------------------------------------------------------------------------------------
# classifiers and calibrators


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.log(q / (1 - q))


@dataclass
class _Prep:
    cols: list[int]
    mean: np.ndarray
    std: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        z = (x[:, self.cols] - self.mean) / self.std
        return np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)


def _prep(x: np.ndarray) -> _Prep:
    cols = [j for j in range(x.shape[1]) if np.isfinite(x[:, j]).any() and np.nanstd(x[:, j]) > 0]
    xs = x[:, cols]
    return _Prep(cols, np.nanmean(xs, axis=0), np.nanstd(xs, axis=0))


@dataclass
class RidgeLogit:
    """L2-penalised logistic regression (L-BFGS, deterministic)."""

    l2: float = 1.0
    prep: _Prep | None = None
    w: np.ndarray | None = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> RidgeLogit:
        from scipy.optimize import minimize

        self.prep = _prep(x)
        z = np.hstack([self.prep(x), np.ones((x.shape[0], 1))])
        n = z.shape[0]

        def f(w: np.ndarray) -> tuple[float, np.ndarray]:
            s = z @ w
            p = 1 / (1 + np.exp(-s))
            loss = np.mean(np.logaddexp(0, s) - y * s) + 0.5 * self.l2 / n * np.sum(w[:-1] ** 2)
            g = z.T @ (p - y) / n
            g[:-1] += self.l2 / n * w[:-1]
            return float(loss), g

        self.w = minimize(f, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        z = np.hstack([self.prep(x), np.ones((x.shape[0], 1))])  # type: ignore[misc]
        return 1 / (1 + np.exp(-(z @ self.w)))

    def importance(self) -> np.ndarray:
        imp = np.zeros(len(FEATURES))
        imp[self.prep.cols] = np.abs(self.w[:-1])  # type: ignore[union-attr,index]
        return imp


@dataclass
class Gbm:
    """LightGBM classifier, single-threaded and seeded (identical re-runs)."""

    params: dict = field(default_factory=lambda: dict(
        objective="binary", learning_rate=0.05, num_leaves=15, min_data_in_leaf=200, bagging_fraction=0.8,
        bagging_freq=1, feature_fraction=0.8, lambda_l2=1.0, seed=SEED, num_threads=1,
        deterministic=True, force_row_wise=True, verbose=-1))
    rounds: int = 150
    model: object = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> Gbm:
        import lightgbm as lgb

        self.model = lgb.train(self.params, lgb.Dataset(x, label=y.astype(int), free_raw_data=True),
                               num_boost_round=self.rounds)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x))  # type: ignore[attr-defined]

    def importance(self) -> np.ndarray:
        g = self.model.feature_importance(importance_type="gain")  # type: ignore[attr-defined]
        return np.asarray(g, dtype=float)


def platt_params(s_cal: np.ndarray, y_cal: np.ndarray) -> tuple[float, float]:
    """Platt scaling on the score's logit: ``p = sigmoid(a·logit(s) + b)``, fitted by maximum likelihood."""
    from scipy.optimize import minimize

    z = _logit(s_cal)

    def f(ab: np.ndarray) -> float:
        s = ab[0] * z + ab[1]
        return float(np.mean(np.logaddexp(0, s) - y_cal * s))

    a, b = minimize(f, np.array([1.0, 0.0]), method="L-BFGS-B").x
    return float(a), float(b)


def apply_platt(s: np.ndarray, a: float, b: float) -> np.ndarray:
    return np.clip(1 / (1 + np.exp(-(a * _logit(s) + b))), EPS, 1 - EPS)


def platt(s_cal: np.ndarray, y_cal: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Platt scaling as a function (see :func:`platt_params`)."""
    a, b = platt_params(s_cal, y_cal)
    return lambda s: apply_platt(s, a, b)


def isotonic(s_cal: np.ndarray, y_cal: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Isotonic regression of outcomes on the score (PAV), interpolated, clipped away from 0/1."""
    from scipy.optimize import isotonic_regression

    order = np.argsort(s_cal, kind="stable")
    xs, ys = s_cal[order], y_cal[order].astype(float)
    fitted = isotonic_regression(ys).x
    ux, inv = np.unique(xs, return_inverse=True)
    uy = np.bincount(inv, weights=fitted) / np.bincount(inv)
    # shrink each level toward the base rate a little: a 0 or 1 level would cost infinite log loss
    base = float(ys.mean())
    cnt = np.bincount(inv).astype(float)
    uy = (uy * cnt + base * 10) / (cnt + 10)
    return lambda s: np.clip(np.interp(s, ux, uy), EPS, 1 - EPS)


MODELS: dict[str, tuple[Callable[[], object], Callable]] = {
    "logit": (RidgeLogit, platt),
    "gbm": (Gbm, isotonic),
}
#: The model whose calibrated predictions go to predictions.csv.
PRIMARY = "logit"


@dataclass
class FoldResult:
    day: str
    horizon: int
    rows: pd.DataFrame  # ts_s, ticker, y, baseline, p_<model>...
    importance: dict[str, np.ndarray]


def walk_forward(day_frames: Sequence[pd.DataFrame], horizons: Sequence[int] = DEFAULT_HORIZONS, *,
                 progress: Callable[[str], None] | None = None) -> list[FoldResult]:
    """Train on the days before each day (at least two), predict that day, for each horizon."""
    out: list[FoldResult] = []
    x_all = [f[list(FEATURES)].to_numpy(dtype=float) for f in day_frames]
    for k in range(2, len(day_frames)):
        for h in horizons:
            col = f"y_{h}"
            fit_idx = range(0, k - 1)
            xs = [x_all[i][day_frames[i][col].notna().to_numpy()] for i in fit_idx]
            ys = [day_frames[i][col].dropna().to_numpy() for i in fit_idx]
            x_fit, y_fit = np.vstack(xs), np.concatenate(ys)
            cal_m = day_frames[k - 1][col].notna().to_numpy()
            x_cal, y_cal = x_all[k - 1][cal_m], day_frames[k - 1][col].to_numpy()[cal_m]
            test_m = day_frames[k][col].notna().to_numpy()
            x_te = x_all[k][test_m]
            if x_te.shape[0] == 0 or len(np.unique(y_fit)) < 2 or len(np.unique(y_cal)) < 2:
                continue
            te = day_frames[k].loc[test_m, ["ts_s", "ticker"]].reset_index(drop=True)
            te["y"] = day_frames[k][col].to_numpy()[test_m]
            base = float(np.concatenate([y_fit, y_cal]).mean())
            te["baseline"] = min(max(base, EPS), 1 - EPS)
            imps = {}
            for name, (make, calib) in MODELS.items():
                m = make().fit(x_fit, y_fit)  # type: ignore[attr-defined]
                cal = calib(m.score(x_cal), y_cal)
                te[f"p_{name}"] = cal(m.score(x_te))
                imps[name] = m.importance()
            out.append(FoldResult(str(day_frames[k]["day"].iloc[0]), h, te, imps))
            if progress:
                progress(f"  day {out[-1].day} horizon {h}s: {len(te)} test rows")
    return out


def fit_logit_payload(day_frames: Sequence[pd.DataFrame], horizons: Sequence[int] = DEFAULT_HORIZONS
                      ) -> dict[str, object]:
    """The primary model fitted for use after the last day given: fitted on all days but the last,
    Platt-calibrated on the last (the same recipe as each walk-forward fold). JSON-ready."""
    if len(day_frames) < 2:
        raise ValueError(f"need at least 2 days of books to fit and calibrate, got {len(day_frames)}")
    out: dict[str, object] = {"features": list(FEATURES), "horizons": {}}
    x_all = [f[list(FEATURES)].to_numpy(dtype=float) for f in day_frames]
    for h in horizons:
        col = f"y_{h}"
        ms = [f[col].notna().to_numpy() for f in day_frames]
        x_fit = np.vstack([x_all[i][ms[i]] for i in range(len(day_frames) - 1)])
        y_fit = np.concatenate([day_frames[i][col].to_numpy()[ms[i]] for i in range(len(day_frames) - 1)])
        x_cal, y_cal = x_all[-1][ms[-1]], day_frames[-1][col].to_numpy()[ms[-1]]
        if len(np.unique(y_fit)) < 2 or len(np.unique(y_cal)) < 2:
            continue
        m = RidgeLogit().fit(x_fit, y_fit)
        a, b = platt_params(m.score(x_cal), y_cal)
        p_cal = apply_platt(m.score(x_cal), a, b)
        base = float(np.concatenate([y_fit, y_cal]).mean())
        out["horizons"][str(h)] = {  # type: ignore[index]
            "cols": m.prep.cols, "mean": m.prep.mean.tolist(), "std": m.prep.std.tolist(),  # type: ignore[union-attr]
            "w": m.w.tolist(), "platt": [a, b], "base_rate": base, "rows": int(y_fit.size),  # type: ignore[union-attr]
            "cal_rows": int(y_cal.size),
            "cal_log_loss": float(np.mean(_ll_terms(p_cal, y_cal))),
            "cal_baseline_log_loss": float(np.mean(_ll_terms(np.full(y_cal.size, base), y_cal))),
        }
    return out


def predict_logit_payload(h: dict, x: np.ndarray) -> np.ndarray:
    """Calibrated p_up from one horizon of :func:`fit_logit_payload` for feature rows ``x``."""
    prep = _Prep(list(h["cols"]), np.asarray(h["mean"]), np.asarray(h["std"]))
    z = np.hstack([prep(np.atleast_2d(x)), np.ones((np.atleast_2d(x).shape[0], 1))])
    s = 1 / (1 + np.exp(-(z @ np.asarray(h["w"]))))
    return apply_platt(s, *h["platt"])


def bootstrap_gain(per_day: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], *, n: int = 1000,
                   seed: int = SEED) -> tuple[float, float]:
    """95 % interval of (baseline log loss − model log loss) resampling whole test days."""
    rng = np.random.default_rng(seed)
    k = len(per_day)
    if k == 0:
        return (math.nan, math.nan)
    sums = np.array([[np.sum(_ll_terms(b, y)), np.sum(_ll_terms(p, y)), y.size] for p, b, y in per_day])
    gains = []
    for _ in range(n):
        s = sums[rng.integers(0, k, k)]
        gains.append((s[:, 0].sum() - s[:, 1].sum()) / s[:, 2].sum())
    lo, hi = np.percentile(gains, [2.5, 97.5])
    return float(lo), float(hi)


def _ll_terms(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(q) + (1 - y) * np.log1p(-q))
