"""The simulator's public import point: a local Kalshi-compatible exchange (REST ``/trade-api/v2``, WS ``/trade-api/ws/v2``).

One aiohttp server on one port serves a :class:`~kalshi_edge.exchange.scenario.Scenario`
through the :class:`~kalshi_edge.exchange.state.Exchange` (which matches with the one
:class:`~kalshi_edge.exchange.matching.MatchingEngine`). Used by offline demos, paper trading and
tests; started by ``kalshi-edge simulator`` or, in-process, by :func:`run_simulator_in_thread`::

    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    with run_simulator_in_thread(faults="all", seed=7) as sim:
        sim.base_url   # "http://127.0.0.1:54321/trade-api/v2"  (give this to the REST client)
        sim.ws_url     # "ws://127.0.0.1:54321/trade-api/ws/v2"
        sim.exchange   # the live Exchange: sim.exchange.engine.book(ticker), .accounts, ...
        sim.exchange.settle_market("KXHIGHNY-26JUL12-T82", "no")
        sim.set_book(ticker, yes=[("0.40", "10")], no=[("0.55", "5")])   # replace external liquidity

REST endpoints (responses follow ``kalshi-openapi-3.13.0.yaml``; dollars as 4-decimal strings,
counts as ``*_fp`` 2-decimal strings, balance in integer cents; ``limit``/``cursor`` pagination
where the spec has it): ``GET /exchange/status``, ``/series``, ``/series/{series}``, ``/events``,
``/events/{event}``, ``/markets``, ``/markets/{ticker}``, ``/markets/{ticker}/orderbook``,
``/markets/orderbooks``, ``/markets/trades``, ``/series/{s}/markets/{t}/candlesticks``,
``/markets/candlesticks``, ``/portfolio/balance``, ``/portfolio/positions``, ``/portfolio/orders``
(also filtered by ``client_order_id``), ``/portfolio/orders/{id}``, ``/portfolio/fills``,
``/portfolio/settlements``; ``POST /portfolio/orders`` and ``DELETE /portfolio/orders/{id}``
(legacy), ``POST /portfolio/orders/{id}/decrease``, ``GET /portfolio/orders/{id}/queue_position``,
and ``POST /portfolio/events/orders`` and ``DELETE /portfolio/events/orders/{id}`` (V2).
Since spec 3.14–3.34 (shapes: the official SDK 3.34 models, which validate every response in
tests/kalshi/test_sdk_334_shapes.py): V2 ``POST .../events/orders/{id}/amend`` (new total = filled +
resting) and ``/decrease``, ``DELETE /portfolio/events/orders`` (cancel-all), ``POST``/``DELETE
.../events/orders/batched`` (per-order errors; at most the tier's write bucket / 10 orders),
legacy ``POST /portfolio/orders/{id}/amend``, ``GET /portfolio/orders/queue_positions``, order
groups (``/portfolio/order_groups``, ``/create``, ``/{id}``, ``/{id}/limit|trigger|reset``; rolling
15 s contracts limit), ``/portfolio/summary/total_resting_order_value``, ``/account/limits``,
``/exchange/schedule``, ``/historical/cutoff|markets[/{t}[/candlesticks]]|trades|fills|orders|positions``,
``/series/fee_changes``, ``/events/fee_changes``, ``/series/{s}/events/{e}/forecast_percentile_history``
(market-implied) and ``/live_data/weather/{city}``.
A second create with the same ``client_order_id`` answers **409** ``order_already_exists`` with
the existing order id in ``details``; nothing new is created.

Admin endpoints (not Kalshi's; never faulted): ``POST /_sim/settle`` ``{"ticker", "result"}``,
``POST /_sim/book`` ``{"ticker", "yes_dollars", "no_dollars"}``, ``POST /_sim/clock``
``{"advance_seconds"}``, ``GET /_sim/state``. Under ``auth="verify"`` the writing ones are off
(404) unless ``admin_token`` / ``--admin-token`` is set, then they need ``X-Sim-Admin-Token``.

Hostile input never reaches a 500: bodies and WebSocket commands nested deeper than 32 levels,
counts beyond 10^9, ``buy_max_cost`` beyond $100M and non-numeric or absurd values answer 400
naming the field; a malformed WebSocket command gets an ``error`` frame and the socket stays open.

WebSocket: the upgrade is authenticated like REST (signing ``ts + "GET" + "/trade-api/ws/v2"``)
when ``auth="verify"``. Commands ``subscribe`` (one ``sid`` per channel), ``unsubscribe``
(reply ``unsubscribed`` per sid), ``update_subscription`` (``add_markets`` | ``delete_markets`` |
``get_snapshot``; reply ``ok``), ``list_subscriptions`` (reply ``ok`` with
``[{"channel", "sid"}]``); errors ``{"type": "error", "msg": {"code", "msg"}}``. Channels:
``orderbook_delta`` (``orderbook_snapshot`` then ``orderbook_delta``, ``seq`` +1 per message per
sid), ``ticker``, ``trade``, ``fill`` (own fills only), ``market_lifecycle_v2`` (also carrying
``event_fee_update`` when a scheduled event fee change takes effect), and the private
``user_orders`` (``user_order``: the ``Order`` after each change), ``market_positions``
(``market_position``) and ``order_group_updates`` (``order_group_update``). A Ping frame
every 10 s. Snapshots and deltas come from one published copy of the books, so a client that
applies them in order has exactly the exchange's book after every message.

Faults (``faults=`` / ``--faults``, see :mod:`kalshi_edge.exchange.faults`) apply to
``/trade-api/v2`` requests and WebSocket messages. Auth ``"off"`` makes every request act for
the ``"default"`` account; ``"verify"`` requires valid signatures on portfolio endpoints, the
order book endpoints and the WebSocket (public market data stays open, as on Kalshi).

Where the code lives: :mod:`~kalshi_edge.exchange.server` (the app, middleware, route table),
:mod:`~kalshi_edge.exchange.routes_market`, :mod:`~kalshi_edge.exchange.routes_portfolio`,
:mod:`~kalshi_edge.exchange.routes_admin` (REST handlers), :mod:`~kalshi_edge.exchange.ws_hub`
(WebSocket), :mod:`~kalshi_edge.exchange.harness` (running it), :mod:`~kalshi_edge.exchange.wire`
(response shapes) and :mod:`~kalshi_edge.exchange.state` (venue rules). This module re-exports
what other code imports from here.
"""

from __future__ import annotations

from kalshi_edge.exchange.harness import SimulatorHandle, build_simulator, run_simulator_in_thread, serve
from kalshi_edge.exchange.params import API, WS_PATH
from kalshi_edge.exchange.server import Simulator
from kalshi_edge.exchange.ws_hub import CHANNELS, PING_SECONDS, Hub

__all__ = [
    "API",
    "CHANNELS",
    "PING_SECONDS",
    "WS_PATH",
    "Hub",
    "Simulator",
    "SimulatorHandle",
    "build_simulator",
    "run_simulator_in_thread",
    "serve",
]
