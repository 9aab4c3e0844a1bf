"""The exchange side: the one matching engine and the local Kalshi-compatible simulator.

* :mod:`kalshi_edge.exchange.matching` — ``MatchingEngine``: exact price-time priority on the
  Kalshi YES-bid/NO-bid book; used by the simulator, the paper broker and the backtester.
* :mod:`kalshi_edge.exchange.state` — ``Exchange``: accounts, positions, orders, settlement.
* :mod:`kalshi_edge.exchange.simulator` — the aiohttp REST + WebSocket server and
  ``run_simulator_in_thread`` (tests, demos, paper trading).
* :mod:`kalshi_edge.exchange.scenario` — what the simulator serves (built-in scenario, replays).
* :mod:`kalshi_edge.exchange.faults`, :mod:`kalshi_edge.exchange.auth` — fault injection and
  signature verification.

Submodules are imported explicitly (this package imports nothing heavy on its own).
"""
