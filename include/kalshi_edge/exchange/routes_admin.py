"""The simulator's own admin/scenario routes (``/_sim/*``: settle, book, clock, state) and the replay feed driver."""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from aiohttp import web

from kalshi_edge.exchange.params import read_body
from kalshi_edge.exchange.scenario import iso
from kalshi_edge.exchange.state import ApiError
from kalshi_edge.kalshi.money import ONE

if TYPE_CHECKING:
    from kalshi_edge.exchange.faults import FaultInjector
    from kalshi_edge.exchange.scenario import ReplayFeed
    from kalshi_edge.exchange.state import Exchange
    from kalshi_edge.exchange.ws_hub import Hub

#: ``/_sim/clock`` moves at most ten years at a time.
MAX_ADVANCE_SECONDS = 10 * 366 * 86400


class AdminRoutes:
    """``/_sim/*`` handlers and the replay loop (mixed into the Simulator)."""

    exchange: Exchange
    faults: FaultInjector
    replay: ReplayFeed | None
    hub: Hub
    replay_skipped_crossed: int

    async def _replay_loop(self) -> None:
        assert self.replay is not None
        while not self.replay.exhausted:
            self.apply_replay_due()
            await asyncio.sleep(0.05)

    def apply_replay_due(self) -> int:
        """Apply every replayed book update due at the simulator clock. Returns how many."""
        from kalshi_edge.exchange.scenario import REPLAY_LEVEL_SIZE

        assert self.replay is not None
        n = 0
        for u in self.replay.due(self.exchange.now()):
            if u.ticker not in self.exchange.markets:
                continue
            if u.yes_bid is not None and u.no_bid is not None and u.yes_bid + u.no_bid >= ONE:
                self.replay_skipped_crossed += 1  # a crossed/locked recorded quote: not a book
                continue
            yes = [(u.yes_bid, REPLAY_LEVEL_SIZE)] if u.yes_bid is not None else []
            no = [(u.no_bid, REPLAY_LEVEL_SIZE)] if u.no_bid is not None else []
            self.exchange.set_external_book(u.ticker, yes=yes, no=no)
            n += 1
        return n

    async def admin_settle(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        recs = self.exchange.settle_market(str(body.get("ticker", "")), str(body.get("result", "")),
                                           expiration_value=str(body.get("expiration_value", "")))
        return web.json_response({"settlements": recs})

    async def admin_book(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        try:
            self.exchange.set_external_book(str(body.get("ticker", "")), yes=body.get("yes_dollars", []),
                                            no=body.get("no_dollars", []))
        except ValueError as exc:
            raise ApiError(400, "invalid_parameters", str(exc)) from None
        return web.json_response({"orderbook_fp": self.exchange.book_levels(str(body["ticker"]))})

    async def admin_clock(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        try:
            secs = float(body.get("advance_seconds", 0))
        except (TypeError, ValueError, OverflowError):
            raise ApiError(400, "invalid_parameters", "advance_seconds: not a number") from None
        if not math.isfinite(secs) or abs(secs) > MAX_ADVANCE_SECONDS:
            raise ApiError(400, "invalid_parameters", f"advance_seconds: {secs} outside ±{MAX_ADVANCE_SECONDS}")
        self.exchange.clock.advance(secs)
        return web.json_response({"now": iso(self.exchange.now())})

    async def admin_state(self, request: web.Request) -> web.Response:
        return web.json_response({"now": iso(self.exchange.now()), "faults_injected": self.faults.injected,
                                  "markets": len(self.exchange.markets), "ws_connections": len(self.hub.conns),
                                  "replay_skipped_crossed": self.replay_skipped_crossed})
