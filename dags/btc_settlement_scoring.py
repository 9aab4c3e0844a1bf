"""
### BTC settlement reconciliation + scoring, daily

Data-interval schedule: the run for logical date D scores every stored edge snapshot whose market
closed on UTC day D (settlement proxy: bars in the last 60 s before the close; Kalshi results win
when known): Brier, log loss, calibration table, ECE, and the would-be PnL of the opportunity
ledger. Writes `reports/btc/scoring_D.html` (reliability plot inline) and returns the metrics.
Offline (param `offline`): sample bars. Backfill: `airflow backfill create --dag-id
btc_settlement_scoring --from-date ... --to-date ...`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from kalshi_edge.dag_defaults import DEFAULT_ARGS, run_job


@dag(
    dag_id="btc_settlement_scoring",
    schedule=CronDataIntervalTimetable("30 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["btc", "scoring"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={"offline": Param(None, type=["null", "boolean"], description="Sample bars")},
)
def btc_settlement_scoring():
    @task
    def score(params=None, logical_date=None, dag_run=None) -> dict:
        from kalshi_edge.families.btc.tasks import settlement_scoring

        return run_job(settlement_scoring, logical_date, params, dag_run=dag_run)

    score()


btc_settlement_scoring()
