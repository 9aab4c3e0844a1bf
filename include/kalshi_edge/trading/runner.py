"""Assemble a :class:`TradingSession` from settings (the CLI, the sensor DAG and the demo share it).

Broker choice (paper is the default; live is guarded in one place):

* ``mode="paper"`` and the REST host is the local simulator → :class:`RestBroker` on the simulator
  (orders really go to a Kalshi-compatible exchange; its clock drives the gates);
* ``mode="paper"`` against Kalshi (demo/prod market data) → :class:`PaperBroker`: orders are filled
  in-process by the shared matching engine against the observed books, nothing is sent;
* ``mode="live"`` → :func:`require_live_allowed` (TRADE_MODE=live AND ``--live``), then
  :func:`preflight`, then :class:`RestBroker` on Kalshi with exchange-side protection.

Every session with a :class:`RestBroker` (live, paper on the simulator, the sensor's order task)
creates its own exchange order group at start, records ``{session, order_group_id}`` in the ledger
(one ``session`` event) and sends every order in that group, so two traders on one account never
cancel each other's orders (:func:`~kalshi_edge.trading.brokers.own_resting_order_ids`).

Such a session can learn its fills from the WebSocket ``fill`` channel (``fills="ws"``, `trade
--fills ws`): a :class:`~kalshi_edge.kalshi.ws.FillStream` in its :class:`RestBroker`, REST polling
after a dropped socket, and polling with one warning when the socket cannot connect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kalshi_edge.trading.brokers import (
    LiveNotAllowed,
    PaperBroker,
    RestBroker,
    create_order_group,
    now_utc,
    preflight,
    require_live_allowed,
)
from kalshi_edge.trading.intents import GateConfig
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.risk import KillSwitch, RiskEngine, RiskLimits
from kalshi_edge.trading.session import TradingSession, decide_intents, rest_market_source, simulator_clock
from kalshi_edge.trading.strategy import FAMILIES, Strategy, list_strategies


class SessionError(RuntimeError):
    """The session cannot start (unreachable host, bad combination); the message says why."""


REST_PATH = "/trade-api/v2"
WS_PATH = "/trade-api/ws/v2"


def api_roots(base_url: str) -> tuple[str, str]:
    """(REST root, WebSocket root) from a host (``http://127.0.0.1:8765``) or a full API root
    (``https://…/trade-api/v2`` or ``…/trade-api/ws/v2``). Raises ValueError naming the URL."""
    from urllib.parse import urlparse

    raw = base_url.strip().rstrip("/")
    u = urlparse(raw)
    if u.scheme not in ("http", "https", "ws", "wss") or not u.netloc:
        raise ValueError(f"--base-url: {base_url!r} is not a URL like http://127.0.0.1:8765 or "
                         f"https://host{REST_PATH}")
    path = u.path
    if path in ("", "/"):
        prefix = ""
    elif "/trade-api/" in path + "/":
        prefix = path.split("/trade-api")[0]
    else:
        raise ValueError(f"--base-url: {base_url!r} is neither a host nor an API root ending in {REST_PATH}")
    secure = u.scheme in ("https", "wss")
    host = u.netloc + prefix
    return (f"{'https' if secure else 'http'}://{host}{REST_PATH}", f"{'wss' if secure else 'ws'}://{host}{WS_PATH}")


#: Book-only strategies that stand in for a family until it registers its own (family="<f>").
FALLBACK_STRATEGIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ladder_consensus", {}),
    ("longshot_fade", {}),
)


def strategies_for(families: Sequence[str], params: dict[str, dict[str, Any]] | None = None, *,
                   with_fallbacks: bool = False, names: Sequence[str] | None = None,
                   settings: Any = None) -> list[Strategy]:
    """The strategies trading ``families``: each family's registered ones, else (or also, with
    ``with_fallbacks``) the book-only fallbacks restricted to that family. ``names`` picks
    strategies explicitly instead. ``params`` maps strategy name → constructor params;
    ``settings`` (where the artifacts and the lake are) is given to every model strategy."""
    params = dict(params or {})
    if settings is not None:
        for name, cls in list_strategies().items():
            if not cls.book_only:
                params[name] = {"settings": settings, **params.get(name, {})}
    registry = list_strategies()
    out: list[Strategy] = []
    if names:
        for n in names:
            if n not in registry:
                raise SessionError(f"unknown strategy {n!r}; known: {', '.join(registry)}")
            out.append(registry[n](**params.get(n, {})))
        return out
    for fam in families:
        own = [cls for cls in registry.values() if cls.family == fam]
        if own:
            out.extend(cls(**params.get(cls.name, {})) for cls in own)
            if not with_fallbacks:
                continue
        for name, base in FALLBACK_STRATEGIES:
            out.append(registry[name](**{**base, **params.get(name, {}), "family": fam}))
    return out


def parse_families(family: str) -> list[str]:
    if family == "all":
        return list(FAMILIES)
    if family not in FAMILIES:
        raise ValueError(f"--family: {family!r} is not one of {', '.join(FAMILIES)}, all")
    return [family]


@dataclass(slots=True)
class SessionHandle:
    session: TradingSession
    mode: str
    broker_kind: str
    base_url: str
    ledger_path: Path
    close: Callable[[], None]
    #: What ``fills=`` asked for after the fallback: ``ws`` (the WebSocket ``fill`` channel),
    #: ``rest`` (``GET /portfolio/fills`` each step) or ``in-process`` (the paper broker).
    fills: str = "rest"
    #: Warnings the caller should show (e.g. the fill stream could not connect).
    warnings: list[str] = field(default_factory=list)

    def fill_status(self) -> dict[str, Any]:
        """``fill_source`` now (``ws``, ``ws-down`` while the socket reconnects, ``rest``,
        ``in-process``) and ``fill_polls``, the ``GET /portfolio/fills`` polls so far."""
        broker = self.session.broker
        if not isinstance(broker, RestBroker):
            return {"fill_source": "in-process", "fill_polls": 0}
        return {"fill_source": broker.fill_source, "fill_polls": broker.fill_polls}


#: Seconds :func:`open_session` waits for the fill stream's subscription before polling instead.
FILL_STREAM_TIMEOUT_S = 5.0


def _start_fill_stream(settings: Any, wurl: str, *, timeout: float) -> tuple[Any, str | None]:
    """(a started :class:`~kalshi_edge.kalshi.ws.FillStream`, None), or (None, the warning) when
    its socket cannot connect and subscribe to ``fill`` within ``timeout`` seconds."""
    from kalshi_edge.kalshi.ws import FillStream, KalshiWsClient

    try:
        stream = FillStream(KalshiWsClient.from_settings(settings, url=wurl, open_timeout=timeout))
        stream.start(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to start means: poll REST instead
        return None, f"fill stream at {wurl} could not start ({exc}); polling GET /portfolio/fills each step instead"
    if stream.healthy:
        return stream, None
    why = f"{type(stream.error).__name__}: {stream.error}" if stream.error else f"no subscription within {timeout:g}s"
    stream.stop(timeout=1.0)
    return None, (f"fill stream at {wurl} could not connect ({why}); "
                  "polling GET /portfolio/fills each step instead")


def _is_simulator(base_url: str) -> Callable[[], datetime] | None:
    """The simulator's clock if ``base_url`` is served by the local simulator, else None.

    Only loopback hosts are probed (``/_sim/state`` is the simulator's admin endpoint; a real
    exchange is never asked for it).
    """
    from urllib.parse import urlparse

    if urlparse(base_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    clock = simulator_clock(base_url)
    try:
        clock()
    except Exception:  # noqa: BLE001 - not a simulator (or unreachable): no simulator clock
        return None
    return clock


def session_group_limit(limits: RiskLimits, *, live: bool) -> int:
    """The rolling-15 s contracts limit of a session's order group.

    Live: the per-market contract limit (exchange-side protection: a burst beyond it cancels the
    group's orders). Paper on the simulator: the group is there for ownership, not protection, so
    its limit is the most contracts the total-dollar cap could ever buy at one cent (at least the
    per-market limit): it never trips before the risk engine would have stopped the session.
    """
    per_market = int(limits.max_contracts_per_market)
    if live:
        return max(per_market, 1)
    return max(per_market, int(limits.max_dollars_total / Decimal("0.01")), 1)


def _reusable_group(client: Any, ledger: OrderLedger, trader: str) -> str | None:
    """The order group ``trader``'s last session recorded in ``ledger``, if the exchange still has
    it and it has not tripped; else None (the caller creates a new one)."""
    from kalshi_edge.kalshi.errors import PermanentError

    last = next((e for e in reversed(ledger.events()) if e.get("event") == "session" and e.get("trader") == trader
                 and e.get("order_group_id")), None)
    if last is None:
        return None
    try:
        group = client.get_order_group(str(last["order_group_id"]))
    except PermanentError:  # deleted (404) or not this account's: start a new group
        return None
    return None if group.triggered else group.group_id


def open_session(
    settings: Any,
    *,
    mode: str = "paper",
    live_flag: bool = False,
    families: Sequence[str] = FAMILIES,
    base_url: str | None = None,
    ledger_path: Path | None = None,
    gates: GateConfig | None = None,
    limits: RiskLimits | None = None,
    strategy_params: dict[str, dict[str, Any]] | None = None,
    client_kwargs: dict[str, Any] | None = None,
    cancel_on_shutdown: bool = True,
    market_data: str = "rest",
    ws_url: str | None = None,
    strategies: Sequence[Strategy] | None = None,
    adopt_exchange_state: bool = False,
    override_readiness: str | None = None,
    trader: str | None = None,
    fills: str = "rest",
    fill_stream_timeout: float = FILL_STREAM_TIMEOUT_S,
) -> SessionHandle:
    """Build the session (does not step it). Raises :class:`LiveNotAllowed` with the reason.

    ``fills="ws"``: a session with a :class:`RestBroker` (live, paper on the simulator) learns
    its fills from the WebSocket ``fill`` channel (:class:`~kalshi_edge.kalshi.ws.FillStream`,
    at ``ws_url`` or the root derived from the REST host) instead of polling
    ``GET /portfolio/fills`` every step; after a dropped socket it polls once. A stream that
    cannot connect within ``fill_stream_timeout`` seconds is replaced by polling, with one
    warning (logged and in ``handle.warnings``). ``fills="rest"`` polls every step.

    ``trader`` names a trader that spans many short sessions (the sensor's order task, one
    session per run): its sessions reuse the order group its last session recorded in this
    ledger while the exchange still has it untripped, so its orders stay in one group (and the
    account does not collect a group per run). Without it each session has its own group."""
    from kalshi_edge.kalshi.rest import KalshiRestClient

    if mode not in ("paper", "live"):
        raise ValueError(f"mode: {mode!r} is not paper|live")
    if mode == "live" or live_flag:
        require_live_allowed(settings=settings, live_flag=live_flag)
        mode = "live"
    try:
        url, derived_ws = api_roots(base_url) if base_url else (settings.rest_base_url.rstrip("/"), settings.ws_url)
    except ValueError as exc:
        raise SessionError(str(exc)) from None
    if market_data not in ("rest", "ws"):
        raise ValueError(f"market_data: {market_data!r} is not rest|ws")
    if fills not in ("rest", "ws"):
        raise ValueError(f"fills: {fills!r} is not rest|ws")
    client = KalshiRestClient.from_settings(settings, base_url=url, **(client_kwargs or {}))
    gates = gates or GateConfig.from_settings(settings)
    limits = limits or RiskLimits.from_settings(settings)
    # 1. Decide the broker first: every refusal happens before anything is opened or written.
    order_group_id: str | None = None
    sim_clock = None
    if mode == "live":
        problems = preflight(client)
        if not problems:  # the readiness gate (kalshi_edge.ops.gate); an override is ledgered
            from kalshi_edge.ops.gate import readiness_problems

            problems = readiness_problems(settings, families, override_reason=override_readiness, ledger_path=(
                ledger_path or Path(settings.data_dir) / "ledger" / "orders_live.jsonl"))
        if problems:
            client.close()
            raise LiveNotAllowed("preflight failed: " + "; ".join(problems))
    else:
        from urllib.parse import urlparse

        sim_clock = _is_simulator(url)
        if sim_clock is None and urlparse(url).hostname in ("127.0.0.1", "localhost", "::1"):
            client.close()
            raise SessionError(f"no simulator answers at {url}; start one with `kalshi-edge simulator` "
                               "or give --base-url")
    # 2. Market data.
    closers: list[Callable[[], None]] = []
    if market_data == "ws":
        from kalshi_edge.kalshi.ws import KalshiWsClient
        from kalshi_edge.trading.ws_source import WsMarketSource

        wurl = ws_url or derived_ws
        ws_source = WsMarketSource(wurl, client, ws_client=KalshiWsClient.from_settings(settings, url=wurl))
        closers.append(ws_source.close)
        source: Any = ws_source
    else:
        source = rest_market_source(client)
    # 3. Broker, ledger, risk.
    if mode == "live":
        broker: Any = RestBroker(client, live=True)
        clock: Callable[[], datetime] = now_utc
        kind = "live"
    elif sim_clock is not None:
        broker, clock, kind = RestBroker(client), sim_clock, "simulator"
    else:
        paper = PaperBroker(tick=Decimal(str(settings.fee_rounding_tick)))
        inner = source

        def source(now: datetime, _inner=inner, _paper=paper):  # type: ignore[no-redef]
            snaps = _inner(now)
            for s in snaps:  # the observed books are the paper broker's liquidity
                _paper.observe(replace(s))
            return snaps

        broker, clock, kind = paper, now_utc, "paper-in-process"
    # 4. Fills: the WebSocket fill channel (subscribed before the reconcile below, so a fill after
    # it is pushed and one before it is in the reconcile's REST reads), else REST polling.
    warnings: list[str] = []
    fill_source = "in-process" if kind == "paper-in-process" else "rest"
    if fills == "ws" and isinstance(broker, RestBroker):
        stream, warning = _start_fill_stream(settings, ws_url or derived_ws, timeout=fill_stream_timeout)
        if stream is None:
            import logging

            logging.getLogger(__name__).warning("%s", warning)
            warnings.append(str(warning))
        else:
            broker.fill_stream = stream
            closers.insert(0, stream.stop)
            fill_source = "ws"

    def abort() -> None:  # a refusal below: close what was opened, then re-raise
        for c in closers:
            c()
        ledger.close()
        client.close()

    ledger_path = ledger_path or Path(settings.data_dir) / "ledger" / f"orders_{mode}.jsonl"
    ledger = OrderLedger(ledger_path)
    if kind != "paper-in-process":  # stop before trading if the exchange forgot what the ledger has
        from kalshi_edge.trading.reconcile import check_exchange_state

        try:
            check_exchange_state(ledger, broker, adopt=adopt_exchange_state, where=f"{kind} at {url}")
        except BaseException:
            abort()
            raise
        # Each trader owns its orders (issue 13): this session's own order group, recorded in the
        # ledger before any order; every order carries it, and shutdown / the kill switch cancel
        # only what rests in it.
        try:
            contracts_limit = session_group_limit(limits, live=kind == "live")
            order_group_id = _reusable_group(client, ledger, trader) if trader else None
            if order_group_id is None:
                order_group_id = create_order_group(client, contracts_limit=contracts_limit)
            ledger.record_session(order_group_id=order_group_id, broker=kind, contracts_limit=contracts_limit,
                                  **({"trader": trader} if trader else {}))
        except BaseException:
            abort()
            raise
    risk = RiskEngine(limits, KillSwitch.from_settings(settings))
    session = TradingSession(
        strategies=list(strategies) if strategies is not None else strategies_for(families, strategy_params,
                                                                                  settings=settings),
        broker=broker, ledger=ledger, risk=risk, gates=gates,
        markets=source, clock=clock, cancel_on_shutdown=cancel_on_shutdown, families=set(families),
        order_group_id=order_group_id,
    )

    def close() -> None:
        for c in closers:
            c()
        ledger.close()
        client.close()

    return SessionHandle(session=session, mode=mode, broker_kind=kind, base_url=url, ledger_path=ledger_path,
                         close=close, fills=fill_source, warnings=warnings)


#: Strategies the trigger's scans reuse (their loaded artifacts), by configuration; rebuilt after
#: ``SCAN_STRATEGY_TTL_S`` so a retrained artifact is picked up within minutes.
_SCAN_STRATEGIES: dict[str, tuple[float, list[Strategy]]] = {}
SCAN_STRATEGY_TTL_S = 300.0


def _scan_strategies(settings: Any, families: Sequence[str], params: dict[str, dict[str, Any]] | None,
                     names: Sequence[str] | None) -> list[Strategy]:
    import json
    import time

    key = json.dumps([list(families), params or {}, list(names or []), str(settings.models_dir),
                      str(settings.data_dir)], sort_keys=True, default=str)
    hit = _SCAN_STRATEGIES.get(key)
    if hit is not None and time.monotonic() - hit[0] < SCAN_STRATEGY_TTL_S:
        return hit[1]
    strategies = strategies_for(families, params, names=names, settings=settings)
    _SCAN_STRATEGIES[key] = (time.monotonic(), strategies)
    return strategies


def scan_intents(settings: Any, *, families: Sequence[str] = FAMILIES, base_url: str | None = None,
                 strategy_params: dict[str, dict[str, Any]] | None = None, gates: GateConfig | None = None,
                 client_kwargs: dict[str, Any] | None = None,
                 strategy_names: Sequence[str] | None = None,
                 outcomes: dict[str, str | None] | None = None) -> list[dict[str, Any]]:
    """Intents that pass the gates right now, as JSON-safe dicts. Read-only: no ledger, no order.

    The sensor's trigger calls this (a trigger may run twice, so it must have no side effects).
    ``outcomes`` collects, per strategy that had markets to price, ``None`` (priced) or its error
    (see :func:`~kalshi_edge.trading.session.decide_intents`).
    """
    from kalshi_edge.kalshi.rest import KalshiRestClient

    url = api_roots(base_url)[0] if base_url else settings.rest_base_url.rstrip("/")
    with KalshiRestClient.from_settings(settings, base_url=url, **(client_kwargs or {})) as client:
        clock = _is_simulator(url) or now_utc
        now = clock()
        markets = rest_market_source(client)(now)
    intents = decide_intents(_scan_strategies(settings, families, strategy_params, strategy_names), markets, now,
                             gates or GateConfig.from_settings(settings), set(families), outcomes=outcomes)
    return [i.to_dict() for i in intents]


def _holds_nothing(ledger_path: Path) -> bool:
    """True when the ledger at ``ledger_path`` has no held position and no order that is not yet
    terminal (a resting one may fill): a step without intents has nothing to check. A missing
    ledger is not created."""
    if not ledger_path.exists():
        return True
    with OrderLedger(ledger_path) as led:
        return not led.net_positions() and not led.open_orders()


def place_intents(settings: Any, intents: Sequence[dict[str, Any]], *, families: Sequence[str] = FAMILIES,
                  base_url: str | None = None, ledger_path: Path | None = None, live_flag: bool = False,
                  client_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sensor path's one session step: send the sensor's intents (possibly none) through
    reconcile → exits (risk stop-loss + each strategy's :meth:`Strategy.exits` on the ledger's held
    positions) → risk → ledger → broker (paper unless the live switches are on). Idempotent: an
    intent (entry or exit) whose ``client_order_id`` is in the ledger is skipped, so a retried task
    never sends twice. Returns the session summary plus ``checked_positions`` (positions held when
    the exits were checked).

    With no intents and nothing held or working in the ledger there is nothing to check: no
    session is opened (no exchange request, no order group, no ledger write) and the summary says so.
    """
    from kalshi_edge.trading.intents import OrderIntent

    parsed = [OrderIntent.from_dict(dict(d)) for d in intents]
    mode = "live" if live_flag else "paper"
    if not parsed:
        if live_flag:
            require_live_allowed(settings=settings, live_flag=live_flag)  # refused the same, even with nothing to do
        path = ledger_path or Path(settings.data_dir) / "ledger" / f"orders_{mode}.jsonl"
        if _holds_nothing(path):
            return {"placed": [], "skipped": "no intents and no held position or working order: nothing to check",
                    "halted": "", "checked_positions": 0, "orders_sent": 0, "exits": {}, "denied": {}, "positions": {},
                    "errors": [], "strategy_errors": {}}
    h = open_session(settings, mode=mode, live_flag=live_flag, families=families,
                     base_url=base_url, ledger_path=ledger_path, client_kwargs=client_kwargs,
                     cancel_on_shutdown=False, trader="sensor")
    try:
        h.session.reconcile()  # fills of earlier runs' resting orders first, so the count below is current
        checked = len(h.session.ledger.net_positions())
        result = h.session.execute(parsed)  # (execute reconciles again only if that failed)
        summary = h.session.summary()
    finally:
        h.close()
    return {"placed": result.get("placed", []), "skipped": result.get("skipped", ""),
            "halted": result.get("halted", ""), "checked_positions": checked, **summary}
