"""A lake seeded by a real paper session against the local simulator (loopback), settled in part.

The session trades the book-only strategies on the simulator's built-in scenario (every family),
then the simulator settles half the held markets and the daily settlement job writes
``trading_pnl``; one market-snapshot run writes ``kalshi_markets`` (the marks). Nothing here is
invented: every number comes from the session, the exchange and the project's own jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}
BOOK_ONLY = ["ladder_consensus", "longshot_fade"]
PARAMS = {"longshot_fade": {"shrink": 0.3}}
AS_OF = datetime(2026, 7, 13, 15, 0, tzinfo=UTC)


@dataclass
class Seeded:
    settings: Any
    ledger_path: Path
    settled: dict[str, str]
    open_positions: dict[str, Decimal]  # exchange's view of what is still held
    exchange_marks: dict[str, Decimal]  # YES mid per open market, from the exchange's book
    exchange_cash_change: Decimal
    sim: Any


@pytest.fixture
def paper_lake(tmp_path, monkeypatch) -> Seeded:
    from kalshi_edge.config import get_settings
    from kalshi_edge.exchange.scenario import BUILTIN_CLOCK
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.kalshi.tasks import run_market_snapshots
    from kalshi_edge.trading.runner import open_session, strategies_for
    from kalshi_edge.trading.settlement import run_settlement

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "0.01")
    get_settings.cache_clear()
    s = get_settings()
    ledger_path = tmp_path / "data" / "ledger" / "orders_paper.jsonl"
    clk = ManualClock(BUILTIN_CLOCK)
    with run_simulator_in_thread(seed=2, clock=clk) as sim:
        h = open_session(s, base_url=sim.base_url, client_kwargs=FAST, ledger_path=ledger_path,
                         strategies=strategies_for([], PARAMS, names=BOOK_ONLY))
        for _ in range(4):
            h.session.step()
            clk.advance(10)
        h.session.shutdown()
        held = dict(h.session.ledger.net_positions())
        h.close()
        assert len(held) >= 2, held
        settle = sorted(held)[: len(held) // 2]
        results = {t: ("yes" if i == 0 else "no") for i, t in enumerate(settle)}
        for t, r in results.items():
            sim.settle(t, r)
        run_settlement(s, as_of=AS_OF, base_url=sim.base_url, ledger_path=ledger_path, client_kwargs=FAST)
        run_market_snapshots(s, as_of=AS_OF, base_url=sim.base_url, series=("KXHIGHNY", "KXBTCD", "KXBTC", "KXTOPSONG"),
                             max_books_per_series=1)
        acct = sim.exchange.account("default")
        open_pos = {t: p.position for t, p in acct.positions.items() if p.position != 0}
        from kalshi_edge.kalshi.rest import KalshiRestClient

        marks = {}

        with KalshiRestClient.from_settings(s, base_url=sim.base_url, **FAST) as c:
            for m in c.iter_markets(status="open"):
                if m.ticker in open_pos and m.yes_bid is not None and m.yes_ask is not None:
                    marks[m.ticker] = (m.yes_bid + m.yes_ask) / 2
        cash_change = acct.cash - sim.exchange.starting_cash
        yield Seeded(settings=s, ledger_path=ledger_path, settled=results, open_positions=open_pos,
                     exchange_marks=marks, exchange_cash_change=cash_change, sim=sim)
    get_settings.cache_clear()


# ----------------------------------------------------------------------------- alert sinks (loopback)
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_sink():
    """A JSON webhook receiver on 127.0.0.1 (a free port); yields (url, list of received bodies)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtp_sink():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields (host, port, list of received messages)."""
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    port = _free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield "127.0.0.1", port, received
    finally:
        ctl.stop()


@pytest.fixture
def alert_env(monkeypatch, http_sink, smtp_sink):
    """Both alert channels pointed at the loopback sinks; yields (webhook bodies, mails)."""
    from kalshi_edge.config import get_settings

    url, hooks = http_sink
    host, port, mails = smtp_sink
    monkeypatch.setenv("KALSHI_EDGE_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("KALSHI_EDGE_ALERT_SMTP_HOST", host)
    monkeypatch.setenv("KALSHI_EDGE_ALERT_SMTP_PORT", str(port))
    monkeypatch.setenv("KALSHI_EDGE_ALERT_EMAIL_TO", "ops@example.test")
    get_settings.cache_clear()
    yield hooks, mails
    get_settings.cache_clear()
