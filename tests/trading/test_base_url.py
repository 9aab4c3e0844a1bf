"""`--base-url`: a host or a full API root gives the same REST and WebSocket roots; a 4xx that
repeats on the reconcile/read path stops the session with a one-line error naming the request."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kalshi_edge.kalshi.errors import PermanentError
from kalshi_edge.trading.runner import api_roots


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://127.0.0.1:8765/",
                                 "http://127.0.0.1:8765/trade-api/v2", "http://127.0.0.1:8765/trade-api/ws/v2/"])
def test_host_or_api_root_derive_the_same_roots(url):
    assert api_roots(url) == ("http://127.0.0.1:8765/trade-api/v2", "ws://127.0.0.1:8765/trade-api/ws/v2")


def test_https_and_a_path_prefix_are_kept():
    assert api_roots("https://api.elections.kalshi.com/trade-api/v2") == (
        "https://api.elections.kalshi.com/trade-api/v2", "wss://api.elections.kalshi.com/trade-api/ws/v2")
    assert api_roots("http://h:1/proxy/trade-api/v2")[1] == "ws://h:1/proxy/trade-api/ws/v2"


@pytest.mark.parametrize("bad", ["127.0.0.1:8765", "http://h:1/some/other/path", "ftp://h"])
def test_other_urls_are_refused_naming_the_flag(bad):
    with pytest.raises(ValueError, match="--base-url"):
        api_roots(bad)


def test_repeated_4xx_on_the_read_path_halts_the_session_naming_the_request():
    from kalshi_edge.backtest.broker import MemoryKillSwitch
    from kalshi_edge.trading.brokers import PaperBroker
    from kalshi_edge.trading.intents import GateConfig
    from kalshi_edge.trading.ledger import OrderLedger
    from kalshi_edge.trading.risk import RiskEngine, RiskLimits
    from kalshi_edge.trading.session import SessionHalted, TradingSession
    from tests.trading.conftest import NOW

    class NotFound(PaperBroker):
        def new_fills(self):
            raise PermanentError("GET /portfolio/fills: HTTP 404", status=404)

    sess = TradingSession(strategies=[], broker=NotFound(cash=Decimal("10")), ledger=OrderLedger(None),
                          risk=RiskEngine(RiskLimits(), MemoryKillSwitch()), gates=GateConfig(),
                          markets=lambda now: [], clock=lambda: NOW)
    assert "read failed" in sess.step()["skipped"]  # once may be a blip
    with pytest.raises(SessionHalted, match="GET /portfolio/fills: HTTP 404"):
        sess.step()


def test_a_5xx_never_halts():
    from kalshi_edge.backtest.broker import MemoryKillSwitch
    from kalshi_edge.kalshi.errors import TemporaryError
    from kalshi_edge.trading.brokers import PaperBroker
    from kalshi_edge.trading.intents import GateConfig
    from kalshi_edge.trading.ledger import OrderLedger
    from kalshi_edge.trading.risk import RiskEngine, RiskLimits
    from kalshi_edge.trading.session import TradingSession
    from tests.trading.conftest import NOW

    class Flaky(PaperBroker):
        def new_fills(self):
            raise TemporaryError("GET /portfolio/fills: HTTP 503", status=503)

    sess = TradingSession(strategies=[], broker=Flaky(), ledger=OrderLedger(None),
                          risk=RiskEngine(RiskLimits(), MemoryKillSwitch()), gates=GateConfig(),
                          markets=lambda now: [], clock=lambda: NOW)
    for _ in range(4):
        assert "read failed" in sess.step()["skipped"]
