"""Built-in scenario, replay parsing, fault specs and the ``simulator`` CLI command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import typer
from typer.testing import CliRunner

from kalshi_edge.cli import simulator_cmd
from kalshi_edge.exchange.faults import ALL_RATES, FaultInjector, FaultSpec, FaultSpecError
from kalshi_edge.exchange.scenario import (
    ReplayFeed,
    Scenario,
    ScenarioError,
    builtin_scenario,
    default_sample_dir,
    parse_time,
    read_top_of_book,
)


def test_builtin_scenario_all_open_deterministic_and_labelled():
    sc = builtin_scenario(seed=1)
    assert sc.to_dict() == builtin_scenario(seed=1).to_dict()
    series = {m["event_ticker"].split("-")[0] for m in sc.markets}
    assert series == {"KXHIGHNY", "KXBTCD", "KXBTC", "KXTOPSONG"}
    for m in sc.markets:
        assert parse_time(m["open_time"], "o") <= sc.clock_start < parse_time(m["close_time"], "c"), m["ticker"]
        book = sc.books[m["ticker"]]
        if book["yes_dollars"] and book["no_dollars"]:
            assert D(book["yes_dollars"][-1][0]) + D(book["no_dollars"][-1][0]) < 1, m["ticker"]
    recorded = {m["ticker"] for m in sc.markets if not m.get("generated")}
    assert recorded == {"KXHIGHNY-26JUL12-T82", "KXHIGHNY-26JUL12-B88.5", "KXHIGHNY-26JUL12-T89"}
    assert sc.notes["generated"] and all(s.get("generated") for s in sc.series)
    # the recorded top of book is kept exactly
    t82 = sc.books["KXHIGHNY-26JUL12-T82"]
    assert t82["yes_dollars"][-1] == ["0.1600", "12.00"] and t82["no_dollars"][-1] == ["0.8100", "11.00"]


def test_builtin_btc_range_ladder_tiles_without_gaps():
    sc = builtin_scenario()
    rng = sorted((m for m in sc.markets if m["event_ticker"].startswith("KXBTC-")),
                 key=lambda m: m.get("floor_strike") or 0)
    assert rng[0]["strike_type"] == "less" and rng[-1]["strike_type"] == "greater"
    edge = D(str(rng[0]["cap_strike"]))
    for m in rng[1:-1]:
        assert m["strike_type"] == "between"
        assert D(str(m["floor_strike"])) == edge
        edge = D(str(m["cap_strike"])) + D("0.01")
    assert D(str(rng[-1]["floor_strike"])) + D("0.01") == edge


def test_builtin_clock_outside_recorded_window_fails_closed():
    with pytest.raises(ScenarioError, match="not open"):
        builtin_scenario(clock=datetime(2026, 7, 20, tzinfo=UTC))


def test_scenario_roundtrip_and_bare_markets_file(tmp_path):
    sc = builtin_scenario()
    p = tmp_path / "s.json"
    sc.save(p)
    back = Scenario.load(p)
    assert back.to_dict() == sc.to_dict()
    bare = tmp_path / "markets.json"
    bare.write_text((default_sample_dir() / "kxhighny_open_trimmed.json").read_text())
    sc2 = Scenario.load(bare)
    assert len(sc2.markets) == 3 and sc2.events[0]["event_ticker"] == "KXHIGHNY-26JUL12"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"markets": [{"ticker": "X"}]}))
    with pytest.raises(ScenarioError, match=r"markets\[0\] has no 'event_ticker'"):
        Scenario.load(bad)


def test_top_of_book_reader_converts_pacific_time_and_cents(tmp_path):
    ups = read_top_of_book(default_sample_dir() / "top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz")
    assert len(ups) == 4000
    first = ups[0]
    # 2025-12-04T12:27:16 Pacific = 20:27:16 UTC; first row T37: yes bid 1¢, no bid 96¢
    assert first.ts.replace(microsecond=0) == datetime(2025, 12, 4, 20, 27, 16, tzinfo=UTC)
    t37 = next(u for u in ups if u.ticker == "KXHIGHNY-25DEC05-T37")
    assert (t37.yes_bid, t37.no_bid) == (D("0.01"), D("0.96"))
    bad = tmp_path / "b.csv"
    bad.write_text("timestamp,market_ticker,best_yes_bid,best_no_bid\n2025-12-04T12:00:00,X,abc,3\n")
    with pytest.raises(ScenarioError, match="row 1 field best_yes_bid: 'abc'"):  # data rows from 1
        read_top_of_book(bad)
    feed = ReplayFeed(ups)
    assert list(feed.due(first.ts))[0] == first


def test_fault_spec_parsing():
    assert FaultSpec.parse(None).enabled is False
    assert FaultSpec.parse("all").rates == ALL_RATES
    spec = FaultSpec.parse("429:0.1,5xx:0.05,slow:0.05,lost:0.05,ws_drop:0.01,seq_gap:0.02")
    assert spec.rate("seq_gap") == 0.02 and spec.rate("429") == 0.1
    with pytest.raises(FaultSpecError, match="unknown kind"):
        FaultSpec.parse("boom:0.1")
    with pytest.raises(FaultSpecError, match="within 0..1"):
        FaultSpec.parse("429:2")


def test_fault_injector_is_seeded_and_bursts_429():
    def draws(seed):
        inj = FaultInjector(FaultSpec.parse("429:0.2,5xx:0.1"), seed=seed)
        return [inj.before_request() for _ in range(200)]

    assert draws(3) == draws(3)
    seq = draws(3)
    first = seq.index(("429", 429))
    assert seq[first + 1] == ("429", 429)  # a burst follows the first refusal
    assert any(s is not None and s[0] == "5xx" for s in seq)


@pytest.fixture
def cli():
    app = typer.Typer()
    simulator_cmd.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer in multi-command mode, as in the real app
        pass

    return app


def test_cli_dump_scenario_and_errors(cli, tmp_path):
    runner = CliRunner()
    out = tmp_path / "sc.json"
    res = runner.invoke(cli, ["simulator", "--dump-scenario", str(out), "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(out.read_text())["markets"]) == 45
    res = runner.invoke(cli, ["simulator", "--faults", "nope:1"])
    assert res.exit_code != 0 and "unknown kind" in str(res.exception)
    res = runner.invoke(cli, ["simulator", "--auth", "verify"])
    assert "needs --keys" in str(res.exception)
    res = runner.invoke(cli, ["simulator", "--markets", str(tmp_path / "missing.json")])
    assert "no such file" in str(res.exception)
    res = runner.invoke(cli, ["simulator", "--clock", "2026-07-20T00:00:00Z", "--dump-scenario", str(out)])
    assert "not open" in str(res.exception)


def test_cli_through_main_entry_point(tmp_path):
    from kalshi_edge.cli.main import main

    out = tmp_path / "replay.json"
    sample = default_sample_dir() / "top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz"
    assert main(["simulator", "--replay", str(sample), "--dump-scenario", str(out)]) == 0
    markets = json.loads(out.read_text())["markets"]
    assert {m["ticker"] for m in markets} == {f"KXHIGHNY-25DEC05-{s}" for s in
                                              ("T30", "B30.5", "B32.5", "B34.5", "B36.5", "T37")}
    assert main(["simulator", "--faults", "429:abc"]) == 2
    assert main(["simulator", "--speed", "0"]) == 2
