"""Task-level entry points (what the ``kalshi_*`` DAGs and the demo call). Airflow-free.

Offline runs (``kalshi_env=local``) talk to the local simulator configured at
``settings.rest_base_url`` (or ``base_url``). This package never starts one: when it does not
answer, the task fails with a one-line error naming the URL. An in-process simulator is an
explicit option of the caller (:func:`kalshi_edge.demos.simulator.in_process_simulator`, DAG param
``in_process_simulator``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from kalshi_edge.kalshi.errors import KalshiError
from kalshi_edge.kalshi.ingest import snapshot_markets, snapshot_orderbooks
from kalshi_edge.kalshi.rest import KalshiRestClient

#: The series the three families trade (temperature, BTC above/below and ranges, Hot 100 #1).
DEFAULT_SERIES = ("KXHIGHNY", "KXBTCD", "KXBTC", "KXTOPSONG")


@contextlib.contextmanager
def kalshi_client(settings: Any, *, base_url: str | None = None, offline: bool | None = None,
                  **kw: Any) -> Iterator[KalshiRestClient]:
    """A REST client for the task: ``base_url``, else settings. Offline, the host must answer
    (``GET /exchange/status``): no simulator is started behind the caller's back."""
    if offline is None:
        offline = str(getattr(settings.kalshi_env, "value", settings.kalshi_env)) == "local"
    url = base_url or settings.rest_base_url
    client = KalshiRestClient.from_settings(settings, base_url=url, **kw)
    try:
        if offline and not base_url:
            try:
                client.request("GET", "/exchange/status", retry=False)
            except KalshiError as exc:
                raise KalshiError(f"no simulator answers at {url} ({exc}); start `kalshi-edge simulator` or run "
                                  "with param in_process_simulator=true") from None
        yield client
    finally:
        client.close()


def run_market_snapshots(
    settings: Any,
    *,
    as_of: datetime,
    series: Sequence[str] = DEFAULT_SERIES,
    base_url: str | None = None,
    offline: bool | None = None,
    max_books_per_series: int = 50,
    depth: int | None = None,
) -> dict[str, Any]:
    """Snapshot open markets and their order books for each series at logical time ``as_of``.

    Returns a small JSON-safe summary (for XCom). Idempotent: keys are (``as_of``, ticker).
    """
    from kalshi_edge.lake import Lake

    lake = Lake.from_settings(settings)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "series": {}}
    with kalshi_client(settings, base_url=base_url, offline=offline) as client:
        out["base_url"] = client.base_url
        for s in series:
            m = snapshot_markets(client, lake, s, as_of, status="open")
            tickers = [t for t in _open_tickers(client, s)][:max_books_per_series]
            b = snapshot_orderbooks(client, lake, tickers, as_of, depth=depth) if tickers else {"books": 0}
            out["series"][s] = {"markets": m["markets"], "books": b["books"],
                                "quarantined": m["rows_quarantined"] + b.get("rows_quarantined", 0)}
    return out


def market_snapshots(logical_date: datetime, params: dict[str, Any] | None = None,
                     settings: Any = None) -> dict[str, Any]:
    """DAG task ``kalshi_market_snapshots``: :func:`run_market_snapshots` as of ``logical_date`` with
    params ``series``, ``base_url``, ``max_books_per_series`` (``in_process_simulator`` is the DAG's
    own demo option: it starts the simulator and passes its URL as ``base_url``)."""
    from kalshi_edge.config import get_settings

    p = params or {}
    return run_market_snapshots(settings or get_settings(), as_of=logical_date,
                                series=tuple(p.get("series") or ("KXHIGHNY",)), base_url=p.get("base_url"),
                                max_books_per_series=int(p.get("max_books_per_series", 50)))


def _open_tickers(client: KalshiRestClient, series: str) -> list[str]:
    return [m.ticker for m in client.iter_markets(series_ticker=series, status="open")]


def run_journal_ingest(settings: Any, *, as_of: datetime, journal_dir: Any = None) -> dict[str, Any]:
    """Store every WebSocket journal under ``data/journals/`` (or ``journal_dir``) in the lake.

    Journals are append-only and rows are keyed on (session, frame number), so ingesting the
    same files again — a rerun, or the next day's run seeing a longer file — rewrites identical
    rows and adds only new frames. ``as_of`` is recorded in the summary for the run's log.
    """
    from pathlib import Path

    from kalshi_edge.kalshi.ingest import ingest_ws_journal
    from kalshi_edge.lake import Lake

    folder = Path(journal_dir) if journal_dir else settings.data_dir / "journals"
    lake = Lake.from_settings(settings)
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "folder": str(folder), "sessions": {}}
    for f in files:
        res = ingest_ws_journal(lake, f)
        out["sessions"][f.stem] = {"frames": res["frames"], "quarantined": res["rows_quarantined"]}
    return out


def journal_ingest(logical_date: datetime, params: dict[str, Any] | None = None,
                   settings: Any = None) -> dict[str, Any]:
    """DAG task ``kalshi_ws_journal_ingest``: :func:`run_journal_ingest` as of ``logical_date``
    (param ``journal_dir`` overrides ``data/journals/``)."""
    from kalshi_edge.config import get_settings

    return run_journal_ingest(settings or get_settings(), as_of=logical_date,
                              journal_dir=(params or {}).get("journal_dir"))
