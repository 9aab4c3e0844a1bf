"""
### Probe for `make test-distributed`: two Celery workers writing ONE lake dataset at once

Loaded only by the distributed suite's stack (a second DAG bundle), never by `make airflow*`.
Two tasks, pinned to the queues `worker1` and `worker2` (each worker also listens on its own
queue), meet at a barrier (a file each, `conf.barrier` names them), then each merges its
half of one month of the sample settled contracts into the same partition, a few rows per write
(every write is read-partition, merge, publish). Deliberately NOT in the `lake_writer` pool: only
the writer's file lock serializes them. Without it, concurrent read-merge-publish cycles lose
rows; the test counts them.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


def merge_half(half: int, barrier: str, month: str, chunk: int) -> dict:
    """Plain function (no Airflow): merge rows of ``month`` whose position % 2 == half, in chunks."""
    import os
    import time

    from kalshi_edge.config import SAMPLE_DIR
    from kalshi_edge.lake import Lake
    from kalshi_edge.sources.datasets import KALSHI_SETTLED_TEMPS
    from kalshi_edge.sources.kalshi_history import read_settled_csv

    df = read_settled_csv(SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz")
    df = df[df["month"] == month].reset_index(drop=True)
    mine = df[df.index % 2 == half]
    lake = Lake.from_settings()
    lake.root.mkdir(parents=True, exist_ok=True)
    (lake.root / f".barrier-{barrier}-{half}").touch()
    other = lake.root / f".barrier-{barrier}-{1 - half}"
    deadline = time.time() + 180
    while not other.exists():
        if time.time() > deadline:
            raise TimeoutError(f"the other writer never reached the barrier ({other})")
        time.sleep(0.05)
    t0 = time.time()
    writes = 0
    for i in range(0, len(mine), chunk):
        lake.write(KALSHI_SETTLED_TEMPS, mine.iloc[i:i + chunk], source=f"probe half {half}", mode="merge")
        writes += 1
    return {"half": half, "rows": len(mine), "writes": writes, "pid": os.getpid(),
            "started": t0, "finished": time.time()}


@dag(
    dag_id="distributed_lock_probe",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["test"],
    doc_md=__doc__,
)
def distributed_lock_probe():
    @task(queue="worker1")
    def writer_a(params=None, dag_run=None) -> dict:
        c = dag_run.conf
        return merge_half(0, str(c["barrier"]), c.get("month", "2024-09"), int(c.get("chunk", 8)))

    @task(queue="worker2")
    def writer_b(params=None, dag_run=None) -> dict:
        c = dag_run.conf
        return merge_half(1, str(c["barrier"]), c.get("month", "2024-09"), int(c.get("chunk", 8)))

    writer_a()
    writer_b()


distributed_lock_probe()
