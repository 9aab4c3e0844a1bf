"""The operations dashboard: :mod:`summary` builds the per-family JSON (read-only on the lake,
the order ledger, models/ and the heartbeats), :mod:`plots` renders the equity curves
server-side, :mod:`app` is the FastAPI app the Airflow plugin (``plugins/kalshi_edge_dashboard.py``)
mounts at ``/kalshi-edge``."""
