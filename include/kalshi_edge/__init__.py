"""kalshi-edge: find and trade mispriced Kalshi contracts (library; knows nothing of Airflow)."""

__version__ = "0.1.0"
