"""Airflow plugin: the kalshi-edge dashboard on the API server, linked from the UI navigation.

* ``fastapi_apps``: :func:`kalshi_edge.dashboard.app.create_app` mounted at ``/kalshi-edge``
  (page ``/kalshi-edge/``, JSON ``/kalshi-edge/api/summary``), behind Airflow's login;
* ``external_views``: a "Kalshi Edge" entry in the UI's navigation that shows the page inside the
  Airflow UI (``/plugin/kalshi-edge``).

The logic lives in the installed package (``kalshi_edge.dashboard``); this file only registers it.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from kalshi_edge.dashboard.app import URL_PREFIX, create_app


class KalshiEdgeDashboardPlugin(AirflowPlugin):
    name = "kalshi_edge_dashboard"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "kalshi-edge dashboard"}]
    external_views = [{
        "name": "Kalshi Edge",
        "href": f"{URL_PREFIX}/",
        "destination": "nav",
        "url_route": "kalshi-edge",
        "icon": f"{URL_PREFIX}/icon.svg",
    }]
