"""Alerts arrive at a real SMTP server and a JSON webhook on loopback: on task failure (through
every DAG's failure callback), on kill-switch trips, stale data and unknown order outcomes."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kalshi_edge.ops.alerts import check_and_alert, configured_channels, send_alert


def kinds(hooks):
    return [h["kind"] for h in hooks]


def test_an_alert_reaches_the_webhook_and_the_mailbox(alert_env, settings):
    hooks, mails = alert_env
    res = send_alert(settings, "test", "hello from the tests", {"family": "btc", "n": 3})
    assert res == {"webhook": "sent", "smtp": "sent"}
    assert hooks[0]["kind"] == "test" and hooks[0]["details"] == {"family": "btc", "n": 3}
    assert hooks[0]["text"].startswith("[kalshi-edge test] hello from the tests")  # Slack shows `text`
    rcpt, msg = mails[0]
    assert rcpt == ["ops@example.test"] and "hello from the tests" in msg["Subject"]


def test_kill_switch_trip_alerts_once(alert_env, settings):
    from kalshi_edge.trading.risk import KillSwitch, PortfolioState, RiskEngine, RiskLimits

    hooks, mails = alert_env
    engine = RiskEngine(RiskLimits(max_drawdown=Decimal("10")), KillSwitch.from_settings(settings))
    now = datetime(2026, 7, 12, 15, tzinfo=UTC)
    state = PortfolioState(now=now, bankroll=Decimal("100"), equity=Decimal("85"), peak_equity=Decimal("100"))
    denied = engine.guard(state)  # the session runs this every step: a 15 $ drawdown ≥ 10 $ trips it
    assert denied is not None and denied.reason == "drawdown" and engine.kill_switch.tripped
    assert kinds(hooks) == ["kill_switch"] and "drawdown 15" in hooks[0]["details"]["reason"]
    assert len(mails) == 1 and "kill switch TRIPPED" in mails[0][1]["Subject"]
    engine.guard(state)  # already tripped: no second alert
    check_and_alert(settings, now=now)  # the monitor knows this trip was alerted
    assert kinds(hooks) == ["kill_switch"] and len(mails) == 1


def test_monitor_alerts_stale_data_and_unknown_orders_once(paper_lake, alert_env):
    from kalshi_edge.config import get_settings
    from kalshi_edge.trading.ledger import OrderLedger

    hooks, _ = alert_env
    s = get_settings()  # the seeded data dir, with the alert channels alert_env configured
    with OrderLedger(paper_lake.ledger_path) as led:  # one more order, sent, its outcome lost
        intent = next(e for e in led.events() if e["event"] == "intent")
        coid = "ke-test-unknown-outcome"
        led.append("intent", **{**{k: v for k, v in intent.items() if k not in ("seq", "event", "at")},
                                "client_order_id": coid})
        led.append("sent", client_order_id=coid)
        led.append("unknown", client_order_id=coid, reason="send timed out")
    later = datetime(2026, 7, 20, tzinfo=UTC)  # a week after the seeded snapshots
    first = check_and_alert(s, now=later)
    stale = [h for h in hooks if h["kind"] == "stale_data"]
    assert {h["details"]["dataset"] for h in stale} >= {"kalshi_markets", "trading_pnl"}
    unknown = [h for h in hooks if h["kind"] == "unknown_order"]
    assert [u["details"]["client_order_id"] for u in unknown] == [coid]
    assert len(first["alerted"]) == len(hooks)
    again = check_and_alert(s, now=later)
    assert again["alerted"] == [] and len(hooks) == len(first["alerted"])


def test_fresh_data_raises_no_stale_alert(paper_lake, alert_env):
    from kalshi_edge.config import get_settings

    hooks, _ = alert_env
    check_and_alert(get_settings(), now=datetime(2026, 7, 14, 6, tzinfo=UTC))
    assert "stale_data" not in kinds(hooks)


def test_webhook_from_an_airflow_connection_in_the_environment(http_sink, monkeypatch):
    from kalshi_edge.config import get_settings

    url, hooks = http_sink
    port = int(url.split(":")[2].split("/")[0])
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http",
            "extra": {"endpoint": "hooks/alerts"}}
    monkeypatch.setenv("AIRFLOW_CONN_KALSHI_EDGE_ALERT_WEBHOOK", json.dumps(conn))
    get_settings.cache_clear()
    s = get_settings()
    assert configured_channels(s) == ["webhook"]
    assert send_alert(s, "test", "via connection") == {"webhook": "sent"}
    assert hooks[0]["title"] == "via connection"


def test_an_unreachable_channel_is_reported_not_raised(monkeypatch):
    import socket

    from kalshi_edge.config import get_settings

    with socket.socket() as sock:  # a port nobody listens on (bound, never accepting)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("KALSHI_EDGE_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{port}/nobody")
    get_settings.cache_clear()
    res = send_alert(get_settings(), "test", "lost", timeout_s=2)
    assert res["webhook"].startswith("failed:")


FAILING_DAG = textwrap.dedent('''
    import pendulum
    from airflow.sdk import dag, task

    from kalshi_edge.dag_defaults import DEFAULT_ARGS


    @dag(dag_id="ke_alert_probe", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
         catchup=False, tags=["test"], default_args={**DEFAULT_ARGS, "retries": 0})
    def ke_alert_probe():
        @task
        def boom():
            raise RuntimeError("lake unreachable")

        boom()


    ke_alert_probe()
''')


@pytest.mark.airflow
@pytest.mark.slow
def test_a_failed_task_alerts_through_the_default_callback(airflow_db, alert_env, tmp_path, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    hooks, mails = alert_env
    (tmp_path / "probe_dag.py").write_text(FAILING_DAG)
    # dag.test() runs DAGs of a configured bundle: add one for this folder beside the dags folder.
    bundles = [{"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {}},
               {"name": "alert-probe", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(tmp_path)}}]
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps(bundles))
    bag = DagBag(dag_folder=str(tmp_path))
    assert not bag.import_errors, bag.import_errors
    run = bag.dags["ke_alert_probe"].test()
    assert str(run.state) in ("failed", "DagRunState.FAILED")
    failures = [h for h in hooks if h["kind"] == "task_failure"]
    assert len(failures) == 1
    d = failures[0]["details"]
    assert (d["dag_id"], d["task_id"]) == ("ke_alert_probe", "boom") and "lake unreachable" in d["error"]
    assert any("ke_alert_probe.boom failed" in m["Subject"] for _, m in mails)
