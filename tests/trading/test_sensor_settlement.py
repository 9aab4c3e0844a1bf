"""Sensor trigger, sensor-driven placement and daily settlement against the local simulator."""

from __future__ import annotations

import asyncio
import json
import os
from decimal import Decimal

import pytest

from kalshi_edge.config import load_settings
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.runner import open_session, place_intents, scan_intents
from kalshi_edge.trading.settlement import run_settlement

FAST = {"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False}
PARAMS = {"longshot_fade": {"shrink": 0.3}}
BOOK_ONLY = ["ladder_consensus", "longshot_fade"]  # independent of which families have plugged in


def settings_for(tmp_path, **kw):
    return load_settings(data_dir=tmp_path, kalshi_env="local", min_edge_dollars="0.01", **kw)


def test_scan_is_read_only_and_placement_is_idempotent(tmp_path, sim):
    s = settings_for(tmp_path)
    intents = scan_intents(s, base_url=sim.base_url, strategy_params=PARAMS, client_kwargs=FAST,
                           strategy_names=BOOK_ONLY)
    assert intents and all(i["client_order_id"].startswith("ke-") for i in intents)
    assert not sim.exchange.orders and not (tmp_path / "ledger").exists()  # the scan placed nothing
    ledger = tmp_path / "l.jsonl"
    first = place_intents(s, intents, base_url=sim.base_url, ledger_path=ledger, client_kwargs=FAST)
    n_orders = len(sim.exchange.orders)
    assert first["placed"] and n_orders == len(first["placed"])
    # The task is retried with the same XCom: what was sent is never sent again (intents the
    # first attempt's order-rate limit denied may go out now, each once).
    again = place_intents(s, intents, base_url=sim.base_url, ledger_path=ledger, client_kwargs=FAST)
    assert not set(again["placed"]) & set(first["placed"])
    assert again["denied"].get("duplicate_decision", 0) >= len(first["placed"])
    sent = [i for i in intents if i["client_order_id"] in set(first["placed"])]
    third = place_intents(s, sent, base_url=sim.base_url, ledger_path=ledger, client_kwargs=FAST)
    assert third["placed"] == []
    coids = [r.state.order.client_order_id for r in sim.exchange.orders.values()]
    assert len(coids) == len(set(coids)) == len(first["placed"]) + len(again["placed"])


@pytest.mark.airflow
@pytest.mark.slow
def test_trigger_fires_with_intents_and_serializes(tmp_path, sim, monkeypatch):
    from kalshi_edge.trading.sensor import EdgeSensor, EdgeTrigger

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "0.01")
    from kalshi_edge.config import get_settings

    get_settings.cache_clear()
    trig = EdgeTrigger(families=["btc", "billboard"], base_url=sim.base_url, strategy_params=PARAMS,
                       poll_seconds=0.01, timeout_seconds=5, strategies=BOOK_ONLY)
    path, kwargs = trig.serialize()
    assert path == "kalshi_edge.trading.sensor.EdgeTrigger"
    json.dumps(kwargs)  # triggers are stored as JSON by the triggerer

    async def first_event():
        async for ev in EdgeTrigger(**kwargs).run():
            return ev.payload

    payload = asyncio.run(first_event())
    assert payload["status"] == "fired" and payload["intents"]
    assert {i["family"] for i in payload["intents"]} <= {"btc", "billboard"}
    assert not sim.exchange.orders  # a trigger has no side effects
    sensor = EdgeSensor(task_id="t", families=["btc"], base_url=sim.base_url, strategy_params=PARAMS)
    assert sensor.execute_complete({}, payload) == payload["intents"]
    # nothing passed the gates: a success with no intents (place_orders still checks the exits)
    assert sensor.execute_complete({}, {"status": "timeout", "intents": []}) == []
    get_settings.cache_clear()


def test_settlement_closes_positions_and_scores(tmp_path, sim):
    s = settings_for(tmp_path)
    from kalshi_edge.trading.runner import strategies_for

    h = open_session(s, base_url=sim.base_url, client_kwargs=FAST,
                     strategies=strategies_for([], PARAMS, names=BOOK_ONLY))
    for _ in range(4):
        h.session.step()
        sim.test_clock.advance(10)
    h.session.shutdown()
    led: OrderLedger = h.session.ledger
    held = dict(led.net_positions())
    h.close()
    assert held
    # Settle every traded market at the exchange: YES for the first, NO for the rest.
    results = {t: ("yes" if i == 0 else "no") for i, t in enumerate(sorted(held))}
    for t, r in results.items():
        sim.settle(t, r)
    from datetime import UTC, datetime

    as_of = datetime(2026, 7, 13, 15, 0, tzinfo=UTC)
    out = run_settlement(s, as_of=as_of, base_url=sim.base_url, ledger_path=h.ledger_path, client_kwargs=FAST)
    assert sorted(out["newly_settled"]) == sorted(held)
    led2 = OrderLedger(h.ledger_path)
    assert led2.net_positions() == {}
    # Realized PnL net of fees equals the exchange account's: cash now vs. starting cash.
    acct = sim.exchange.account("default")
    ledger_pnl = led2.realized_pnl()
    assert Decimal(out["pnl_net_total"]) == ledger_pnl
    assert acct.cash - sim.exchange.starting_cash == ledger_pnl
    fam_total = sum(Decimal(v) for v in out["pnl_net_by_family"].values())
    assert fam_total == ledger_pnl
    assert out["scored_orders"] >= len(held) and out["brier_by_family"]
    assert (tmp_path / "reports/trading/settlement_2026-07-13.json").exists()
    # Rerun: nothing newly settled, same totals.
    again = run_settlement(s, as_of=as_of, base_url=sim.base_url, ledger_path=h.ledger_path, client_kwargs=FAST)
    assert again["newly_settled"] == [] and again["pnl_net_total"] == out["pnl_net_total"]
    from kalshi_edge.lake import Lake
    from kalshi_edge.trading.datasets import TRADING_PNL

    df = Lake.from_settings(s).read(TRADING_PNL)
    assert sorted(df["ticker"]) == sorted(held)
    led2.close()


@pytest.mark.airflow
@pytest.mark.slow
def test_trading_dags_load_with_required_shape(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    mine = {k: v for k, v in bag.import_errors.items() if "trading_" in str(k)}
    assert not mine, mine
    for dag_id, sched in (("trading_sensor", "*/5 * * * *"), ("trading_settlement", "0 15 * * *")):
        dag = bag.dags[dag_id]
        assert "trading" in set(dag.tags)
        assert dag.max_active_runs == 1
        assert dag.start_date.tzinfo is not None
        assert dag.doc_md
        assert all(t.retries >= 2 for t in dag.tasks)
        assert str(dag.schedule) == sched
    sensor = bag.dags["trading_sensor"].get_task("watch_edges")
    assert type(sensor).__module__ == "kalshi_edge.trading.sensor" and sensor.deferrable


@pytest.mark.airflow
def test_dag_params_reach_the_sensor():
    # The trading_sensor DAG passes its params as templated fields; rendered values are resolved here.
    from kalshi_edge.trading.sensor import EdgeSensor

    sensor = EdgeSensor(task_id="t", families="{{ params.families }}", base_url="{{ params.base_url }}")
    assert set(EdgeSensor.template_fields) >= {"families", "base_url"}
    sensor.families, sensor.base_url = "btc", "http://127.0.0.1:9"  # what Airflow renders from the params
    assert sensor._resolved() == (["btc"], "http://127.0.0.1:9")
    sensor.families, sensor.base_url = "all", "None"  # base_url param left null
    assert sensor._resolved() == (["btc", "weather", "billboard"], None)


@pytest.mark.airflow
def test_trading_sensor_dag_wires_its_params_into_the_sensor():
    from pathlib import Path

    from airflow.dag_processing.dagbag import DagBag

    dags = Path(__file__).resolve().parents[2] / "dags" / "trading_sensor.py"
    bag = DagBag(dag_folder=str(dags))
    assert not bag.import_errors
    task = bag.dags["trading_sensor"].get_task("watch_edges")
    assert task.families == "{{ params.families }}" and task.base_url == "{{ params.base_url }}"


def test_a_strategy_failing_on_every_scan_is_named_and_one_that_recovered_is_not():
    from kalshi_edge.trading.session import StrategyHealth

    h = StrategyHealth()
    h.add({"btc_vol_ladder": "ArtifactMissing: no btc artifact", "weather_day_ahead": "KeyError: 'KNYC'"})
    h.add({"weather_day_ahead": None, "ladder_consensus": None})  # weather priced once: not failing
    assert h.failing() == {"btc_vol_ladder": "ArtifactMissing: no btc artifact"}


def test_scan_reports_which_strategy_raised(tmp_path, sim):
    s = settings_for(tmp_path, models_dir=tmp_path / "models")  # no artifacts: the BTC model cannot price
    outcomes: dict = {}
    scan_intents(s, base_url=sim.base_url, client_kwargs=FAST, strategy_names=["btc_vol_ladder", "ladder_consensus"],
                 outcomes=outcomes)
    assert outcomes["ladder_consensus"] is None
    assert "no btc artifact" in outcomes["btc_vol_ladder"]


class _TI:
    def __init__(self):
        self.pushed = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


def test_sensor_passes_strategy_errors_on_also_when_nothing_fired():
    from kalshi_edge.trading.sensor import EdgeSensor

    sensor = EdgeSensor(task_id="t", families=["btc"])
    ti = _TI()
    intents = [{"ticker": "X"}]
    out = sensor.execute_complete({"ti": ti}, {"status": "fired", "intents": intents,
                                               "strategy_errors": {"btc_vol_ladder": "boom"}})
    assert out == intents and ti.pushed["strategy_errors"] == {"btc_vol_ladder": "boom"}
    ti = _TI()
    sensor.execute_complete({"ti": ti}, {"status": "fired", "intents": intents, "strategy_errors": {}})
    assert ti.pushed["strategy_errors"] == {}
    # nothing fired and a strategy never priced: the watch succeeds with no intents and hands the
    # error on, so place_orders checks the held positions' exits first, then turns the run red
    ti = _TI()
    assert sensor.execute_complete({"ti": ti}, {"status": "timeout", "intents": [],
                                                "strategy_errors": {"btc_vol_ladder": "x"}}) == []
    assert ti.pushed["strategy_errors"] == {"btc_vol_ladder": "x"}
    ti = _TI()
    assert sensor.execute_complete({"ti": ti}, {"status": "timeout", "intents": [], "strategy_errors": {}}) == []
    assert ti.pushed["strategy_errors"] == {}


def test_a_poking_sensor_that_times_out_returns_no_intents_instead_of_failing(monkeypatch):
    from kalshi_edge.trading import sensor as mod

    monkeypatch.setattr(mod, "_scan", lambda *a, **k: [])
    monkeypatch.setattr(mod, "_heartbeat", lambda *a, **k: None)
    s = mod.EdgeSensor(task_id="t", families=["btc"], deferrable=False, timeout=0, poll_seconds=0)
    ti = _TI()
    assert s.execute({"ti": ti}) == []
    assert ti.pushed["strategy_errors"] == {}


def test_place_from_sensor_places_the_other_strategies_then_fails_naming_the_broken_one(tmp_path, sim):
    from datetime import UTC, datetime

    from kalshi_edge.errors import JobFailed, is_transient
    from kalshi_edge.trading.dag_tasks import place_from_sensor

    s = settings_for(tmp_path)
    intents = scan_intents(s, base_url=sim.base_url, strategy_params=PARAMS, client_kwargs=FAST,
                           strategy_names=BOOK_ONLY)
    assert intents
    with pytest.raises(JobFailed, match="btc_vol_ladder") as err:
        place_from_sensor(datetime(2026, 7, 12, tzinfo=UTC),
                          {"intents": intents, "families": "all", "base_url": sim.base_url,
                           "strategy_errors": {"btc_vol_ladder": "ArtifactMissing: no btc artifact"}}, settings=s)
    assert not is_transient(err.value)  # not retried: the same run would fail the same way
    placed = [e for e in OrderLedger(tmp_path / "ledger" / "orders_paper.jsonl").events() if e["event"] == "intent"]
    assert placed  # the book-only strategies' orders went out before the run turned red
