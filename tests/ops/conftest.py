"""A lake seeded by a real paper session against the local simulator (loopback), settled in part.

The session trades the book-only strategies on the simulator's built-in scenario (every family),
then the simulator settles half the held markets and the daily settlement job writes
``trading_pnl``; one market-snapshot run writes ``kalshi_markets`` (the marks). Nothing here is
invented: every number comes from the session, the exchange and the project's own jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Seeded:
    settings: Any
    ledger_path: Path
    settled: dict[str, str]
    open_positions: dict[str, Decimal]  # exchange's view of what is still held
    exchange_marks: dict[str, Decimal]  # YES mid per open market, from the exchange's book
    exchange_cash_change: Decimal
    resting_orders: int  # at the exchange, after the session's shutdown


@pytest.fixture(scope="session")
def _seeded_once(tmp_path_factory):
    """Seed once per test process (the session takes ~2 s); each test gets its own copy."""
    from kalshi_edge.config import load_settings
    from kalshi_edge.dashboard.demo import seed_paper_lake

    base = tmp_path_factory.mktemp("paper-lake")
    s = load_settings(data_dir=base / "data", models_dir=base / "models", kalshi_env="local", min_edge_dollars="0.01")
    out = seed_paper_lake(s)
    assert len(out["open_positions"]) >= 1 and out["settled"], out
    return base / "data", out


@pytest.fixture
def paper_lake(_seeded_once, tmp_path, monkeypatch) -> Seeded:
    import shutil

    from kalshi_edge.config import get_settings

    template, out = _seeded_once
    data = tmp_path / "data"
    shutil.copytree(template, data)
    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(data))
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "0.01")
    get_settings.cache_clear()
    yield Seeded(settings=get_settings(), ledger_path=data / "ledger" / out["ledger_path"].name,
                 settled=out["settled"], open_positions=out["open_positions"], exchange_marks=out["marks"],
                 exchange_cash_change=out["cash_change"], resting_orders=out["resting_orders"])
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
