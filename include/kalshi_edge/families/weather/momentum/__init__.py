"""Weather momentum: cross-bracket kinematics, order-flow pressure and short-horizon signals.

Modules:

* :mod:`.stream` — the one book-event type (:class:`BookEvent`) and the adapters that turn the
  recorded top-of-book logs, WebSocket journals (the simulator's output recorded by the project's
  client) and the crypto snapshot files into it;
* :mod:`.features` — incremental features over that stream (O(1) per update, exact for
  irregular sampling, no future data);
* :mod:`.hawkes` — exponential-kernel Hawkes intensity, fitted by maximum likelihood;
* :mod:`.fills` — the maker-fill model (how often the recorded market traded through a resting price);
* :mod:`.models` — short-horizon up-move classifiers, walk-forward by day, calibrated;
* :mod:`.evaluate` — ``kalshi-edge momentum evaluate`` (scores.csv, predictions.csv, report.html);
* :mod:`.strategy` — the ``weather_momentum`` strategy.
"""
