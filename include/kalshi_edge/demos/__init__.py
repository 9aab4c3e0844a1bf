"""`make demo` and the package tours: the only code that starts an in-process simulator.

* :mod:`kalshi_edge.demos.run` — ``make demo`` (``python -m kalshi_edge.demos``);
* :mod:`kalshi_edge.demos.trading` — the paper session in every family + a recorded-day backtest;
* :mod:`kalshi_edge.demos.kalshi` — the Kalshi client tour against the simulator;
* :mod:`kalshi_edge.demos.scenarios` — simulator scenarios dated to the shipped data.
"""
