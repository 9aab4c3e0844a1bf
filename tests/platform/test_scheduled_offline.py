"""Issue 13: the scheduled jobs work offline on the demo's lake, and a run that could not do its
work is red (real ``dag.test`` runs on a SQLite metadata DB).

One lake per module (the weather demo's TMAX import, the sample charts left where the demo leaves
them: not in the lake), one loopback simulator for the sensor. Each test points the settings at
that lake.
"""

from __future__ import annotations

import os

import pendulum
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory):
    """The demo's lake for these jobs: ``weather_tmax`` from the shipped samples (what the weather
    demo imports), no Billboard charts (the demo does not import them)."""
    from kalshi_edge.config import load_settings
    from kalshi_edge.families.weather.tasks import tmax_import

    base = tmp_path_factory.mktemp("demo-lake")
    env = {"KALSHI_EDGE_DATA_DIR": str(base / "data"), "KALSHI_EDGE_MODELS_DIR": str(base / "models")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        tmax_import(None, {}, settings=load_settings())
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return env


@pytest.fixture
def on_demo_lake(demo_lake, monkeypatch):
    from kalshi_edge.config import get_settings

    for k, v in demo_lake.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


def _task_states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_weekly_billboard_prediction_is_green_offline_as_of_the_sample(dagbag, on_demo_lake):
    from kalshi_edge.lake import Lake

    dag = dagbag.dags["billboard_weekly_prediction"]
    run = dag.test(logical_date=pendulum.datetime(2026, 11, 29, 18, tz="America/New_York"))
    assert run.state == "success", _task_states(run)
    preds = Lake.from_settings(on_demo_lake).read("billboard_predictions")
    assert sorted(preds["chart_date"].astype(str).str[:10].unique()) == ["2024-01-06"]  # after the sample's last chart
    page = (on_demo_lake.reports_dir / "billboard" / "prediction_2024-01-06.html").read_text()
    from kalshi_edge.reports.html import _CSS

    assert _CSS in page  # standalone reports share the demo report's stylesheet


def test_weather_day_ahead_is_green_offline_and_without_a_logical_date(dagbag, on_demo_lake):
    from kalshi_edge.lake import Lake

    dag = dagbag.dags["weather_day_ahead"]
    run = dag.test(logical_date=None)  # a manual REST trigger in Airflow 3 has no logical date
    assert run.state == "success", _task_states(run)
    fc = Lake.from_settings(on_demo_lake).read("weather_forecasts")
    issued = {st: set(g["date"].astype(str).str[:10]) for st, g in fc.groupby("station")}
    # each station is issued for the day after its last observed high in the sample: Miami's TMAX ends
    # 2024-12-31; Central Park also has the shipped climate-report highs, which end 2025-12-20
    assert issued == {"KMIA": {"2025-01-01"}, "KNYC": {"2025-12-21"}}


@pytest.fixture(scope="module")
def simulator():
    from kalshi_edge.exchange.simulator import run_simulator_in_thread

    with run_simulator_in_thread(seed=3) as sim:
        yield sim


def _sensor_dag(dagbag, base_url: str, watch_seconds: int = 3):
    dag = dagbag.dags["trading_sensor"]
    watch = dag.get_task("watch_edges")
    watch.base_url, watch.poll_seconds = base_url, 1.0
    watch.timeout = float(watch_seconds)
    for t in dag.tasks:  # a failed try would wait out the retry delay inside dag.test
        t.retries = 0
    return dag


def test_trading_sensor_is_red_naming_a_model_strategy_that_has_no_artifact(dagbag, on_demo_lake, simulator,
                                                                           caplog):
    """Before any training the BTC model strategy raises on every scan: the book-only strategies'
    orders are still placed, and the run is red (it used to be green, the model silently absent)."""
    from kalshi_edge.modeling.artifacts import ArtifactStore

    assert not ArtifactStore.from_settings(on_demo_lake).exists("btc", "latest")
    dag = _sensor_dag(dagbag, simulator.base_url)
    run = dag.test(logical_date=pendulum.datetime(2026, 12, 3, 9, 55, tz="UTC"), run_conf={"base_url": simulator.base_url})
    assert run.state == "failed", _task_states(run)
    states = _task_states(run)
    assert "failed" in (states["watch_edges"], states["place_orders"]), states
    failures = [r.getMessage() for r in caplog.records if "strategy failed on every scan" in r.getMessage()]
    named = failures[0].split("every scan of this watch: ")[1].split(" (")[0] if failures else ""
    assert "btc_vol_ladder" in named.split(", "), failures


def test_trading_sensor_is_green_against_the_local_simulator(dagbag, on_demo_lake, simulator):
    from kalshi_edge.demos.trading import ensure_models

    ensure_models(on_demo_lake)  # every model strategy has its artifact, as after `make demo`
    dag = _sensor_dag(dagbag, simulator.base_url)
    run = dag.test(logical_date=pendulum.datetime(2026, 12, 3, 10, tz="UTC"), run_conf={"base_url": simulator.base_url})
    assert run.state == "success", _task_states(run)


def test_trading_sensor_is_green_and_still_checks_exits_when_nothing_passes_the_gates(dagbag, on_demo_lake,
                                                                                       simulator, monkeypatch):
    """No intent passes (min edge $5 a contract): the watch succeeds with none and ``place_orders``
    still runs its session step, which checks the held positions' exits (it used to be skipped)."""
    from kalshi_edge.config import get_settings
    from kalshi_edge.demos.trading import ensure_models

    ensure_models(on_demo_lake)
    monkeypatch.setenv("KALSHI_EDGE_MIN_EDGE_DOLLARS", "5")
    get_settings.cache_clear()
    dag = _sensor_dag(dagbag, simulator.base_url)
    run = dag.test(logical_date=pendulum.datetime(2026, 12, 3, 10, 2, tz="UTC"), run_conf={"base_url": simulator.base_url})
    states = _task_states(run)
    assert run.state == "success" and states == {"watch_edges": "success", "place_orders": "success"}, states
    place = next(ti for ti in run.get_task_instances() if ti.task_id == "place_orders")
    summary = place.xcom_pull(task_ids="place_orders")
    assert summary["placed"] == [] and {"exits", "checked_positions"} <= set(summary), summary


def test_trading_sensor_is_red_when_the_exchange_is_down(dagbag, on_demo_lake):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/trade-api/v2"
    dag = _sensor_dag(dagbag, dead)
    run = dag.test(logical_date=pendulum.datetime(2026, 12, 3, 10, 5, tz="UTC"), run_conf={"base_url": dead})
    assert run.state == "failed", _task_states(run)
    assert _task_states(run)["watch_edges"] == "failed"


def test_a_deterministic_error_fails_the_run_at_once_without_retries(dagbag, on_demo_lake):
    """A station without data is not retried (the DAG keeps retries=2 for transient errors): one try, red."""
    dag = dagbag.dags["weather_day_ahead"]
    run = dag.test(logical_date=pendulum.datetime(2026, 12, 2, 14, tz="UTC"), run_conf={"stations": ["KXXX"]})
    assert run.state == "failed"
    (ti,) = run.get_task_instances()
    assert str(ti.state) == "failed" and ti.try_number == 1 and dag.get_task("run").retries == 2
