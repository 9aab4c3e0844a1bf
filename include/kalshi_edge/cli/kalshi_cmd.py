"""CLI commands of the Kalshi client package: ``fees`` and ``markets list``."""

from __future__ import annotations

import json
from decimal import Decimal

import typer

from kalshi_edge.cli.common import UserError, out, print_table


def _fees(
    price: str = typer.Option(..., "--price", help="Price paid for the side bought, dollars (e.g. 0.25)"),
    count: str = typer.Option("1", "--count", help="Contracts in the order (2 decimals allowed)"),
    maker: bool = typer.Option(False, "--maker", help="Fee for a resting (maker) order"),
    fee_type: str = typer.Option("quadratic", "--fee-type", help="quadratic | quadratic_with_maker_fees | flat"),
    multiplier: str = typer.Option("1", "--multiplier", help="Series fee multiplier"),
    tick: str = typer.Option("0.01", "--tick", help="Round the order's fee up to this many dollars"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead of text"),
) -> None:
    """Print the Kalshi fee in dollars for one order (rounded up to the tick)."""
    from kalshi_edge.kalshi.fees import FeeSchedule, order_fee
    from kalshi_edge.kalshi.money import parse_count, parse_price, to_decimal

    sched = FeeSchedule.resolve(series_fee_type=fee_type, series_multiplier=multiplier)
    tick_d = to_decimal(tick, "--tick")
    if tick_d <= 0:
        raise UserError(f"--tick: {tick} must be positive")
    p = parse_price(price, "--price")
    c = parse_count(count, "--count")
    fee = order_fee(price=p, count=c, is_maker=maker, schedule=sched, tick=tick_d)
    if as_json:
        # one line, so scripts can pipe it (``| jq .fee_dollars``)
        out.print(
            json.dumps(
                {
                    "fee_dollars": str(fee),
                    "price": str(p),
                    "count": str(c),
                    "is_maker": maker,
                    "fee_type": sched.fee_type.value,
                    "multiplier": str(sched.multiplier),
                    "tick": str(tick_d),
                    "per_contract_dollars": str((fee / c).quantize(Decimal("0.000001"))) if c else "0",
                }
            ),
            highlight=False,
            soft_wrap=True,
        )
    else:
        role = "maker" if maker else "taker"
        out.print(f"{fee} dollars ({role}, {c} @ {p}, {sched.fee_type.value} ×{sched.multiplier}, tick {tick_d})")


def _markets_list(
    series: str | None = typer.Option(None, "--series", help="Series ticker, e.g. KXHIGHNY"),
    event: str | None = typer.Option(None, "--event", help="Event ticker"),
    status: str | None = typer.Option(None, "--status", help="unopened | open | paused | closed | settled"),
    base_url: str | None = typer.Option(None, "--base-url", help="REST base URL (default: settings)"),
    limit: int = typer.Option(200, "--limit", min=1, help="Maximum markets to list"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table"),
) -> None:
    """List markets from the configured Kalshi host (or --base-url)."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.kalshi.rest import KalshiRestClient

    allowed = {"unopened", "open", "paused", "closed", "settled"}
    if status is not None and status not in allowed:
        raise UserError(f"--status: {status!r} is not one of {sorted(allowed)}")
    settings = get_settings()
    client = KalshiRestClient.from_settings(settings, base_url=base_url, max_retries=2)
    try:
        markets = []
        for m in client.iter_markets(series_ticker=series, event_ticker=event, status=status):
            markets.append(m)
            if len(markets) >= limit:
                break
    finally:
        client.close()
    if as_json:
        for m in markets:
            out.print(json.dumps(m.to_summary()), soft_wrap=True, highlight=False)
        return
    def show(v: object) -> object:
        return "" if v is None else v  # a zero bid is a real quote: print it

    rows = [
        (m.ticker, m.status, show(m.strike_type), show(m.yes_sub_title), show(m.yes_bid), show(m.yes_ask),
         show(m.volume))
        for m in markets
    ]
    print_table(
        f"{len(markets)} markets at {client.base_url}",
        ["ticker", "status", "strike", "yes means", "yes bid", "yes ask", "volume"],
        rows,
    )


def _markets_watch(
    tickers: str = typer.Option(..., "--tickers", help="Comma-separated market tickers"),
    seconds: float = typer.Option(30.0, "--seconds", min=0.1, help="How long to record"),
    journal: str | None = typer.Option(None, "--journal", help="JSONL journal path (default data/journals/)"),
    ws_url: str | None = typer.Option(None, "--ws-url", help="WebSocket URL (default: settings)"),
) -> None:
    """Stream order books over the WebSocket for a while, journalling every frame; print the tops."""
    import asyncio
    from datetime import UTC, datetime
    from pathlib import Path

    from kalshi_edge.config import get_settings
    from kalshi_edge.kalshi.journal import Journal
    from kalshi_edge.kalshi.ws import KalshiWsClient

    names = [t.strip() for t in tickers.split(",") if t.strip()]
    if not names:
        raise UserError("--tickers: give at least one market ticker")
    settings = get_settings()
    path = Path(journal) if journal else settings.data_dir / "journals" / f"watch_{datetime.now(UTC):%Y%m%dT%H%M%S}.jsonl"

    async def session() -> KalshiWsClient:
        with Journal(path) as j:
            ws = KalshiWsClient.from_settings(settings, url=ws_url, journal=j)
            task = asyncio.create_task(ws.run(max_reconnects=5))
            await ws.subscribe(["orderbook_delta"], names)
            await asyncio.sleep(seconds)
            books = {t: b.copy() for t, b in ws.books.items()}
            await ws.stop()
            await asyncio.wait_for(task, 10)
            ws.keeper.books.update(books)  # keep the last in-sync books for printing
            return ws

    ws = asyncio.run(session())
    rows = []
    for t in names:
        b = ws.books.get(t)
        rows.append((t, "" if b is None else b.best_yes_bid, "" if b is None else b.best_yes_ask,
                     "" if b is None else len(b.yes) + len(b.no)))
    print_table(f"{ws.frames} frames, {ws.keeper.gaps_detected} seq gaps healed; journal {path}",
                ["ticker", "yes bid", "yes ask", "levels"], rows)


def register(app: typer.Typer) -> None:
    """Add ``fees``, ``markets list`` and ``markets watch`` to the root app."""
    app.command("fees")(_fees)
    grp = typer.Typer(help="Kalshi markets on the configured host.", no_args_is_help=True)
    grp.command("list")(_markets_list)
    grp.command("watch")(_markets_watch)
    app.add_typer(grp, name="markets")
