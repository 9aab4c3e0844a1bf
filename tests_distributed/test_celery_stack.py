"""The CeleryExecutor stack for real: PostgreSQL, Redis, api-server, scheduler, dag-processor,
triggerer and two Celery workers as separate processes, driven through the REST API.

Tests run in file order on one stack (session fixture in conftest.py); each leaves the stack whole
(a killed worker or scheduler is started again before the test ends).
"""

from __future__ import annotations

import contextlib
import json
import signal
import time
import uuid
from collections import Counter

import pandas as pd
import requests

from kalshi_edge.config import SAMPLE_DIR

WORKERS = {"worker1", "worker2"}
SETTLED_CSV = SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz"
BTC_CSV = SAMPLE_DIR / "btc" / "btcusd_5m_2026-02-21_2026-03-06.csv.gz"
PROJECT_DAGS = {"billboard_weekly_prediction", "weather_day_ahead", "lake_quality", "trading_sensor",
                "lake_ingest_settled_contracts", "btc_bars_backfill"}


def _settled_rows(month: str) -> int:
    df = pd.read_csv(SETTLED_CSV, dtype=str)
    return int((df["date"].str.slice(0, 7) == month).sum())


def _month_rows(lake, month: str) -> pd.DataFrame:
    return lake.read("kalshi_settled_temps", where=f"month = '{month}'")


def _assert_whole_partition(lake, month: str) -> None:
    rows = _month_rows(lake, month)
    assert len(rows) == _settled_rows(month), f"month {month}: {len(rows)} rows, source has {_settled_rows(month)}"
    dup = rows.duplicated(subset=["date", "series", "contract_subtitle"]).sum()
    assert dup == 0, f"month {month}: {dup} duplicated keys"
    files = [f for f in lake.files("kalshi_settled_temps") if f"month={month}" in str(f)]
    assert len(files) == 1, files  # one published file, no stray temp/partial files beside it
    stray = [p.name for p in files[0].parent.iterdir() if p.name != files[0].name]
    assert not stray, f"left in the partition folder: {stray}"


@contextlib.contextmanager
def _hold_lake_lock(lake, dataset: str):
    """Hold the writer's own per-dataset lock from this process: writers elsewhere block in it."""
    from kalshi_edge.lake.dataset import get_dataset

    with lake._lock(get_dataset(dataset)):
        yield


def _wait_ti(stack, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        for ti in stack.tis(dag_id, run_id):
            if ti["task_id"] == task_id:
                seen = ti
                if ti["state"] in states:
                    return ti
        time.sleep(0.5)
    raise AssertionError(f"{dag_id}.{task_id} never reached {states} in {timeout}s (last: {seen})")


def test_every_component_is_its_own_healthy_process(stack):
    stack.wait_dags(PROJECT_DAGS | {"distributed_lock_probe"})
    health = stack.api("GET", "/monitor/health")
    for comp in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        assert health[comp]["status"] == "healthy", health
    names = ["postgres", "redis", "api-server", "scheduler", "dag-processor", "triggerer", "worker1", "worker2"]
    pids = {n: stack.pid(n) for n in names}
    assert len(set(pids.values())) == len(names), pids
    cfg = stack.airflow("config", "get-value", "core", "executor").stdout.strip()
    assert cfg == "CeleryExecutor"
    conn = stack.airflow("config", "get-value", "database", "sql_alchemy_conn").stdout.strip()
    assert conn.startswith("postgresql+psycopg2://airflow:") and "@127.0.0.1:" in conn
    pools = json.loads(stack.airflow("pools", "get", "lake_writer", "--output", "json").stdout)
    assert pools[0]["slots"] in (1, "1")


def test_billboard_weather_and_lake_quality_succeed_on_the_celery_workers(stack):
    bb = stack.trigger("billboard_weekly_prediction", "2023-12-25T17:00:00Z", {"offline": True})
    # 2026-07-08 is past the shipped sample: issue for that day anyway (offline alone would issue as of
    # the sample's last date)
    wx = stack.trigger("weather_day_ahead", "2026-07-08T06:00:00Z", {"offline": True, "stale_inputs": "warn"})
    tis = stack.wait_run("billboard_weekly_prediction", bb, timeout=300)
    tis += stack.wait_run("weather_day_ahead", wx, timeout=300)
    assert {t["hostname"] for t in tis} <= WORKERS, [(t["task_id"], t["hostname"]) for t in tis]

    lake = stack.lake()
    fc = lake.read("weather_forecasts")
    day = fc[(fc["kind"] == "day_ahead") & (pd.to_datetime(fc["date"]).dt.date.astype(str) == "2026-07-08")]
    assert set(day["station"]) == {"KNYC", "KMIA"}
    sums = day.groupby("station")["p"].sum()
    assert ((sums - 1).abs() < 1e-3).all(), sums  # one whole pmf per station, not two
    preds = lake.row_count("billboard_predictions")
    assert preds > 0

    from kalshi_edge.lake.quality import datasets_with_data

    stored = datasets_with_data(lake)
    assert {"weather_forecasts", "billboard_predictions"} <= set(stored)
    lq = stack.trigger("lake_quality", "2026-01-02T06:30:00Z")
    qtis = stack.wait_run("lake_quality", lq, timeout=300)
    validated = [t for t in qtis if t["task_id"] == "validate"]
    assert len(validated) == len(stored)  # one mapped suite per stored dataset, all green
    assert {t["hostname"] for t in qtis} <= WORKERS


def test_trading_sensor_defers_to_the_triggerer_and_orders_once_per_client_order_id(stack):
    from kalshi_edge.config import load_settings
    from kalshi_edge.families.btc.tasks import retrain
    from kalshi_edge.trading.ledger import OrderLedger

    # The sensor trades each family's MODEL strategy, which reads fitted artifacts only: train the
    # BTC volatility model into the stack's models dir first (one Optuna trial on the sample bars),
    # as `make demo` does; without an artifact every scan refuses and the sensor times out.
    s = load_settings(data_dir=str(stack.data_dir), models_dir=str(stack.data_dir.parent / "models"),
                      kalshi_env="local")
    retrain(pd.Timestamp("2026-03-06", tz="UTC"), {"offline": True, "train_days": 7, "test_days": 3, "n_trials": 1}, s)
    run = stack.trigger("trading_sensor", pd.Timestamp.now(tz="UTC").isoformat(), {"families": "btc"})
    tis = stack.wait_run("trading_sensor", run, timeout=300)
    by_task = {t["task_id"]: t for t in tis}
    assert by_task["watch_edges"]["state"] == "success"
    assert by_task["watch_edges"]["hostname"] in WORKERS
    assert by_task["place_orders"]["hostname"] in WORKERS
    # The deferral, from the logs each process wrote (the deferred state itself lasts ~2 s): the worker
    # paused the sensor, the triggerer (its own log file per trigger) ran EdgeTrigger and fired.
    logdir = stack.log_dir / "dag_id=trading_sensor" / f"run_id={run}" / "task_id=watch_edges"
    assert "Pausing task as DEFERRED" in (logdir / "attempt=1.log").read_text()
    # the triggerer writes its per-trigger log asynchronously: allow it a bounded moment to flush
    deadline, text = time.monotonic() + 60, ""
    while time.monotonic() < deadline:
        trigger_logs = sorted(logdir.glob("attempt=1.log.trigger.*.log"))
        text = trigger_logs[0].read_text() if trigger_logs else ""
        if "Trigger fired event" in text:
            break
        time.sleep(1)
    assert trigger_logs, f"no triggerer log in {logdir}"
    assert "Trigger fired event" in text, text[-2000:]

    ledger_path = stack.data_dir / "ledger" / "orders_paper.jsonl"
    intents = [e["client_order_id"] for e in OrderLedger(ledger_path).events() if e["event"] == "intent"]
    assert intents, "the sensor fired but nothing was recorded"
    assert not [c for c, n in Counter(intents).items() if n > 1], "duplicate client_order_id in the ledger"
    sent = requests.get(f"{stack.sim_url}/portfolio/orders", params={"limit": 1000}, timeout=10).json()["orders"]
    sent_ids = [o["client_order_id"] for o in sent]
    assert len(sent_ids) == len(set(sent_ids)), "the exchange saw a client_order_id twice"
    assert set(sent_ids) <= set(intents)

    # Run the order task again (as a retry would) with the same intents: nothing is sent twice.
    stack.api("POST", "/dags/trading_sensor/clearTaskInstances",
              json={"dry_run": False, "task_ids": ["place_orders"], "dag_run_id": run, "only_failed": False,
                    "reset_dag_runs": True})
    stack.wait_run("trading_sensor", run, timeout=240)
    # (The second attempt may place intents the first one's risk/rate limits denied; it must never
    # record or send one of the first attempt's client order ids again.)
    again = [e["client_order_id"] for e in OrderLedger(ledger_path).events() if e["event"] == "intent"]
    assert not [c for c, n in Counter(again).items() if n > 1], "duplicate client_order_id after the retry"
    assert set(intents) <= set(again)
    resent = [o["client_order_id"] for o in
              requests.get(f"{stack.sim_url}/portfolio/orders", params={"limit": 1000}, timeout=10).json()["orders"]]
    assert len(resent) == len(set(resent)), "the exchange saw a client_order_id twice after the retry"
    assert set(sent_ids) <= set(resent) <= set(again)


def test_the_writer_lock_holds_across_two_celery_workers_writing_one_dataset(stack):
    month = "2024-09"
    run = stack.trigger("distributed_lock_probe", None, {"barrier": uuid.uuid4().hex, "month": month, "chunk": 6})
    tis = stack.wait_run("distributed_lock_probe", run, timeout=240)
    hosts = {t["task_id"]: t["hostname"] for t in tis}
    assert hosts == {"writer_a": "worker1", "writer_b": "worker2"}
    res = [stack.api("GET", f"/dags/distributed_lock_probe/dagRuns/{run}/taskInstances/{t}/xcomEntries/return_value")
           ["value"] for t in ("writer_a", "writer_b")]
    res = [json.loads(r) if isinstance(r, str) else r for r in res]
    assert res[0]["pid"] != res[1]["pid"]
    assert min(r["finished"] for r in res) > max(r["started"] for r in res), f"the writers did not overlap: {res}"
    assert sum(r["writes"] for r in res) >= 20  # many read-merge-publish cycles raced for the lock
    _assert_whole_partition(stack.lake(), month)  # no merge lost another worker's rows


def test_a_worker_killed_mid_write_is_retried_on_the_other_worker_and_the_partition_is_whole(stack):
    lake = stack.lake()
    month = "2024-07"
    with _hold_lake_lock(lake, "kalshi_settled_temps"):
        run = stack.trigger("lake_ingest_settled_contracts", "2024-08-01T00:00:00Z")
        ti = _wait_ti(stack, "lake_ingest_settled_contracts", run, "ingest", {"running"}, timeout=120)
        victim = ti["hostname"]
        assert victim in WORKERS
        time.sleep(3)  # the task is now blocked inside the writer, waiting for the lock
        stack.kill(victim, signal.SIGKILL)  # the worker's whole process group: worker, pool, task
        stack.wait_gone(victim)
    tis = stack.wait_run("lake_ingest_settled_contracts", run, timeout=420)
    ingest = next(t for t in tis if t["task_id"] == "ingest")
    assert ingest["try_number"] >= 2, ingest
    survivor = (WORKERS - {victim}).pop()
    assert ingest["hostname"] == survivor
    _assert_whole_partition(lake, month)
    assert lake.row_count("kalshi_settled_temps") == _settled_rows("2024-07") + _settled_rows("2024-09")
    stack.start()  # bring the killed worker back for the rest of the suite


def test_a_scheduler_restart_mid_run_lets_the_run_resume(stack):
    lake = stack.lake()
    month = "2024-08"
    with _hold_lake_lock(lake, "kalshi_settled_temps"):
        run = stack.trigger("lake_ingest_settled_contracts", "2024-09-01T00:00:00Z")
        _wait_ti(stack, "lake_ingest_settled_contracts", run, "ingest", {"running"}, timeout=120)
        old = stack.pid("scheduler")
        stack.kill("scheduler", signal.SIGTERM)
        stack.wait_gone("scheduler")
        out = stack.start()
        assert "started scheduler" in out and stack.pid("scheduler") != old
    tis = stack.wait_run("lake_ingest_settled_contracts", run, timeout=300)
    assert [t["state"] for t in tis] == ["success"] * 3
    _assert_whole_partition(lake, month)
    assert stack.api("GET", "/monitor/health")["scheduler"]["status"] == "healthy"


def _wait_backfill(stack, backfill_id: int, timeout: float = 420) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bf = stack.api("GET", f"/backfills/{backfill_id}")
        if bf.get("completed_at"):
            return
        time.sleep(3)
    raise AssertionError(f"backfill {backfill_id} not completed in {timeout}s: {bf}")


def _backfill(stack, *extra: str) -> int:
    before = {b["id"] for b in stack.api("GET", "/backfills", params={"dag_id": "btc_bars_backfill"})["backfills"]}
    stack.airflow("backfill", "create", "--dag-id", "btc_bars_backfill", "--from-date", "2026-02-21",
                  "--to-date", "2026-03-06", "--max-active-runs", "4", *extra, timeout=240)
    new = [b["id"] for b in stack.api("GET", "/backfills", params={"dag_id": "btc_bars_backfill"})["backfills"]
           if b["id"] not in before]
    assert len(new) == 1, new
    _wait_backfill(stack, new[0])
    runs = stack.api("GET", "/dags/btc_bars_backfill/dagRuns", params={"limit": 100})["dag_runs"]
    return runs


def test_the_same_two_week_backfill_twice_gives_identical_row_counts(stack):
    stack.unpause("btc_bars_backfill")  # use_job_schedule=False in this stack: no catch-up runs appear
    bars = pd.read_csv(BTC_CSV)
    expected = pd.to_datetime(bars["timestamp"]).dt.date.astype(str).value_counts().sort_index()
    assert len(expected) == 14

    runs = _backfill(stack)
    assert len(runs) == 14 and {r["state"] for r in runs} == {"success"}, [(r["logical_date"], r["state"]) for r in runs]
    lake = stack.lake()
    first = {p["partition"]: p["rows"] for p in lake.partitions("btc_bars")}
    assert sum(first.values()) == int(expected.sum()) == len(bars)

    runs = _backfill(stack, "--reprocess-behavior", "completed")  # the same range again, every day rerun
    assert len(runs) == 14 and {r["state"] for r in runs} == {"success"}
    second = {p["partition"]: p["rows"] for p in lake.partitions("btc_bars")}
    assert second == first
    keys = lake.read("btc_bars")
    assert len(keys) == len(bars)


def test_the_stack_is_whole_at_the_end(stack):
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "airflow_celery.sh"
    status = subprocess.run(["bash", str(script), "status"], env=stack.env, capture_output=True, text=True)
    assert status.returncode == 0, status.stdout  # every component running, none left dead by a test
    health = stack.api("GET", "/monitor/health")
    assert all(health[c]["status"] == "healthy" for c in ("scheduler", "triggerer", "dag_processor")), health
