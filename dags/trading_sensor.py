"""
### Near-real-time trading sensor (`trading_sensor`)

Every 5 minutes (one active run at a time): the deferrable `EdgeSensor` hands the watch to the
triggerer, whose `EdgeTrigger` scans the open markets of the configured families through the
Kalshi REST client (the local simulator when `KALSHI_EDGE_KALSHI_ENV=local`) and fires when an
intent passes the shared gates (edge after fees, confidence, spread, time to close, quote age).
The trigger has no side effects (it may run twice).

`place_orders` then runs on **every** run, fired or not: one step of the trading session (the
decision loop `kalshi-edge trade` and backtests use) that first checks the exits of the ledger's
held positions (the risk stop-loss, and each strategy's own `exits`, e.g. `weather_momentum`'s
`take_profit` / `time_exit`), then sends the watch's intents (none when it timed out) through
reconcile → risk engine → ledger → broker, idempotently by `client_order_id`: a retried task never
sends an entry or an exit twice. Paper unless `TRADE_MODE=live` **and** the `live` param is on
(the equivalent of `--live`), and live still runs the preflight. With no intent and nothing held or
working in the ledger the step opens nothing (no exchange request, no order group) and its summary
says `nothing to check`.

Each run's step is a fresh session, so a strategy exit that needs in-memory history gets none: the
ledger gives the entry time and entry P(yes) (so `time_exit` and `take_profit` work), but
`weather_momentum`'s `signal_reversal` needs the feature engine's kinematics, which a fresh engine
holding one snapshot does not have: on the sensor path it does not fire (no history is faked).
`kalshi-edge trade` keeps one session across steps and checks all three.

Params: `families` (btc, weather, billboard or all), `base_url` (any Kalshi-compatible host),
`live` (false). Outputs: the order ledger `data/ledger/orders_<mode>.jsonl`; XCom holds the
intents and a summary `{"placed", "exits", "checked_positions", "skipped", "orders_sent", "denied",
"positions"}`. Red: the exchange never answered during the watch (`watch_edges`), the step could
not reach it (`place_orders`, after its retries), the kill switch is tripped, or a strategy raised
on every scan of the watch (say, a missing model artifact: `place_orders` fails naming it, after
the other strategies' orders and the exit check). No backfill: trading is about now (catchup is off).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job
from kalshi_edge.trading.sensor import EdgeSensor

FAMILIES = ["btc", "weather", "billboard"]


@dag(
    dag_id="trading_sensor",
    schedule="*/5 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["trading", "sensor"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "families": Param("all", enum=["all", *FAMILIES]),
        "base_url": Param(None, type=["null", "string"], description="REST base URL override"),
        "live": Param(False, type="boolean", description="--live (also needs TRADE_MODE=live)"),
    },
)
def trading_sensor():
    # The params reach the sensor as templated fields (rendered at run time, not at parse time).
    watch = EdgeSensor(task_id="watch_edges", families="{{ params.families }}", base_url="{{ params.base_url }}",
                       poll_seconds=15, timeout=240, deferrable=True)

    @task
    def place_orders(intents: list[dict] | None, params=None, logical_date=None, dag_run=None, ti=None) -> dict:
        from kalshi_edge.trading.dag_tasks import place_from_sensor

        # strategies that failed on every scan (the sensor pushes {} when all priced): placed, then red
        errors = ti.xcom_pull(task_ids="watch_edges", key="strategy_errors") if ti is not None else None
        # runs on every run (the watch returns [] when nothing fired): the step also checks exits.
        # orders are idempotent by client_order_id, so a transient failure may be retried safely
        return run_job(place_from_sensor, logical_date,
                       {**(params or {}), "intents": intents or [], "strategy_errors": errors or {}},
                       dag_run=dag_run)

    place_orders(watch.output)


trading_sensor()
