"""Kalshi: exact money types, fees, domain model, contract semantics, REST and WebSocket clients.

Module map:

* ``money`` — Decimal prices/counts/cents helpers; ``fees`` — THE fee function (``order_fee``).
* ``models`` — Series, Event, Market (tick validation, fee schedule), OrderBook, Order, Fill,
  Position, Settlement, Trade, Balance; ``parse_*`` accept ``*_dollars``/``*_fp`` and legacy cents.
* ``semantics`` — which outcomes pay YES (``payout_interval``, ``yes_region``), ``parse_ticker``,
  ``Ladder`` (tiling check); fails closed (``SemanticsError``).
* ``errors`` — KalshiError ▸ TemporaryError (retried) / PermanentError ▸ AuthError, schema errors.
* ``auth`` — RSA-PSS / Ed25519 request signing; ``rest`` — ``KalshiRestClient`` (pagination guard,
  tier token buckets, typed retries, idempotent ``create_order``, V2 + legacy order adapter).
* ``ws`` — ``BookKeeper`` (seq-checked books) and ``KalshiWsClient``; ``journal`` — raw frames JSONL.
* ``datasets`` / ``ingest`` / ``tasks`` — lake datasets and the ingestion the DAGs call;
  ``demo`` — the offline demo hook.
"""
