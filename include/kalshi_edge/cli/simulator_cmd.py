"""CLI command ``kalshi-edge simulator``: run the local Kalshi-compatible exchange.

    kalshi-edge simulator --host 127.0.0.1 --port 8765 [--markets FILE] [--replay FILE...]
        [--faults SPEC] [--auth verify|off] [--keys DIR] [--admin-token T] [--tier T] [--seed N] [--clock ISO] [--speed X]

Without ``--markets``/``--replay`` it serves the built-in scenario (open KXHIGHNY, KXBTCD/KXBTC
and KXTOPSONG markets from ``data/sample/kalshi``). ``--dump-scenario FILE`` writes the scenario
it would serve and exits (a starting point for a custom ``--markets`` file).

Under ``--auth verify`` the simulator's writing admin routes (``/_sim/settle``, ``/_sim/book``,
``/_sim/clock``) are off unless ``--admin-token`` (or ``KALSHI_SIM_ADMIN_TOKEN``) is given; then
they need the header ``X-Sim-Admin-Token``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kalshi_edge.cli.common import UserError, console, parse_datetime


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("simulator")
    def simulator(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (keep it on loopback)"),
        port: int = typer.Option(8765, "--port", help="TCP port (0 = any free port)"),
        markets: Path | None = typer.Option(None, "--markets", help="Scenario JSON (or a GET /markets dump)"),
        replay: list[Path] | None = typer.Option(None, "--replay", help="Top-of-book log(s) to replay as book updates"),
        faults: str | None = typer.Option(None, "--faults", help="e.g. 429:0.1,5xx:0.05,slow:0.05,lost:0.05,ws_drop:0.01,seq_gap:0.02 or all"),
        auth: str = typer.Option("off", "--auth", help="verify | off"),
        keys: Path | None = typer.Option(None, "--keys", help="Directory of <key id>.pem public keys (for --auth verify)"),
        admin_token: str | None = typer.Option(None, "--admin-token", envvar="KALSHI_SIM_ADMIN_TOKEN",
                                               help="Under --auth verify: unlocks /_sim/* writes (header X-Sim-Admin-Token)"),
        tier: str = typer.Option("basic", "--tier", help="Rate tier of every key: basic | advanced | premier | prime "
                                                         "(GET /account/limits; batch sizes follow it)"),
        seed: int = typer.Option(0, "--seed", help="Seed for faults, ids and generated book depth"),
        clock: str | None = typer.Option(None, "--clock", help="Simulator start time (ISO-8601); default: the scenario's"),
        speed: float = typer.Option(1.0, "--speed", help="Simulator clock speed (replays: 60 = a minute per second)"),
        dump_scenario: Path | None = typer.Option(None, "--dump-scenario", help="Write the scenario JSON and exit"),
    ) -> None:
        """Serve REST under /trade-api/v2 and WebSocket under /trade-api/ws/v2 on one port."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.exchange.faults import FaultSpec, FaultSpecError
        from kalshi_edge.exchange.scenario import Scenario, ScenarioError, builtin_scenario
        from kalshi_edge.exchange.simulator import build_simulator, serve
        from kalshi_edge.exchange.state import SimClock

        if auth not in ("verify", "off"):
            raise UserError(f"--auth: {auth!r} must be 'verify' or 'off'")
        if auth == "verify" and keys is None:
            raise UserError("--auth verify needs --keys DIR with <key id>.pem public keys")
        if speed <= 0:
            raise UserError(f"--speed: {speed} must be positive")
        if tier not in ("basic", "advanced", "premier", "prime"):
            raise UserError(f"--tier: {tier!r} must be basic, advanced, premier or prime")
        if not 0 <= port <= 65535:
            raise UserError(f"--port: {port} is not a TCP port")
        try:
            spec = FaultSpec.parse(faults)
        except FaultSpecError as exc:
            raise UserError(str(exc)) from None
        start = parse_datetime(clock, "--clock") if clock else None
        for p in [*(replay or []), *([markets] if markets else [])]:
            if not p.exists():
                raise UserError(f"{p}: no such file")
        try:
            scenario = Scenario.load(markets) if markets else (None if replay else builtin_scenario(seed=seed, clock=start))
            sim = build_simulator(
                scenario=scenario, faults=spec, auth=auth, keys_dir=keys, seed=seed,
                clock=SimClock(start, speed=speed) if start else None, replay=list(replay) if replay else None,
                speed=speed, fee_tick=get_settings().fee_rounding_tick, admin_token=admin_token, tier=tier,
            )
        except (ScenarioError, ValueError) as exc:
            raise UserError(str(exc)) from None
        if dump_scenario:
            sim.exchange.scenario.save(dump_scenario)
            console.print(f"wrote {dump_scenario} ({len(sim.exchange.markets)} markets)")
            return
        ex = sim.exchange
        _require_free_port(host, port)  # issue 13: one line, exit 1, before the "listening" banner
        console.print(
            f"kalshi-edge simulator: {len(ex.markets)} markets, clock {ex.now():%Y-%m-%dT%H:%M:%SZ} ×{speed:g}, "
            f"auth {auth}, faults {faults or 'none'}\n"
            f"  REST      http://{host}:{port}/trade-api/v2\n"
            f"  WebSocket ws://{host}:{port}/trade-api/ws/v2",
            highlight=False,
        )
        serve(sim, host, port)


def _require_free_port(host: str, port: int) -> None:
    """Raise :class:`EnvironmentProblem` (exit 1) naming host and port when the port is taken."""
    import socket

    from kalshi_edge.cli.common import EnvironmentProblem

    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise EnvironmentProblem(f"--host: cannot resolve {host!r}: {exc.strerror}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(addr)
        except OSError as exc:
            raise EnvironmentProblem(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc}); another process "
                "holds it: stop it or choose another --port (0 = any free port)") from None
