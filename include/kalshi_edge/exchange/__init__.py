"""The exchange side: the one matching engine and the local Kalshi-compatible simulator.

Where things live (each module states its one job in its docstring):

* engine — :mod:`~kalshi_edge.exchange.matching` (``MatchingEngine``: exact price-time priority on
  the YES-bid/NO-bid book, amend; used by the simulator, the paper broker and the backtester),
  :mod:`~kalshi_edge.exchange.engine_types` (its order/fill/trade/delta records) and
  :mod:`~kalshi_edge.exchange.liquidity` (external liquidity from recorded books).
* venue — :mod:`~kalshi_edge.exchange.state` (``Exchange``: markets, accounts, fills into
  positions, settlement, scheduled fee changes), :mod:`~kalshi_edge.exchange.order_rules`
  (order-entry rules: create, amend, decrease, cancel-all), :mod:`~kalshi_edge.exchange.order_groups`
  (the rolling 15 s contracts limit), :mod:`~kalshi_edge.exchange.historical` (the archive behind
  the cutoff), :mod:`~kalshi_edge.exchange.records` (records and clocks),
  :mod:`~kalshi_edge.exchange.wire` (response shapes).
* server — :mod:`~kalshi_edge.exchange.simulator` (the public import point:
  ``run_simulator_in_thread``, ``build_simulator``, ``serve``), :mod:`~kalshi_edge.exchange.server`
  (app, middleware, route table), :mod:`~kalshi_edge.exchange.routes_market`,
  :mod:`~kalshi_edge.exchange.routes_portfolio`, :mod:`~kalshi_edge.exchange.routes_orders`,
  :mod:`~kalshi_edge.exchange.routes_history`, :mod:`~kalshi_edge.exchange.routes_admin`,
  :mod:`~kalshi_edge.exchange.ws_hub`, :mod:`~kalshi_edge.exchange.params` (HTTP plumbing),
  :mod:`~kalshi_edge.exchange.harness` (threads and serving).
* data — :mod:`~kalshi_edge.exchange.scenario` (what the simulator serves: built-in scenario,
  replays) and :mod:`~kalshi_edge.exchange.templates` (spec-shaped object templates).
* :mod:`~kalshi_edge.exchange.faults`, :mod:`~kalshi_edge.exchange.auth` — fault injection and
  signature verification; :mod:`~kalshi_edge.exchange.demo` — the simulator demo.

Submodules are imported explicitly (this package imports nothing heavy on its own).
"""
