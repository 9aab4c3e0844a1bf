"""One Asset per lake dataset and model artifact; producers declare outlets; the intraday model
runs on the observations asset instead of a cron offset."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow
DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_one_asset_per_lake_dataset_and_artifact():
    import ast

    from kalshi_edge import assets

    pkg = Path(__file__).resolve().parents[2] / "include" / "kalshi_edge"
    declared = set()  # every Dataset(name="...") the library declares (other tests register their own)
    for path in pkg.rglob("datasets.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Dataset":
                declared |= {k.value.value for k in node.keywords if k.arg == "name"}
    assert declared and set(assets.LAKE_DATASETS) == declared
    uris = [a.uri for a in [*assets.LAKE.values(), *assets.MODELS.values()]]
    assert len(uris) == len(set(uris))
    from kalshi_edge.families.billboard.train import ARTIFACT_NAME as BB
    from kalshi_edge.families.btc.train import ARTIFACT_NAME as BTC

    assert {f"btc/{BTC}", f"billboard/{BB}"} <= set(assets.MODEL_ARTIFACTS)


def test_producers_declare_outlets_and_intraday_runs_on_observations():
    from airflow.dag_processing.dagbag import DagBag

    from kalshi_edge import assets

    bag = DagBag(dag_folder=str(DAGS))
    assert not bag.import_errors

    def outlets(dag_id):
        return {o.uri for t in bag.dags[dag_id].tasks for o in t.outlets}

    assert assets.WEATHER_OBS.uri in outlets("weather_obs_ingest")
    assert assets.BTC_MODEL.uri in outlets("btc_retrain")
    assert assets.WEATHER_PARAMS.uri in outlets("weather_retrain")
    assert assets.BILLBOARD_PREDICTION_MODEL.uri in outlets("billboard_weekly_prediction")
    intraday = bag.dags["weather_intraday"]
    assert assets.WEATHER_OBS.uri in str(intraday.timetable.asset_condition)


def test_consumers_run_on_the_asset_they_really_depend_on():
    """Asset wiring (issue 11 item 5): the momentum refit runs on the journal asset instead of a cron
    offset; the day-ahead keeps its clock OR runs on new forecasts; the others stay on their clock
    (each DAG's doc_md says why)."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import AssetOrTimeSchedule

    from kalshi_edge import assets

    bag = DagBag(dag_folder=str(DAGS))
    assert not bag.import_errors

    def outlets(dag_id):
        return {o.uri for t in bag.dags[dag_id].tasks for o in t.outlets}

    def assets_of(dag_id):
        cond = getattr(bag.dags[dag_id].timetable, "asset_condition", None)
        return {a.uri for a in cond.objects} if cond is not None else set()

    # the journal ingest produces what the momentum refit consumes, and that is its whole schedule
    assert assets.KALSHI_WS_JOURNAL.uri in outlets("kalshi_ws_journal_ingest")
    momentum = bag.dags["weather_momentum_retrain"]
    assert assets_of("weather_momentum_retrain") == {assets.KALSHI_WS_JOURNAL.uri}
    assert not hasattr(momentum.timetable, "timetable")  # no cron offset left beside the asset
    assert "kalshi_ws_journal" in momentum.doc_md
    # day-ahead: its own cron (06:00 and 14:00 UTC) OR new forecasts from the forecast ingest
    assert assets.FORECASTS.uri in outlets("weather_forecast_ingest")
    day_ahead = bag.dags["weather_day_ahead"].timetable
    assert isinstance(day_ahead, AssetOrTimeSchedule)
    assert assets_of("weather_day_ahead") == {assets.FORECASTS.uri}
    assert day_ahead.timetable.expression == "0 6,14 * * *"
    assert "AssetOrTimeSchedule" in bag.dags["weather_day_ahead"].doc_md
    # these stay on their clock, by decision (documented in their doc_md)
    for dag_id in ("btc_hourly_edge", "billboard_weekly_prediction", "billboard_settlement"):
        assert not assets_of(dag_id), dag_id
        assert "Schedule: a clock, not the" in bag.dags[dag_id].doc_md, dag_id
