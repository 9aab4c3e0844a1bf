"""The dashboard's data: one JSON object per family (``GET /kalshi-edge/api/summary``).

Per family: ``predictions`` (latest model P next to the market's P, edge after fees and the gate
decision or skip reason, per market), ``open_orders``, ``positions`` (with marks and unrealized
PnL), ``pnl`` (realized net, unrealized, fees), ``equity_curve``, ``ledger_events`` (latest),
``freshness`` (per dataset: last partition, age, quarantined rows), ``models`` (last retrain and
its walk-forward score next to the baseline's) and ``readiness`` (every criterion).

Everything is read-only: lake files through DuckDB in memory (never the warehouse file for
writing), the ledger JSONL replayed in memory (the file is never opened for append), models/
JSON sidecars, the heartbeat file. Money is exact (Decimal) and serialized as strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.portfolio import mark_value
from kalshi_edge.trading.strategy import FAMILIES, family_of

#: Datasets shown under each family's freshness (plus the market data of its series).
FAMILY_DATASETS: dict[str, tuple[str, ...]] = {
    "btc": ("btc_bars", "btc_edge_snapshots", "btc_opportunities"),
    "weather": ("weather_obs", "weather_tmax", "weather_cli", "weather_forecasts", "kalshi_settled_temps"),
    "billboard": ("billboard_charts", "billboard_signals", "billboard_predictions", "billboard_edges"),
}
SHARED_DATASETS = ("kalshi_markets", "kalshi_orderbook_snapshots", "trading_pnl", "trading_prediction_scores",
                   "ops_readiness")
LEDGER_EVENTS_SHOWN = 15


def _s(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


# ----------------------------------------------------------------------------- ledger (read-only)
def read_ledger(path: Path) -> tuple[OrderLedger, list[dict[str, Any]]]:
    """The ledger at ``path`` replayed into an in-memory :class:`OrderLedger`, and its events.

    Read-only: the file is read (a torn last line is ignored, as the ledger itself does) and
    never opened for writing, so the dashboard can never add to or lock a ledger."""
    reader = OrderLedger.__new__(OrderLedger)
    reader.path = Path(path)
    events = list(OrderLedger._read(reader))  # the ledger's own parser (torn-line rule)
    led = OrderLedger(None)
    for ev in events:
        led._apply(ev)
    return led, events


def ledger_files(settings: Any) -> list[Path]:
    d = Path(settings.data_dir) / "ledger"
    return sorted(d.glob("*.jsonl")) if d.exists() else []


def default_ledger(settings: Any) -> Path | None:
    """``orders_<trade mode>.jsonl`` when it exists, else the most recently written ledger."""
    files = ledger_files(settings)
    mine = Path(settings.data_dir) / "ledger" / f"orders_{settings.trade_mode}.jsonl"
    if mine.exists():
        return mine
    return max(files, key=lambda p: p.stat().st_mtime) if files else None


def equity_curve(events: Iterable[dict[str, Any]], family: str) -> list[dict[str, str]]:
    """Cumulative realized PnL net of fees of ``family`` after each fill or settlement (dollars),
    by replaying the ledger's own position arithmetic event by event."""
    led = OrderLedger(None)
    out: list[dict[str, str]] = []
    last: Decimal | None = None
    for ev in events:
        led._apply(ev)
        if ev.get("event") not in ("fill", "settled"):
            continue
        fam = ev.get("family") or family_of(str(ev.get("ticker", "")))
        rec = led.orders.get(ev.get("client_order_id", ""))
        if rec is not None:
            fam = rec.family
        elif ev.get("event") == "settled":
            p = led.positions.get(ev.get("ticker", ""))
            fam = p.family if p else fam
        if fam != family:
            continue
        pnl = sum((p.realized - p.fees for p in led.positions.values() if p.family == family), ZERO)
        if pnl != last:
            out.append({"at": str(ev.get("at", "")), "pnl_net": str(pnl), "event": str(ev["event"])})
            last = pnl
    return out


# ----------------------------------------------------------------------------- marks
def latest_marks(lake: Any) -> dict[str, tuple[Decimal, str]]:
    """Ticker → (YES mid, snapshot time) from the newest ``kalshi_markets`` snapshot of each market."""
    if not lake.files("kalshi_markets"):
        return {}
    import duckdb

    sql = (f"SELECT ticker, CAST(yes_bid AS VARCHAR), CAST(yes_ask AS VARCHAR), CAST(snapshot_ts AS VARCHAR) "
           f"FROM {lake.scan_sql('kalshi_markets')} QUALIFY row_number() OVER "
           f"(PARTITION BY ticker ORDER BY snapshot_ts DESC) = 1")
    with lake.reading("kalshi_markets"), duckdb.connect() as con:
        rows = con.execute(sql).fetchall()
    out = {}
    for t, bid, ask, ts in rows:
        if bid is not None and ask is not None:
            out[t] = ((Decimal(bid) + Decimal(ask)) / 2, ts)
    return out


# ----------------------------------------------------------------------------- edges adapter
def _skip_reason(raw: object) -> str:
    """A stored skip reason in the project's one vocabulary (:class:`SkipReason` when available)."""
    text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw)
    try:
        from kalshi_edge.trading.intents import SkipReason  # type: ignore[attr-defined]
    except ImportError:
        return text
    try:
        return SkipReason(text).value
    except ValueError:
        return text


def _latest(lake: Any, dataset: str, order_col: str, money: tuple[str, ...] = ()):
    """The rows of the newest ``order_col`` value; ``money`` columns as exact decimal strings
    (a DuckDB DECIMAL would become a float in pandas)."""
    import duckdb

    if not lake.files(dataset):
        return None
    exact = f" REPLACE ({', '.join(f'CAST({c} AS VARCHAR) AS {c}' for c in money)})" if money else ""
    sql = (f"SELECT *{exact} FROM {lake.scan_sql(dataset)} WHERE {order_col} = "
           f"(SELECT max({order_col}) FROM {lake.scan_sql(dataset)})")
    with lake.reading(dataset), duckdb.connect() as con:
        return con.execute(sql).df()


def _f(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def edge_rows(lake: Any, family: str) -> list[dict[str, Any]]:
    """Latest stored edge snapshot rows of ``family``, normalized. The adapter over the current
    edge datasets (``btc_edge_snapshots``, ``billboard_edges``): one row per market with
    ``p_model``, ``p_market``, ``edge`` (best EV per contract after fees), ``side`` and the gate
    decision (``trade`` or ``skip`` with ``skip_reason``)."""
    out: list[dict[str, Any]] = []
    if family == "btc":
        df = _latest(lake, "btc_edge_snapshots", "as_of",
                     ("yes_bid", "yes_ask", "ev_yes_taker", "ev_no_taker", "ev_yes_maker", "ev_no_maker"))
        for r in (df.itertuples() if df is not None else []):
            evs = {k: getattr(r, k) for k in ("ev_yes_taker", "ev_no_taker", "ev_yes_maker", "ev_no_maker")
                   if getattr(r, k) is not None and _f(getattr(r, k)) is not None}
            best = max(evs.items(), key=lambda kv: Decimal(str(kv[1])), default=(None, None))
            bid, ask = _f(r.yes_bid), _f(r.yes_ask)
            out.append({
                "ticker": r.market_ticker, "source": "btc_edge_snapshots", "as_of": str(r.as_of),
                "p_model": _f(r.p_yes), "p_market": (bid + ask) / 2 if bid is not None and ask is not None else None,
                "edge": str(best[1]) if best[1] is not None else None,
                "side": best[0].split("_")[1] if best[0] else "", "decision": "trade" if bool(r.selected) else "skip",
                "skip_reason": "" if bool(r.selected) else _skip_reason(r.skip_reason), "strategy": str(r.model_version),
            })
    if family == "billboard":
        df = _latest(lake, "billboard_edges", "chart_date", ("yes_ask", "no_ask", "edge_yes", "edge_no"))
        for r in (df.itertuples() if df is not None else []):
            ya, na = _f(r.yes_ask), _f(r.no_ask)
            edges = [Decimal(str(e)) for e in (r.edge_yes, r.edge_no) if _f(e) is not None]
            out.append({
                "ticker": r.market_ticker, "source": "billboard_edges", "as_of": str(r.chart_date),
                "p_model": _f(r.p_model), "p_market": (ya + 1 - na) / 2 if ya is not None and na is not None else ya,
                "edge": str(max(edges)) if edges else None, "side": "" if r.side == "none" else str(r.side),
                "decision": "trade" if bool(r.tradable) else "skip",
                "skip_reason": "" if bool(r.tradable) else _skip_reason(r.reason), "strategy": "billboard_weekly",
            })
    return out


def intent_rows(ledger: OrderLedger, family: str, marks: dict[str, tuple[Decimal, str]]) -> list[dict[str, Any]]:
    """The latest decision per market that became an order (from the ledger's intents)."""
    latest: dict[str, Any] = {}
    for r in ledger.orders.values():
        if r.family == family and r.action == "buy":
            if r.ticker not in latest or r.decided_at >= latest[r.ticker].decided_at:
                latest[r.ticker] = r
    out = []
    for t, r in sorted(latest.items()):
        # Market P: the YES-equivalent price paid, unless the intent recorded the mid (see below);
        # the latest mark, when the lake has one, is shown beside it.
        yes_price = r.price if r.side == "yes" else 1 - r.price
        out.append({
            "ticker": t, "source": "ledger", "as_of": r.decided_at, "p_model": r.p_yes,
            "p_market": float(yes_price), "p_market_now": float(marks[t][0]) if t in marks else None,
            "edge": None, "side": r.side, "decision": "trade", "skip_reason": "", "strategy": r.strategy,
            "order_state": r.state,
        })
    return out


def _intent_fields(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """client_order_id → the intent event's decision fields the ledger index does not keep."""
    return {str(e["client_order_id"]): {"edge": e.get("edge_per_contract"), "market_p": e.get("market_p")}
            for e in events if e.get("event") == "intent"}


# ----------------------------------------------------------------------------- models
def _numbers(d: Any, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_numbers(v, f"{prefix}{k}."))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[prefix.rstrip(".")] = float(d)
    return out


def model_health(models_dir: Path, family: str) -> list[dict[str, Any]]:
    """Latest artifact metadata per model of ``family``: when it was (re)trained and its
    walk-forward score next to the baseline's. Artifacts of the artifact store
    (:mod:`kalshi_edge.modeling.artifacts`) first, with their ``score`` / ``baseline`` on the same
    rows; then older ``*latest*.json`` sidecars (keys with ``baseline`` in their path)."""
    d = Path(models_dir) / family
    if not d.exists():
        return []
    out: list[dict[str, Any]] = []
    try:
        from kalshi_edge.modeling.artifacts import ArtifactStore

        for meta in ArtifactStore(models_dir).list(family):
            mp = d / f"{meta.name}.meta.json"
            out.append({
                "artifact": f"{family}/{meta.name} @ {meta.version}", "trained_as_of": meta.as_of,
                "written_at": meta.created_at or (datetime.fromtimestamp(mp.stat().st_mtime, UTC).isoformat(
                    timespec="seconds") if mp.exists() else ""),
                "training_window": list(meta.training_window),
                "scores": _numbers(meta.score), "baseline": _numbers(meta.baseline),
            })
    except ImportError:  # pragma: no cover - the store arrives with issue #11
        pass
    files = [f for f in sorted(d.rglob("*latest*.json")) if not f.name.endswith(".meta.json")
             and "versions" not in f.parts]
    for f in files:
        try:
            meta = json.loads(f.read_text())
        except (OSError, ValueError):
            out.append({"artifact": str(f.relative_to(models_dir)), "error": "unreadable JSON"})
            continue
        meta = meta.get("meta", meta) if isinstance(meta, dict) else {}
        nums = _numbers({k: v for k, v in meta.items() if k not in ("config", "params", "trials", "calibration")})
        base = {k: v for k, v in nums.items() if "baseline" in k}
        score = {k: v for k, v in nums.items() if "baseline" not in k and any(
            w in k for w in ("log_loss", "brier", "rps", "crps", "score", "skill", "ratio"))}
        out.append({
            "artifact": str(f.relative_to(models_dir)),
            "trained_as_of": str(meta.get("as_of") or meta.get("chart_date") or ""),
            "written_at": datetime.fromtimestamp(f.stat().st_mtime, UTC).isoformat(timespec="seconds"),
            "scores": dict(list(score.items())[:6]), "baseline": dict(list(base.items())[:6]),
        })
    return out


# ----------------------------------------------------------------------------- the summary
def build_summary(settings: Any, *, now: datetime | None = None, ledger_path: Path | None = None,
                  families: Iterable[str] = FAMILIES, with_readiness: bool = True) -> dict[str, Any]:
    """The whole dashboard as JSON-safe data (see the module docstring)."""
    from kalshi_edge.lake import Lake
    from kalshi_edge.ops.freshness import lake_freshness
    from kalshi_edge.ops.readiness import FAMILY_SERIES, evaluate_readiness

    now = now or datetime.now(UTC)
    lake = Lake.from_settings(settings)
    path = ledger_path or default_ledger(settings)
    led, events = read_ledger(path) if path is not None and path.exists() else (OrderLedger(None), [])
    marks = latest_marks(lake)
    fresh = {f.dataset: f.as_dict() for f in lake_freshness(lake, now=now, stale_hours=settings.alert_stale_hours)}
    fams = list(families)
    readiness = evaluate_readiness(settings, families=[f for f in fams if f in FAMILY_SERIES] if with_readiness
                                   else [], as_of=now, lake=lake)
    intent_fields = _intent_fields(events)
    out: dict[str, Any] = {
        "generated_at": now.isoformat(timespec="seconds"),
        "ledger": path.name if path is not None else None,
        "ledgers": [p.name for p in ledger_files(settings)],
        "trade_mode": str(settings.trade_mode),
        "families": {},
    }
    for fam in fams:
        intents = intent_rows(led, fam, marks)
        latest_coid = {}
        for r in led.orders.values():
            if r.family == fam and r.action == "buy":
                if r.ticker not in latest_coid or r.decided_at >= led.orders[latest_coid[r.ticker]].decided_at:
                    latest_coid[r.ticker] = r.client_order_id
        for row in intents:
            extra = intent_fields.get(latest_coid.get(row["ticker"], ""), {})
            row["edge"] = str(extra["edge"]) if extra.get("edge") is not None else None
            if extra.get("market_p") is not None:  # the mid at decision time (recorded since #11)
                row["p_market"] = float(extra["market_p"])
        predictions = edge_rows(lake, fam)
        seen = {p["ticker"] for p in predictions}
        predictions += [r for r in intents if r["ticker"] not in seen]
        positions = []
        realized = fees = unreal = ZERO
        unmarked = 0
        for t, p in sorted(led.positions.items()):
            if p.family != fam:
                continue
            realized += p.realized
            fees += p.fees
            if p.position == 0:
                continue
            mark = marks.get(t)
            value = mark_value(p.position, mark[0]) if mark else None
            u = value - p.cost if value is not None else None
            if u is not None:
                unreal += u
            else:
                unmarked += 1
            positions.append({
                "ticker": t, "position": _s(p.position), "side": "yes" if p.position > 0 else "no",
                "avg_price": _s((p.cost / abs(p.position)).quantize(Decimal("0.0001"))), "cost": _s(p.cost),
                "mark_yes": _s(mark[0]) if mark else None, "marked_at": mark[1] if mark else None,
                "value": _s(value), "unrealized": _s(u), "fees": _s(p.fees), "realized": _s(p.realized),
            })
        open_orders = [{
            "client_order_id": r.client_order_id, "ticker": r.ticker, "side": r.side, "action": r.action,
            "price": _s(r.price), "count": _s(r.count), "filled": _s(r.filled), "state": r.state,
            "decided_at": r.decided_at, "strategy": r.strategy,
        } for r in led.open_orders() if r.family == fam]
        fam_events = []
        tickers = {r.ticker for r in led.orders.values() if r.family == fam}
        for ev in reversed(events):
            rec = led.orders.get(ev.get("client_order_id", ""))
            if (rec is not None and rec.family == fam) or ev.get("ticker") in tickers or (
                    ev.get("event") == "readiness_override" and fam in (ev.get("families") or [])):
                shown = {k: ev.get(k) for k in ("seq", "at", "event", "client_order_id", "ticker", "side",
                                                "price", "count", "fee", "reason", "result") if k in ev}
                if rec is not None:  # sent/acknowledged/fill events name their order, not the market
                    shown.setdefault("ticker", rec.ticker)
                fam_events.append(shown)
                if len(fam_events) >= LEDGER_EVENTS_SHOWN:
                    break
        series = FAMILY_SERIES.get(fam, ())
        names = [*FAMILY_DATASETS.get(fam, ()), *SHARED_DATASETS]
        freshness = [fresh[n] for n in names if n in fresh]
        out["families"][fam] = {
            "family": fam,
            "series": list(series),
            "predictions": predictions,
            "open_orders": open_orders,
            "positions": positions,
            "pnl": {"realized_gross": str(realized), "fees": str(fees), "realized_net": str(realized - fees),
                    "unrealized": str(unreal), "unmarked_positions": unmarked,
                    "total_net": str(realized - fees + unreal)},
            "equity_curve": equity_curve(events, fam),
            "ledger_events": fam_events,
            "freshness": freshness,
            "models": model_health(settings.models_dir, fam),
            "readiness": {"ready": readiness.ready(fam),
                          "criteria": [c for c in readiness.as_dict()["criteria"] if c["family"] == fam]},
        }
    return out
