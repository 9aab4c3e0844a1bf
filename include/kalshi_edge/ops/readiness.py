"""Go-live readiness per family and series: every criterion with its value, threshold and verdict.

Criteria (thresholds from :class:`~kalshi_edge.config.Settings`, defaults = the weather seed's):

``clean_data_days``   consecutive days of market data (and the family's input data) ending now,
                      gaps ≤ ``readiness_max_gap_days``, quarantined share ≤ the tolerance  (≥ 30)
``backtest_sharpe``   Sharpe of the newest backtest of the series (``summary.json`` under
                      ``data/reports``, written by ``kalshi-edge backtest --out``)          (> 1.0)
``paper_win_rate``    share of settled paper markets with positive net PnL (``trading_pnl``),
                      over at least ``readiness_min_settled_trades`` of them                 (> 55%)
``max_drawdown``      worst fall of paper equity (capital = ``risk_max_dollars_total``, plus the
                      cumulative net PnL by settlement day) from its peak, as a fraction     (< 15%)
``daily_loss_cap``    the configured risk engine denies a new order once today's PnL reaches
                      −``risk_daily_loss_cap`` (a test run of the real engine, every time)  (denied);
                      the detail also counts the denials backtests recorded (``decisions.csv``)
``sensor_uptime``     share of 5-minute slots of the trailing 30 days with a sensor heartbeat (≥ 99%)
``alerts_configured`` at least one alert channel (webhook or SMTP) is configured          (≥ 1)

A family is ready when every criterion of every one of its series passes. Pure reads: the lake
(partition folders and ``trading_pnl``), the reports folder, the heartbeat file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kalshi_edge.ops.freshness import partition_date, quarantined_rows

#: The series each family trades (Kalshi series tickers).
FAMILY_SERIES: dict[str, tuple[str, ...]] = {
    "btc": ("KXBTCD", "KXBTC"),
    "weather": ("KXHIGHNY", "KXHIGHMIA"),
    "billboard": ("KXTOPSONG",),
}
#: Market data every series needs, partitioned by series_ticker and date.
MARKET_DATASETS = ("kalshi_orderbook_snapshots", "kalshi_markets")

CRITERIA = ("clean_data_days", "backtest_sharpe", "paper_win_rate", "max_drawdown", "daily_loss_cap",
            "sensor_uptime", "alerts_configured")


@dataclass(slots=True)
class Criterion:
    family: str
    series: str
    criterion: str
    value: float | None
    threshold: str  # e.g. ">= 30", "> 1.0"
    passed: bool
    detail: str = ""

    @property
    def shown_value(self) -> str:
        if self.value is None:
            return "—"
        if self.criterion in ("paper_win_rate", "max_drawdown", "sensor_uptime"):
            return f"{self.value:.1%}"
        if self.criterion == "daily_loss_cap":
            return "denied" if self.value else "NOT denied"
        if self.criterion in ("clean_data_days", "alerts_configured"):
            return str(int(self.value))
        return f"{self.value:.3f}"


@dataclass(slots=True)
class Readiness:
    """Every criterion for the families evaluated, as of one moment."""

    as_of: datetime
    criteria: list[Criterion] = field(default_factory=list)

    def families(self) -> list[str]:
        return list(dict.fromkeys(c.family for c in self.criteria))

    def ready(self, family: str) -> bool:
        rows = [c for c in self.criteria if c.family == family]
        return bool(rows) and all(c.passed for c in rows)

    def failing(self, family: str) -> list[Criterion]:
        return [c for c in self.criteria if c.family == family and not c.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "families": {f: {"ready": self.ready(f),
                             "failing": [f"{c.series}:{c.criterion}" for c in self.failing(f)]}
                         for f in self.families()},
            "criteria": [{**asdict(c), "shown_value": c.shown_value} for c in self.criteria],
        }

    def rows(self) -> list[dict[str, Any]]:
        """Rows of the ``ops_readiness`` lake dataset."""
        d = self.as_of.date().isoformat()
        return [{"date": d, "as_of": self.as_of, "family": c.family, "series": c.series, "criterion": c.criterion,
                 "value": c.value, "threshold": c.threshold, "passed": c.passed, "detail": c.detail,
                 "family_ready": self.ready(c.family)} for c in self.criteria]


# ----------------------------------------------------------------------------- data days
def _dates(lake: Any, dataset: str, filters: dict[str, str]) -> dict[date, int]:
    """Partition date → rows, for partitions of ``dataset`` matching ``filters`` (key=value)."""
    out: dict[date, int] = {}
    for p in lake.partitions(dataset):
        kv = dict(part.split("=", 1) for part in p["partition"].split("/") if "=" in part)
        if any(kv.get(k) != v for k, v in filters.items()):
            continue
        d = partition_date(p["partition"])
        if d is not None:
            out[d] = out.get(d, 0) + p["rows"]
    return out


def clean_run(days: Sequence[date], *, as_of: date, max_gap_days: int) -> tuple[int, date | None]:
    """(length in days, first day) of the run of data ending at the newest day ≤ ``as_of``, where
    consecutive days are at most ``max_gap_days`` missing days apart. 0 when the newest day is
    itself more than ``max_gap_days + 1`` days before ``as_of`` (the data has stopped)."""
    ds = sorted(d for d in set(days) if d <= as_of)
    if not ds or (as_of - ds[-1]).days > max_gap_days + 1:
        return 0, None
    start = ds[-1]
    for d in reversed(ds[:-1]):
        if (start - d).days > max_gap_days + 1:
            break
        start = d
    return (ds[-1] - start).days + 1, start


def _sources(family: str, series: str) -> list[tuple[str, dict[str, str]]]:
    """The family's own model inputs the series needs besides its market data, as (dataset,
    partition filters): the settlement station's observations for weather, the bars for BTC
    (Billboard's weekly charts have no daily cadence to count)."""
    from kalshi_edge.families.weather.settled import SERIES_STATION

    out: list[tuple[str, dict[str, str]]] = []
    if family == "weather" and series in SERIES_STATION:
        out.append(("weather_obs", {"station": SERIES_STATION[series]}))
    if family == "btc":
        out.append(("btc_bars", {}))
    return out


def clean_data_days(lake: Any, family: str, series: str, *, as_of: datetime, min_days: int, max_gap_days: int,
                    max_quarantine: float) -> Criterion:
    day = as_of.date()
    market: dict[date, int] = {}
    for ds in MARKET_DATASETS:
        for d, n in _dates(lake, ds, {"series_ticker": series}).items():
            market[d] = market.get(d, 0) + n
    groups = [("market data", list(MARKET_DATASETS), market)]
    for ds, flt in _sources(family, series):
        groups.append((ds, [ds], _dates(lake, ds, flt)))
    runs = []
    for label, names, dates in groups:
        n, start = clean_run(list(dates), as_of=day, max_gap_days=max_gap_days)
        runs.append((n, start, label, names, dates))
    n, start, label, _names, _ = min(runs, key=lambda r: r[0])
    detail = "; ".join(f"{lbl}: {k} d" + (f" from {s}" if s else " (none recent)") for k, s, lbl, _, _ in runs)
    # Quarantine inside the window (files stamped since its first day), against rows in it.
    if start is not None:
        since = datetime(start.year, start.month, start.day, tzinfo=UTC)
        bad = sum(quarantined_rows(lake, ds, since) for _, _, _, names, _ in runs for ds in names)
        good = sum(r for _, s, _, _, dates in runs for d, r in dates.items() if s and d >= s)
        frac = bad / (bad + good) if bad + good else 0.0
        detail += f"; quarantined {bad} of {bad + good} rows ({frac:.2%})"
        if frac > max_quarantine:
            return Criterion(family, series, "clean_data_days", float(n), f">= {min_days}", False,
                             detail + f" > {max_quarantine:.2%} tolerated")
    return Criterion(family, series, "clean_data_days", float(n), f">= {min_days}", n >= min_days,
                     f"shortest: {label}; " + detail)


# ----------------------------------------------------------------------------- backtests
def latest_backtest(reports_dir: Path, series: str, family: str) -> tuple[dict[str, Any], Path] | None:
    """The newest backtest ``summary.json`` whose trades (or strategy) belong to ``series``."""
    from kalshi_edge.trading.strategy import list_strategies

    found: list[tuple[float, dict[str, Any], Path]] = []
    if not reports_dir.exists():
        return None
    registry = None
    for f in reports_dir.rglob("summary.json"):
        try:
            summ = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(summ, dict) or "sharpe" not in summ:
            continue
        tickers: set[str] = set()
        trades = f.parent / "trades.csv"
        if trades.exists():
            import csv

            with open(trades, newline="") as fh:
                tickers = {row.get("ticker", "").split("-")[0] for row in csv.DictReader(fh)}
        if tickers:
            if series not in tickers:
                continue
        else:
            registry = registry if registry is not None else list_strategies()
            cls = registry.get(str(summ.get("strategy", "")))
            if cls is None or getattr(cls, "family", "") != family:
                continue
        found.append((f.stat().st_mtime, summ, f))
    if not found:
        return None
    _, summ, path = max(found, key=lambda t: t[0])
    return summ, path


# ----------------------------------------------------------------------------- paper results
def _series_pnl(lake: Any, series: str) -> list[tuple[str, Decimal]]:
    """(settled_date, realized_pnl_net) of every settled paper market of ``series``, by date."""
    df = lake.read("trading_pnl", columns=["settled_date", "ticker", "realized_pnl_net"])
    if df.empty:
        return []
    df = df[df["ticker"].astype(str).str.split("-").str[0] == series]
    return sorted((str(r.settled_date), Decimal(str(r.realized_pnl_net))) for r in df.itertuples())


def max_drawdown_fraction(pnls: Sequence[Decimal], capital: Decimal) -> float:
    """Worst (peak − equity) / peak of ``capital`` + cumulative PnL, the peak including the start."""
    equity = peak = capital
    worst = Decimal(0)
    for p in pnls:
        equity += p
        peak = max(peak, equity)
        if peak > 0:
            worst = max(worst, (peak - equity) / peak)
    return float(worst)


# ----------------------------------------------------------------------------- risk test run
def daily_loss_cap_denies(settings: Any, family: str, series: str, now: datetime) -> tuple[bool, str]:
    """Run the configured risk engine on an otherwise approvable order with today's PnL at the
    cap: evidence that the cap is enforced (True when the engine denies with ``daily_loss_cap``)."""
    from kalshi_edge.trading.intents import OrderIntent
    from kalshi_edge.trading.risk import PortfolioState, RiskEngine, RiskLimits

    limits = RiskLimits.from_settings(settings)
    engine = RiskEngine(limits, None)  # no kill switch: a test run never trips the real one
    intent = OrderIntent(
        client_order_id="readiness-test", strategy="readiness", family=family, ticker=f"{series}-TEST-T1",
        event_ticker=f"{series}-TEST", side="yes", action="buy", price=Decimal("0.40"), count=Decimal("1"),
        liquidity="taker", p_yes=0.9, confidence=1.0, edge_per_contract=Decimal("0.4"), fee_estimate=Decimal("0.02"),
        decided_at=now, quote_ts=now,
    )
    base = PortfolioState(now=now, bankroll=Decimal("1000"))
    control = engine.check(intent, base)
    capped = PortfolioState(now=now, bankroll=Decimal("1000"), realized_pnl_today=-limits.daily_loss_cap)
    decision = engine.check(intent, capped)
    reason = getattr(decision, "reason", "approved")
    ok = reason == "daily_loss_cap" and getattr(control, "reason", "approved") != "daily_loss_cap"
    return ok, (f"test run: PnL today −{limits.daily_loss_cap} → {reason}; "
                f"at 0 → {getattr(control, 'reason', 'approved')}")


def recorded_loss_cap_denials(reports_dir: Path, series: str) -> int:
    """``daily_loss_cap`` denials the risk engine recorded for ``series`` in backtests
    (``decisions.csv`` beside each backtest's ``summary.json``)."""
    import csv

    n = 0
    if not Path(reports_dir).exists():
        return 0
    for f in Path(reports_dir).rglob("decisions.csv"):
        try:
            with open(f, newline="") as fh:
                n += sum(1 for row in csv.DictReader(fh) if row.get("decision") == "daily_loss_cap"
                         and str(row.get("ticker", "")).split("-")[0] == series)
        except (OSError, csv.Error):
            continue
    return n


# ----------------------------------------------------------------------------- evaluate
def evaluate_readiness(settings: Any, *, families: Sequence[str] | None = None, as_of: datetime | None = None,
                       lake: Any = None) -> Readiness:
    """Every criterion for every series of ``families`` (default: all), as of ``as_of`` (UTC)."""
    from kalshi_edge.lake import Lake
    from kalshi_edge.ops.alerts import configured_channels
    from kalshi_edge.ops.heartbeat import read_heartbeats, uptime

    s = settings
    now = as_of or datetime.now(UTC)
    lake = lake or Lake.from_settings(s)
    fams = list(FAMILY_SERIES if families is None else families)
    beats = read_heartbeats(s)
    up, hit, slots = uptime(beats, end=now, days=s.readiness_uptime_days, interval_s=s.sensor_heartbeat_seconds)
    channels = configured_channels(s)
    capital = Decimal(str(s.risk_max_dollars_total))
    out = Readiness(as_of=now)
    for fam in fams:
        if fam not in FAMILY_SERIES:
            raise ValueError(f"--family: {fam!r} is not one of {', '.join(FAMILY_SERIES)}")
        cap_ok, cap_detail = None, ""
        for series in FAMILY_SERIES[fam]:
            add = out.criteria.append
            add(clean_data_days(lake, fam, series, as_of=now, min_days=s.readiness_min_clean_days,
                                max_gap_days=s.readiness_max_gap_days, max_quarantine=s.readiness_max_quarantine_fraction))
            bt = latest_backtest(s.reports_dir, series, fam)
            if bt is None:
                add(Criterion(fam, series, "backtest_sharpe", None, f"> {s.readiness_min_backtest_sharpe}", False,
                              f"no backtest summary.json for {series} under {s.reports_dir}"))
            else:
                summ, path = bt
                sharpe = float(summ["sharpe"]) if summ.get("sharpe") is not None else None
                ok = sharpe is not None and math.isfinite(sharpe) and sharpe > s.readiness_min_backtest_sharpe
                add(Criterion(fam, series, "backtest_sharpe", sharpe, f"> {s.readiness_min_backtest_sharpe}", ok,
                              f"{summ.get('trades', '?')} trades, {path}"))
            pnl = _series_pnl(lake, series)
            n = len(pnl)
            wins = sum(1 for _, p in pnl if p > 0)
            rate = wins / n if n else None
            need = s.readiness_min_settled_trades
            add(Criterion(fam, series, "paper_win_rate", rate, f"> {s.readiness_min_win_rate:.0%} over >= {need}",
                          rate is not None and n >= need and rate > s.readiness_min_win_rate,
                          f"{wins} won of {n} settled" + ("" if n >= need else f" (needs >= {need})")))
            dd = max_drawdown_fraction([p for _, p in pnl], capital) if n else None
            add(Criterion(fam, series, "max_drawdown", dd, f"< {s.readiness_max_drawdown:.0%}",
                          dd is not None and dd < s.readiness_max_drawdown,
                          f"on capital {capital} over {n} settled markets" if n else "no settled paper trades"))
            if cap_ok is None:
                cap_ok, cap_detail = daily_loss_cap_denies(s, fam, series, now)
            recorded = recorded_loss_cap_denials(s.reports_dir, series)
            add(Criterion(fam, series, "daily_loss_cap", 1.0 if cap_ok else 0.0, "denied", cap_ok,
                          f"{cap_detail}; {recorded} recorded daily_loss_cap denials in backtests"))
            add(Criterion(fam, series, "sensor_uptime", up, f">= {s.readiness_min_sensor_uptime:.0%}",
                          up >= s.readiness_min_sensor_uptime,
                          f"{hit} of {slots} {s.sensor_heartbeat_seconds}s slots in {s.readiness_uptime_days} d"))
            add(Criterion(fam, series, "alerts_configured", float(len(channels)), ">= 1", bool(channels),
                          ", ".join(channels) or "no webhook or SMTP configured"))
    return out


def stored_readiness(lake: Any, day: date) -> tuple[dict[str, bool], dict[str, bool]]:
    """(family → ready in the newest ``ops_readiness`` partition before ``day``, the same in
    ``day``'s own partition if one was written already), for change alerts that a rerun of the
    same logical date does not repeat."""
    df = lake.read("ops_readiness", columns=["date", "family", "family_ready"])
    if df.empty:
        return {}, {}
    dates = df["date"].astype(str)
    same = {str(r.family): bool(r.family_ready) for r in df[dates == day.isoformat()].itertuples()}
    older = df[dates < day.isoformat()]
    if older.empty:
        return {}, same
    last = older[older["date"] == older["date"].max()]
    return {str(r.family): bool(r.family_ready) for r in last.itertuples()}, same


def run_daily_readiness(settings: Any, *, as_of: datetime | None, lake: Any = None) -> dict[str, Any]:
    """The DAG task: evaluate, write the ``ops_readiness`` partition of ``as_of``'s date, and alert
    on every family whose readiness changed since the previous partition. Returns a summary."""
    import pandas as pd

    from kalshi_edge.lake import Lake
    from kalshi_edge.ops.alerts import send_alert

    lake = lake or Lake.from_settings(settings)
    as_of = as_of or datetime.now(UTC)  # a manual run has no logical date
    rep = evaluate_readiness(settings, as_of=as_of, lake=lake)
    before, already = stored_readiness(lake, as_of.date())
    res = lake.write("ops_readiness", pd.DataFrame(rep.rows()), source=f"readiness {as_of.isoformat()}")
    changes = {}
    for fam in rep.families():
        now_ready = rep.ready(fam)
        if fam in before and before[fam] != now_ready and already.get(fam) != now_ready:
            changes[fam] = now_ready
            failing = ", ".join(f"{c.series}:{c.criterion}" for c in rep.failing(fam)) or "none"
            send_alert(settings, "readiness_change",
                       f"{fam} is now {'READY' if now_ready else 'NOT READY'} for live trading",
                       {"family": fam, "ready": now_ready, "failing": failing, "as_of": as_of.isoformat()})
    return {"rows": res.rows_written, "ready": {f: rep.ready(f) for f in rep.families()}, "changes": changes}


def daily_readiness(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict[str, Any]:
    """DAG task ``ops_readiness``: :func:`run_daily_readiness` as of ``logical_date``."""
    from kalshi_edge.config import get_settings

    return run_daily_readiness(settings or get_settings(), as_of=logical_date)
