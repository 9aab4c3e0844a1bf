"""Kalshi: exact money types, fees, domain model, contract semantics, REST and WebSocket clients."""
