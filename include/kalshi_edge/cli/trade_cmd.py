"""`kalshi-edge trade`: run the trading loop (paper by default) with a live status line."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer

from kalshi_edge.cli.common import UserError, console, out, print_table

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smh]?)$")


def parse_duration(text: str) -> float:
    """'10m' → 600.0 seconds ('90', '90s', '1.5h' also accepted)."""
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise UserError(f"--duration: {text!r} is not a duration like 30s, 10m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _fills_text(fill_status: dict) -> str:
    """'ws, 0 REST fill polls' — where fills come from and how often REST was polled for them."""
    return f"{fill_status['fill_source']}, {fill_status['fill_polls']} REST fill polls"


def _status_table(summary: dict, mode: str, kind: str, fill_status: dict | None = None):  # -> rich Table
    from rich.table import Table

    t = Table(title=f"kalshi-edge trade — {mode} ({kind})", show_header=False)
    t.add_column("k")
    t.add_column("v")
    t.add_row("steps / orders / fills", f"{summary['steps']} / {summary['orders_sent']} / {summary['fills']}")
    pos = summary["positions"]
    t.add_row("positions", ", ".join(f"{k} {v}" for k, v in list(pos.items())[:6]) + (" …" if len(pos) > 6 else ""))
    t.add_row("PnL (realized, net) / fees", f"{summary['realized_pnl_net']} / {summary['fees']}")
    t.add_row("last signal", summary["last_signal"] or "—")
    t.add_row("unknown / reconciles", f"{summary['unknown']} / {summary['reconciles']}")
    if fill_status is not None:
        t.add_row("fill source", _fills_text(fill_status))
    if summary["errors"]:
        t.add_row("last error", summary["errors"][-1][:100])
    return t


def register(app: typer.Typer) -> None:
    """Add ``trade`` to the root app."""

    @app.command("trade")
    def trade(
        paper: Annotated[bool, typer.Option("--paper", help="Paper trading (the default)")] = False,
        live: Annotated[bool, typer.Option("--live", help="Live trading (also needs TRADE_MODE=live)")] = False,
        family: Annotated[str, typer.Option("--family", help="btc | weather | billboard | all")] = "all",
        duration: Annotated[str, typer.Option("--duration", help="How long to run, e.g. 10m")] = "10m",
        once: Annotated[bool, typer.Option("--once", help="One decision cycle, then exit")] = False,
        base_url: Annotated[str | None, typer.Option("--base-url", help="A Kalshi-compatible host (http://127.0.0.1:8765) or its API root (…/trade-api/v2); REST and WebSocket roots are derived")] = None,
        interval: Annotated[float, typer.Option("--interval", help="Seconds between decision cycles")] = 5.0,
        ledger: Annotated[Path | None, typer.Option("--ledger", help="Order ledger file (JSONL)")] = None,
        market_data: Annotated[str, typer.Option("--market-data", help="rest (polling) | ws (streamed order books)")] = "rest",
        fills: Annotated[str | None, typer.Option("--fills", help="ws (the WebSocket fill channel; REST polling after a drop or if it cannot connect) | rest (poll GET /portfolio/fills each cycle); default: ws with --market-data ws, else rest")] = None,
        strategy: Annotated[list[str] | None, typer.Option("--strategy", help="Trade with these strategies only (repeatable; default: each family's own)")] = None,
        keep_orders: Annotated[bool, typer.Option("--keep-orders", help="Do not cancel resting orders on exit")] = False,
        reset_kill_switch: Annotated[bool, typer.Option("--reset-kill-switch", help="Clear a tripped kill switch and exit")] = False,
        adopt_exchange_state: Annotated[bool, typer.Option("--adopt-exchange-state", help="When the exchange does not know orders or positions the ledger has, take the exchange's state (recorded in the ledger) instead of stopping")] = False,
        override_readiness: Annotated[str | None, typer.Option("--override-readiness", metavar="REASON", help="Trade live although the readiness gate fails (the reason is recorded in the ledger)")] = None,
    ) -> None:
        """Trade the configured families: strategies → gates → risk → ledger → broker."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.trading.brokers import LiveNotAllowed
        from kalshi_edge.trading.risk import KillSwitch
        from kalshi_edge.trading.runner import SessionError, open_session, parse_families
        from kalshi_edge.trading.strategy import StrategyImportError, list_strategies

        settings = get_settings()
        if reset_kill_switch:
            ks = KillSwitch.from_settings(settings)
            info = ks.info()
            if ks.reset():
                out.print(f"kill switch reset (was: {info.get('reason', '?')} at {info.get('tripped_at', '?')})")
            else:
                out.print("kill switch was not tripped")
            return
        if paper and live:
            raise UserError("--paper and --live are exclusive")
        if override_readiness is not None and not live:
            console.print("note: --override-readiness only matters with --live (paper trading is never gated)")
        try:
            list_strategies()  # every registered strategy module must import, before anything opens
        except StrategyImportError as exc:
            raise UserError(str(exc)) from None
        try:
            fams = parse_families(family)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        seconds = parse_duration(duration)
        if interval <= 0:
            raise UserError("--interval must be positive")
        if market_data not in ("rest", "ws"):
            raise UserError(f"--market-data: {market_data!r} is not rest or ws")
        fills = fills if fills is not None else market_data
        if fills not in ("rest", "ws"):
            raise UserError(f"--fills: {fills!r} is not ws or rest")
        try:
            from kalshi_edge.trading.runner import strategies_for

            chosen = strategies_for(fams, names=strategy, settings=settings) if strategy else None
            handle = open_session(settings, mode="live" if live else "paper", live_flag=live, families=fams,
                                  base_url=base_url, ledger_path=ledger, cancel_on_shutdown=not keep_orders,
                                  market_data=market_data, fills=fills, strategies=chosen,
                                  adopt_exchange_state=adopt_exchange_state,
                                  override_readiness=override_readiness)
        except (LiveNotAllowed, SessionError) as exc:
            raise UserError(str(exc)) from None
        sess = handle.session
        for warning in handle.warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
        console.print(f"trading {','.join(fams)} — {handle.mode} via {handle.broker_kind} at {handle.base_url}; "
                      f"fills via {handle.fills}; ledger {handle.ledger_path}")
        from kalshi_edge.trading.session import SessionHalted

        cancelled = 0
        halted = ""
        try:
            if once:
                sess.step()
            else:
                from rich.live import Live

                deadline = time.monotonic() + seconds
                table = _status_table(sess.summary(), handle.mode, handle.broker_kind, handle.fill_status())
                with Live(table, console=console, refresh_per_second=2, transient=False) as view:
                    while time.monotonic() < deadline:
                        sess.step()
                        view.update(_status_table(sess.summary(), handle.mode, handle.broker_kind, handle.fill_status()))
                        time.sleep(min(interval, max(deadline - time.monotonic(), 0)))
        except KeyboardInterrupt:
            console.print("interrupted; shutting down")
        except SessionHalted as exc:
            halted = str(exc)
        finally:
            cancelled = sess.shutdown()
            summary = sess.summary()
            fill_polls = handle.fill_status()["fill_polls"]
            handle.close()
        if halted:
            raise UserError(f"trade stopped: {halted}")
        print_table("session", ["metric", "value"],
                    [("orders sent", summary["orders_sent"]), ("fills", summary["fills"]),
                     ("unknown outcomes", summary["unknown"]), ("resting cancelled on exit", cancelled),
                     ("positions", len(summary["positions"])), ("realized PnL net", summary["realized_pnl_net"]),
                     ("denied", summary["denied"]), ("last signal", summary["last_signal"]),
                     ("fill source", handle.fills), ("REST fill polls", fill_polls)])
        failing = summary.get("strategy_errors") or {}
        if failing:  # a model that could not price its markets is a failed session, not a quiet one
            from kalshi_edge.trading.session import strategy_failure_message

            console.print(f"[red]error:[/red] {strategy_failure_message(failing, 'step of this session')}",
                          soft_wrap=True)
            raise typer.Exit(1)
