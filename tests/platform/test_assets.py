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
