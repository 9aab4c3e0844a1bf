"""One Airflow ``Asset`` per lake dataset and per model artifact: how one job feeds another.

Producers declare them as ``outlets`` of the task that writes them; a consumer schedules on an
asset where that is the real dependency (``weather_intraday`` runs when ``weather_obs`` is
updated, ``weather_momentum_retrain`` when ``kalshi_ws_journal`` is, instead of a cron offset after
the ingest; ``weather_day_ahead`` keeps its own clock and also runs when new ``forecasts`` land, an
``AssetOrTimeSchedule``). Each DAG's doc_md says why it is (or is not) asset-scheduled. URIs are stable names, not paths, so the
lake and models roots can move (``kalshi-edge://lake/<dataset>``,
``kalshi-edge://models/<family>/<artifact>``). Imports nothing heavy: DAG files import this module
at parse time. ``tests/platform/test_assets.py`` checks the list against the lake's datasets and
the artifact store's names.
"""

from __future__ import annotations

from airflow.sdk import Asset

#: Every lake dataset (``kalshi_edge.*.datasets``), by name.
LAKE_DATASETS: tuple[str, ...] = (
    "billboard_charts", "billboard_edges", "billboard_predictions", "billboard_signals",
    "btc_bars", "btc_edge_snapshots", "btc_opportunities", "btc_ticks",
    "kalshi_candlesticks", "kalshi_markets", "kalshi_orderbook_snapshots", "kalshi_settled_temps", "kalshi_trades",
    "kalshi_ws_journal",
    "kalshi_forecast_percentiles", "kalshi_weather_index",
    "ops_readiness",
    "trading_pnl", "trading_prediction_scores",
    "forecasts", "weather_cli", "weather_forecasts", "weather_obs", "weather_tmax",
)
#: Every model artifact of the store (``family/name``; families/README.md). Weather params are one
#: artifact per station (``weather/<STATION>_params``); the asset stands for all stations' params.
MODEL_ARTIFACTS: tuple[str, ...] = ("btc/latest", "weather/params", "weather/momentum", "billboard/weekly_prediction")


def lake_asset(name: str) -> Asset:
    if name not in LAKE_DATASETS:
        raise KeyError(f"no lake dataset {name!r}")
    return Asset(name=name, uri=f"kalshi-edge://lake/{name}", group="lake")


def model_asset(key: str) -> Asset:
    if key not in MODEL_ARTIFACTS:
        raise KeyError(f"no model artifact {key!r}")
    return Asset(name=f"model_{key.replace('/', '_')}", uri=f"kalshi-edge://models/{key}", group="models")


LAKE: dict[str, Asset] = {n: lake_asset(n) for n in LAKE_DATASETS}
MODELS: dict[str, Asset] = {k: model_asset(k) for k in MODEL_ARTIFACTS}

# The ones DAGs wire by name.
BTC_BARS = LAKE["btc_bars"]
BTC_EDGE_SNAPSHOTS = LAKE["btc_edge_snapshots"]
BTC_MODEL = MODELS["btc/latest"]
WEATHER_TMAX = LAKE["weather_tmax"]
WEATHER_OBS = LAKE["weather_obs"]
WEATHER_FORECASTS = LAKE["weather_forecasts"]
WEATHER_PARAMS = MODELS["weather/params"]
WEATHER_MOMENTUM_MODEL = MODELS["weather/momentum"]
FORECASTS = LAKE["forecasts"]
OPS_READINESS = LAKE["ops_readiness"]
BILLBOARD_CHARTS = LAKE["billboard_charts"]
BILLBOARD_PREDICTIONS = LAKE["billboard_predictions"]
BILLBOARD_PREDICTION_MODEL = MODELS["billboard/weekly_prediction"]
KALSHI_MARKETS = LAKE["kalshi_markets"]
KALSHI_WS_JOURNAL = LAKE["kalshi_ws_journal"]
