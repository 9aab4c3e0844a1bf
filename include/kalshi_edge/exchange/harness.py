"""Running the simulator: build it from CLI-style arguments, serve it, or run it on a background thread (tests)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from kalshi_edge.exchange.auth import KeyStore
from kalshi_edge.exchange.faults import FaultInjector, FaultSpec
from kalshi_edge.exchange.params import API, WS_PATH
from kalshi_edge.exchange.scenario import ReplayFeed, Scenario, builtin_scenario
from kalshi_edge.exchange.server import Simulator
from kalshi_edge.exchange.state import Exchange, ManualClock, SimClock
from kalshi_edge.exchange.ws_hub import PING_SECONDS


@dataclass
class SimulatorHandle:
    """What :func:`run_simulator_in_thread` yields."""

    base_url: str
    ws_url: str
    host: str
    port: int
    exchange: Exchange
    simulator: Simulator
    loop: asyncio.AbstractEventLoop

    @property
    def faults(self) -> FaultInjector:
        return self.simulator.faults

    def set_book(self, ticker: str, *, yes: list[tuple[Any, Any]], no: list[tuple[Any, Any]]) -> None:
        """Replace the external liquidity of ``ticker`` (streamed to WebSocket subscribers)."""
        self.exchange.set_external_book(ticker, yes=yes, no=no)

    def settle(self, ticker: str, result: str) -> list[dict[str, Any]]:
        return self.exchange.settle_market(ticker, result)

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn`` on the server's event loop thread and return its result."""
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)


def build_simulator(
    *,
    scenario: Scenario | None = None,
    faults: str | FaultSpec | None = None,
    auth: str = "off",
    keys_dir: Path | None = None,
    seed: int = 0,
    clock: SimClock | ManualClock | None = None,
    replay: list[Path] | None = None,
    speed: float = 1.0,
    fee_tick: Decimal | None = None,
    ping_seconds: float = PING_SECONDS,
    admin_token: str | None = None,
    tier: str = "basic",
) -> Simulator:
    """Assemble exchange + simulator from CLI-style arguments (no server started)."""
    feed = ReplayFeed.from_files(replay) if replay else None
    if scenario is None:
        if feed is not None:
            from kalshi_edge.exchange.scenario import scenario_from_replay

            scenario = scenario_from_replay(feed)
        else:
            scenario = builtin_scenario(seed=seed)
    clk = clock or SimClock(feed.start if feed is not None and feed.start else scenario.clock_start, speed=speed)
    ex_kwargs: dict[str, Any] = {"clock": clk, "seed": seed}
    if fee_tick is not None:
        ex_kwargs["fee_tick"] = fee_tick
    exchange = Exchange(scenario, **ex_kwargs)
    spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
    keys = KeyStore.from_dir(keys_dir) if keys_dir else None
    return Simulator(exchange, faults=FaultInjector(spec, seed=seed), auth=auth, keys=keys, replay=feed,
                     ping_seconds=ping_seconds, admin_token=admin_token, tier=tier)


@contextlib.contextmanager
def run_simulator_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    scenario: Scenario | None = None,
    faults: str | FaultSpec | None = None,
    auth: str = "off",
    keys_dir: Path | None = None,
    seed: int = 0,
    *,
    clock: SimClock | ManualClock | None = None,
    replay: list[Path] | None = None,
    speed: float = 1.0,
    ping_seconds: float = PING_SECONDS,
    fee_tick: Decimal | None = None,
    admin_token: str | None = None,
    tier: str = "basic",
) -> Iterator[SimulatorHandle]:
    """Run the simulator on a background thread; yield a :class:`SimulatorHandle`; stop on exit.

    ``port=0`` picks a free port (read it from ``handle.port``/``handle.base_url``). ``scenario``
    defaults to the built-in one; ``clock`` defaults to real time from the scenario's
    ``clock_start`` (pass a :class:`ManualClock` for fully deterministic tests). ``faults`` is a
    ``--faults`` string; ``auth="verify"`` needs ``keys_dir`` of ``<key id>.pem`` public keys.
    ``fee_tick`` is the fee rounding tick in dollars (default $0.01, ``Settings.fee_rounding_tick``).
    ``admin_token`` unlocks the writing ``/_sim/*`` routes under ``auth="verify"`` (header
    ``X-Sim-Admin-Token``); the handle's own methods call the exchange directly and need none.
    ``tier`` is every key's rate tier (``GET /account/limits``; batches hold its write bucket / 10).
    """
    sim = build_simulator(scenario=scenario, faults=faults, auth=auth, keys_dir=keys_dir, seed=seed,
                          clock=clock, replay=replay, speed=speed, ping_seconds=ping_seconds,
                          fee_tick=fee_tick, admin_token=admin_token, tier=tier)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(sim.app(), handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # surface bind errors to the caller
            state["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="kalshi-sim", daemon=True)
    thread.start()
    started.wait(30)
    if "error" in state:
        raise state["error"]
    p = state["port"]
    handle = SimulatorHandle(base_url=f"http://{host}:{p}{API}", ws_url=f"ws://{host}:{p}{WS_PATH}", host=host,
                             port=p, exchange=sim.exchange, simulator=sim, loop=loop)
    try:
        yield handle
    finally:
        async def stop() -> None:
            await state["runner"].cleanup()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
        loop.close()


def serve(sim: Simulator, host: str, port: int) -> None:
    """Run until interrupted (the CLI)."""
    web.run_app(sim.app(), host=host, port=port, print=None, access_log=None)
