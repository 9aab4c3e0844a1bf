"""``kalshi-edge weather vs-market``: the forecast model, the market and their fusion, scored on the
same event days and decision times.

For every KXHIGH event (climate day D) in the recorded prices and every decision time HH:MM (local
station time on D-1, or on D with ``same_day``):

* ``market``: the ladder's implied pmf (:mod:`~kalshi_edge.families.weather.market_pmf`) from the
  top of book as of the decision (``--book``: mid of the last update at or before it) or the last
  trade (``--candles``: close of the last 5-minute candle that ended at or before it);
* ``model``: the forecast-driven day-ahead model (:mod:`~kalshi_edge.families.weather.forecast_model`)
  from forecasts issued before the decision, falling back to the history-only model;
* ``fused``: the linear pool ``w * model + (1 - w) * market`` on the market's support (the model's
  mass beyond the support folded onto the support's ends, so each tail bracket keeps it). ``w``
  is fitted per decision clock time on **earlier days only** (days whose climate day ended before
  the decision): the grid value 0, 0.05, ..., 1 with the lowest mean RPS on them; 0.5 until
  ``min_fuse_days`` such days exist.
* baseline ``climatology`` (scores only): the highs within ±7 calendar days in earlier years.

Scores per source and decision time (:func:`score_rows`): RPS, Brier per bracket (binary Brier of
each of the ladder's brackets), log loss of the observed bracket, RMSE of the pmf mean, each with
a 95 % day-bootstrap interval (fixed seed). The observed high enters nothing but the scores and
the fusion weights of **later** days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from kalshi_edge.families.weather.forecast_model import EmosConfig, forecast_model
from kalshi_edge.families.weather.market_pmf import (
    bracket_masses,
    bracket_price,
    implied_pmf,
    ladder_of,
    project_to_support,
)
from kalshi_edge.families.weather.model import GRID, GRID_LO_F, ModelConfig, climatology_pmf, issue_day_ahead
from kalshi_edge.families.weather.scoring import rps
from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.semantics import parse_ticker

SOURCES = ("market", "model", "fused")
BASELINE = "climatology"
W_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)
CANDLE_MINUTES = 5


class QuoteFileError(ValueError):
    """A price file that does not follow its layout (names file, data row and field)."""


# ------------------------------------------------------------------------------------------
# prices


def read_candles(path: str | Path) -> pd.DataFrame:
    """5-minute trade candles (``market_id,ticker,start,open,high,low,close,count``; cents) as
    ``known_at`` (candle end, UTC), ``ticker``, ``price`` (close, dollars)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("ticker", "start", "close") if c not in df.columns]
    if missing:
        raise QuoteFileError(f"{path}: missing column(s) {missing}; expected market_id,ticker,start,open,high,low,close,count")
    start = pd.to_datetime(df["start"], utc=True, errors="coerce", format="ISO8601")
    close = pd.to_numeric(df["close"], errors="coerce")
    for name, bad in (("start", start.isna()), ("close", close.isna() | (close < 0) | (close > 100))):
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise QuoteFileError(f"{path}: row {i + 1}: field {name!r} = {df[name].iloc[i]!r} is not valid")
    out = pd.DataFrame({"known_at": start + pd.Timedelta(minutes=CANDLE_MINUTES), "ticker": df["ticker"].str.strip(),
                        "price": close / 100.0})
    return out.sort_values("known_at", kind="stable").reset_index(drop=True)


def read_books(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Recorded top-of-book logs as ``known_at`` (UTC), ``ticker``, ``yes_bid_c``, ``yes_ask_c``."""
    from kalshi_edge.kalshi.top_of_book import read_top_of_book

    frames = []
    for p in paths:
        tob, _ = read_top_of_book(p)
        frames.append(pd.DataFrame({"known_at": tob["ts"], "ticker": tob["ticker"].astype(str),
                                    "yes_bid_c": tob["yes_bid_c"], "yes_ask_c": 100 - tob["no_bid_c"]}))
    if not frames:
        raise QuoteFileError("no book files given")
    return pd.concat(frames, ignore_index=True).sort_values("known_at", kind="stable").reset_index(drop=True)


def prices_at(quotes: pd.DataFrame, tickers: Sequence[str], t: pd.Timestamp) -> dict[str, float | None]:
    """One price per ticker from quotes known at or before ``t`` (None when there is none)."""
    q = quotes[(quotes["known_at"] <= t) & quotes["ticker"].isin(list(tickers))]
    last = q.groupby("ticker", sort=False).tail(1).set_index("ticker")
    out: dict[str, float | None] = {}
    for tk in tickers:
        if tk not in last.index:
            out[tk] = None
        elif "price" in last.columns:
            out[tk] = float(last.at[tk, "price"])
        else:
            out[tk] = bracket_price(float(last.at[tk, "yes_bid_c"]), float(last.at[tk, "yes_ask_c"]))
    return out


def market_grid_pmfs(quotes: pd.DataFrame, decisions: pd.DataFrame, series: str = "KXHIGHNY") -> list[np.ndarray | None]:
    """The market pmf on the model GRID for each row (``date``, ``decision_ts``) of ``decisions``:
    the ``series`` event of that climate day, priced with quotes known at the decision (None when
    the event is missing, its ladder unreadable or under half of it priced)."""
    by_event: dict[str, list[str]] = {}
    for tk in sorted(quotes["ticker"].unique()):
        by_event.setdefault(tk.rsplit("-", 1)[0], []).append(tk)
    out: list[np.ndarray | None] = []
    for d, t in zip(decisions["date"], decisions["decision_ts"], strict=True):
        ev = f"{series}-{pd.Timestamp(d).strftime('%y%b%d').upper()}"
        tickers = by_event.get(ev)
        if not tickers:
            out.append(None)
            continue
        try:
            ladder = ladder_of(tickers)
        except SemanticsError:
            out.append(None)
            continue
        mp = implied_pmf(ladder, prices_at(quotes, tickers, pd.Timestamp(t).tz_convert("UTC")))
        out.append(None if mp is None else _grid(mp.lo, mp.p))
    return out


# ------------------------------------------------------------------------------------------
# decisions


def decision_times(day: pd.Timestamp, at: Sequence[str], tz: str, same_day: bool) -> list[pd.Timestamp]:
    """Aware decision timestamps for climate day ``day`` (local ``HH:MM`` on D-1, or D)."""
    base = pd.Timestamp(day).normalize() - pd.Timedelta(days=0 if same_day else 1)
    out = []
    for hhmm in at:
        hh, mm = (int(x) for x in hhmm.split(":"))
        out.append((base + pd.Timedelta(hours=hh, minutes=mm)).tz_localize(ZoneInfo(tz), ambiguous=False,
                                                                            nonexistent="shift_forward"))
    return out


def parse_at(text: str) -> list[str]:
    """``11:00,16:00`` → ["11:00", "16:00"]; raises ValueError naming the bad item."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        try:
            hh, mm = item.split(":")
            if not (0 <= int(hh) <= 23 and 0 <= int(mm) <= 59):
                raise ValueError
        except ValueError:
            raise ValueError(f"--at: {item!r} is not HH:MM (24-hour local time)") from None
        out.append(f"{int(hh):02d}:{int(mm):02d}")
    if not out:
        raise ValueError("--at: no decision times")
    return out


def history_fallback(history: pd.Series, std_offset_hours: int, config: ModelConfig | None = None):
    """Today's history-only model as the fallback: for a decision at t, rows of climate days that
    ended before t (local standard time) only, issued for the target day."""
    def fb(rows: pd.DataFrame) -> np.ndarray:
        out = np.zeros((len(rows), GRID.size))
        cuts = [(pd.Timestamp(t).tz_convert("UTC") + pd.Timedelta(hours=std_offset_hours)).tz_localize(None).normalize()
                for t in rows["decision_ts"]]
        for cut in sorted(set(cuts)):
            idx = [i for i, c in enumerate(cuts) if c == cut]
            days = pd.DatetimeIndex(sorted({pd.Timestamp(rows["date"].iloc[i]) for i in idx}))
            fc = issue_day_ahead(history[history.index < cut], days, config)
            for i in idx:
                out[i] = fc.pmf[days.get_loc(pd.Timestamp(rows["date"].iloc[i]))]
        return out

    return fb


@dataclass
class VsMarketResult:
    pmf: pd.DataFrame  # date, decision_ts, source, temp_f, p
    rows: pd.DataFrame  # one row per (date, decision_ts, source) with the scores of that row
    brackets: pd.DataFrame  # one row per (date, decision_ts, source, ticker): p, outcome
    scores: pd.DataFrame
    weights: pd.DataFrame  # date, decision_ts, clock, w, fit_days
    skipped: list[str]


def _grid(lo: int, p: np.ndarray) -> np.ndarray:
    g = np.zeros(GRID.size)
    g[lo - GRID_LO_F : lo - GRID_LO_F + len(p)] = p
    return g


def run_vs_market(
    quotes: pd.DataFrame,
    forecasts: pd.DataFrame,
    actuals: pd.Series,
    history: pd.Series,
    *,
    station: str = "KNYC",
    series: str | None = None,
    at: Sequence[str] = ("11:00", "16:00", "19:00"),
    same_day: bool = False,
    tz: str = "America/New_York",
    std_offset_hours: int = -5,
    emos: EmosConfig | None = None,
    min_fuse_days: int = 5,
    bootstrap: int = 2000,
    seed: int = 0,
) -> VsMarketResult:
    """Build pmfs and scores (see module doc). ``history``: observed highs (TMAX ∪ actuals) for the
    fallback model and climatology; ``actuals``: the scored highs. ``series`` (e.g. ``KXHIGHNY``)
    keeps only that series' events."""
    fc = forecasts[forecasts["station"].str.upper() == station.upper()]
    skipped: list[str] = []
    events: dict[str, list[str]] = {}
    for tk in sorted(quotes["ticker"].unique()):
        if series is None or tk.upper().startswith(series.upper() + "-"):
            events.setdefault(tk.rsplit("-", 1)[0], []).append(tk)
    if not events:
        raise ValueError(f"no {series or 'KXHIGH'} markets in the price file(s)")
    decisions = []  # (date, ts, ladder, market pmf)
    for ev, tickers in sorted(events.items()):
        try:
            parts = parse_ticker(ev)
            ladder = ladder_of(tickers)
        except SemanticsError as exc:
            skipped.append(f"{ev}: ladder not readable ({exc})")
            continue
        day = pd.Timestamp(parts.event_time_et.date())
        for t in decision_times(day, at, tz, same_day):
            mp = implied_pmf(ladder, prices_at(quotes, tickers, t.tz_convert("UTC")))
            if mp is None:
                skipped.append(f"{ev} at {t.isoformat()}: fewer than half of the brackets priced")
                continue
            decisions.append((day, t, ladder, mp))
    if not decisions:
        raise ValueError("no event day and decision time with a readable, priced ladder")
    targets = pd.DataFrame({"date": [d[0] for d in decisions], "decision_ts": [d[1] for d in decisions]})
    fm = forecast_model(targets, fc, actuals, config=emos,
                        fallback=history_fallback(history, std_offset_hours))
    clim = climatology_pmf(history, pd.DatetimeIndex(targets["date"]))
    obs = np.array([actuals.get(d, np.nan) for d in targets["date"]], dtype=float)

    pmf_rows: list[pd.DataFrame] = []
    row_recs: list[dict] = []
    br_recs: list[dict] = []
    w_recs: list[dict] = []
    # fused rows need earlier days' scores: process in decision order
    order = sorted(range(len(decisions)), key=lambda i: (decisions[i][1], decisions[i][0]))
    history_rps: dict[str, list[tuple[pd.Timestamp, np.ndarray, np.ndarray, float]]] = {}
    for i in order:
        day, t, ladder, mp = decisions[i]
        clock = t.tz_convert(tz).strftime("%H:%M") + ("" if same_day else " D-1")
        model_sup = project_to_support(GRID_LO_F, fm.pmf[i], mp.lo, mp.hi)
        # fusion weight from earlier days whose climate day ended before t (LST midnight after D)
        t_lst_day = (t.tz_convert("UTC") + pd.Timedelta(hours=std_offset_hours)).tz_localize(None).normalize()
        past = [h for h in history_rps.get(clock, []) if h[0] < t_lst_day and not np.isnan(h[3])]
        if len(past) >= min_fuse_days:
            losses = [np.mean([rps(_grid(h[4], w * h[1] + (1 - w) * h[2])[None, :], GRID_LO_F, np.array([h[3]]))[0]
                               for h in past]) for w in W_GRID]
            w = float(W_GRID[int(np.argmin(losses))])
        else:
            w = 0.5
        fused = w * model_sup + (1 - w) * mp.p
        history_rps.setdefault(clock, []).append((day, model_sup, mp.p, obs[i], mp.lo))
        w_recs.append({"date": day.strftime("%Y-%m-%d"), "decision_ts": t.isoformat(), "clock": clock, "w_model": w,
                       "fit_days": len(past)})
        per_source = {"market": _grid(mp.lo, mp.p), "model": fm.pmf[i], "fused": _grid(mp.lo, fused), BASELINE: clim[i]}
        for src, g in per_source.items():
            if src in SOURCES:
                nz = np.nonzero(g > 0)[0]
                pmf_rows.append(pd.DataFrame({"date": day.strftime("%Y-%m-%d"), "decision_ts": t.isoformat(),
                                              "source": src, "temp_f": GRID[nz].astype(int), "p": g[nz]}))
            if np.isnan(obs[i]):
                continue
            y = int(round(obs[i]))
            bm = bracket_masses(ladder, GRID_LO_F, g)
            hit = np.array([iv.contains(y) for iv in ladder.int_intervals()], dtype=float)
            row_recs.append({"date": day.strftime("%Y-%m-%d"), "decision_ts": t.isoformat(), "clock": clock,
                             "source": src, "observed_f": y,
                             "rps": float(rps(g[None, :], GRID_LO_F, np.array([y]))[0]),
                             "brier": float(np.mean((bm - hit) ** 2)),
                             "log_loss": float(-np.log(max(float(bm[hit.astype(bool)].sum()), 1e-6))),
                             "mean_f": float(g @ GRID), "model_used": fm.used[i] if src == "model" else ""})
            for m, pb, o in zip(ladder.markets, bm, hit, strict=True):
                br_recs.append({"date": day.strftime("%Y-%m-%d"), "decision_ts": t.isoformat(), "clock": clock,
                                "source": src, "ticker": m.ticker, "p": float(pb), "outcome": int(o)})
    pmf = pd.concat(pmf_rows, ignore_index=True).sort_values(["date", "decision_ts", "source", "temp_f"],
                                                            kind="stable").reset_index(drop=True)
    rows = pd.DataFrame(row_recs)
    scores = score_rows(rows, bootstrap=bootstrap, seed=seed) if len(rows) else pd.DataFrame()
    return VsMarketResult(pmf, rows, pd.DataFrame(br_recs), scores, pd.DataFrame(w_recs), skipped)


# ------------------------------------------------------------------------------------------
# scores


def day_bootstrap(per_day: pd.DataFrame, value: str, *, reps: int, seed: int) -> tuple[float, float]:
    """95 % percentile interval of the mean of ``value`` over days resampled with replacement."""
    vals = per_day[value].to_numpy(float)
    if len(vals) < 2 or reps <= 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(vals), size=(reps, len(vals)))
    means = vals[idx].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def score_rows(rows: pd.DataFrame, *, bootstrap: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Mean RPS, Brier per bracket, log loss, RMSE of the mean per (clock, source), with day-bootstrap
    intervals, plus the RPS difference to the market (``d_rps_vs_market``, < 0: better than market)."""
    out = []
    sources = [s for s in (*SOURCES, BASELINE) if s in set(rows["source"])]
    clocks = sorted(rows["clock"].unique()) + ["all"]
    for clock in clocks:
        sub = rows if clock == "all" else rows[rows["clock"] == clock]
        mk = sub[sub["source"] == "market"].set_index(["date", "decision_ts"])["rps"]
        for src in sources:
            s = sub[sub["source"] == src].copy()
            if s.empty:
                continue
            s["sq_err"] = (s["mean_f"] - s["observed_f"]) ** 2
            per_day = s.groupby("date")[["rps", "brier", "log_loss", "sq_err"]].mean().reset_index()
            rec = {"clock": clock, "source": src, "n_decisions": len(s), "n_days": len(per_day)}
            for m in ("rps", "brier", "log_loss"):
                lo, hi = day_bootstrap(per_day, m, reps=bootstrap, seed=seed)
                rec[m], rec[f"{m}_lo"], rec[f"{m}_hi"] = float(s[m].mean()), lo, hi
            rec["rmse_mean_f"] = float(np.sqrt(s["sq_err"].mean()))
            # RMSE interval: bootstrap the per-day squared errors, then the square root
            lo, hi = day_bootstrap(per_day, "sq_err", reps=bootstrap, seed=seed)
            rec["rmse_lo"], rec["rmse_hi"] = float(np.sqrt(lo)), float(np.sqrt(hi))
            d = s.set_index(["date", "decision_ts"])["rps"] - mk.reindex(s.set_index(["date", "decision_ts"]).index)
            dd = d.dropna().groupby(level="date").mean().rename("d").reset_index()
            rec["d_rps_vs_market"] = float(d.mean()) if len(dd) else float("nan")
            rec["d_lo"], rec["d_hi"] = day_bootstrap(dd, "d", reps=bootstrap, seed=seed) if len(dd) else (np.nan, np.nan)
            out.append(rec)
    return pd.DataFrame(out)


def write_outputs(res: VsMarketResult, out_dir: str | Path, *, title: str) -> dict[str, Path]:
    """``pmf.csv``, ``scores.csv``, ``report.html`` (and ``rows.csv``, ``weights.csv``) under ``out_dir``."""
    from kalshi_edge.families.weather.vs_market_report import render

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"pmf": d / "pmf.csv", "scores": d / "scores.csv", "report": d / "report.html",
             "rows": d / "rows.csv", "weights": d / "weights.csv"}
    res.pmf.to_csv(paths["pmf"], index=False, float_format="%.12g")
    res.scores.to_csv(paths["scores"], index=False, float_format="%.6g")
    res.rows.to_csv(paths["rows"], index=False, float_format="%.6g")
    res.weights.to_csv(paths["weights"], index=False)
    paths["report"].write_text(render(res, title))
    return paths
