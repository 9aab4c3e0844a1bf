"""A registered strategy module that fails to import stops `trade` with exit 2 naming it."""

from __future__ import annotations

import pytest

from kalshi_edge.trading import strategy as S
from tests.trading.cli import cli_main


@pytest.fixture
def broken_module(monkeypatch):
    monkeypatch.setattr(S, "STRATEGY_MODULES", (*S.STRATEGY_MODULES, "kalshi_edge.families.nope.strategy"))
    monkeypatch.setattr(S, "_loaded", False)
    yield "kalshi_edge.families.nope.strategy"
    S._loaded = False


def test_list_strategies_raises_naming_the_module(broken_module):
    with pytest.raises(S.StrategyImportError, match=broken_module):
        S.list_strategies()


def test_trade_exits_2_naming_the_module(broken_module, capsys):
    assert cli_main()(["trade", "--paper", "--once", "--base-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr()
    assert broken_module in err.err + err.out
