"""The trading loop shared by ``kalshi-edge trade``, the sensor DAG and the demo.

One :meth:`TradingSession.step`:

1. reconcile with the exchange first if anything is uncertain (start, a timeout, a disconnect);
   if the exchange cannot be reached, no order is placed this step;
2. book new fills of resting orders into the ledger;
3. read the open markets, ask every strategy for probabilities, build intents (shared gates);
4. for each intent: skip it if its ``client_order_id`` is already in the ledger (the same decision,
   e.g. after a restart), pass the risk engine, **record the intent, then ``sent``, durably,
   then send**; record the acknowledgement, fills and final state; a send whose outcome is
   unknown marks the order ``unknown`` (its market is blocked) and triggers a reconcile.

**Amend (opt-in).** When a strategy with ``amend_resting`` (or ``GateConfig.amend_resting``)
re-decides a market where this session's maker order of the same strategy, side and action is
still resting at another price, the order is moved with ``broker.amend`` (cancel-replace; the
exchange keeps its order id) instead of skipping the decision as ``already_working``. The new
price and size pass the same risk checks (with the replaced order's exposure left out); the
ledger records ``amend`` ``sent`` before the request and ``done``/``failed`` after it; a lost
answer blocks the market until reconcile reads the order's price at the exchange. An amend never
creates a second order, and its decision id is never sent again.

**Exits.** Every step, before new entries, the session sells (taker, at our side's bid, priced by
:func:`~kalshi_edge.trading.intents.exit_intent` with the one fee function) the positions past the
risk stop-loss (strategy ``stop_loss``) and those a strategy's :meth:`Strategy.exits` asks to close.
A strategy only ever sees, and exits, the positions **it** opened (:meth:`TradingSession.strategy_positions`:
its own fills on the market, capped by the market's net position); the exit is its own intent
(``strategy`` = its name, ``reason`` = the exit's reason, e.g. ``take_profit``), through the same
risk engine (sells are bounded by the position, never by exposure limits), ledger (deterministic
``client_order_id``, never sent twice) and broker as every order: so backtest, paper and live
exit alike. Before an exit the strategy's own resting buys on that market are cancelled, and its
new buys on that market in the same step are dropped (``exiting`` in the decision log): a step
never buys and sells the same market for one strategy.

Nothing here reads the wall clock: ``clock`` is injected (the exchange's clock for the simulator).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kalshi_edge.kalshi.money import ZERO
from kalshi_edge.trading.brokers import Broker, OutcomeUnknown, PlaceResult, own_resting_order_ids
from kalshi_edge.trading.intents import GateConfig, OrderIntent, SkipReason, build_intents, exit_intent
from kalshi_edge.trading.ledger import OrderLedger, reconcile
from kalshi_edge.trading.portfolio import build_state
from kalshi_edge.trading.risk import Approved, RiskEngine, protection_fields
from kalshi_edge.trading.strategy import MarketSnapshot, Strategy, StrategyPosition

log = logging.getLogger(__name__)

MarketSource = Callable[[datetime], list[MarketSnapshot]]

#: A client error (4xx) on the reconcile/read path that repeats this many times stops the session.
MAX_REPEATED_CLIENT_ERRORS = 2


class SessionHalted(RuntimeError):
    """The session cannot go on (a request keeps being refused with a 4xx): the message names it."""


def _client_error(exc: BaseException) -> bool:
    """A permanent 4xx from the exchange (a wrong URL, auth, a bad request): retrying cannot help."""
    from kalshi_edge.kalshi.errors import PermanentError

    status = getattr(exc, "status", None)
    return isinstance(exc, PermanentError) and status is not None and 400 <= int(status) < 500


@dataclass(slots=True)
class SessionStatus:
    """What the status line shows."""

    steps: int = 0
    orders_sent: int = 0
    fills: int = 0
    unknown: int = 0
    reconciles: int = 0
    amends: int = 0
    #: exit orders sent, by reason (``stop_loss``, ``take_profit``, ``time_exit``, ...)
    exits: dict[str, int] = field(default_factory=dict)
    denied: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    last_signal: str = ""
    last_step_at: datetime | None = None

    def bump(self, d: dict[str, int], key: str) -> None:
        d[key] = d.get(key, 0) + 1


def decide_intents(strategies: Sequence[Strategy], markets: list[MarketSnapshot], now: datetime, gates: GateConfig,
                   families: set[str] | None = None, on_reject: Callable[[str], None] | None = None,
                   outcomes: dict[str, str | None] | None = None) -> list[OrderIntent]:
    """Every strategy's probabilities through the shared gates. Pure (the trigger relies on it).

    ``outcomes`` (when given) records, per strategy that had eligible markets, ``None`` when it
    priced them and the one-line error when it raised: the sensor turns a strategy that failed on
    every scan of a watch into a red run instead of a silent one.
    """
    if families:
        markets = [m for m in markets if m.family in families]
    out: list[OrderIntent] = []
    for strat in strategies:
        eligible = [m for m in markets if strat.wants(m)]
        if not eligible:
            continue
        try:
            strat.refusals = []
            probs = strat.probabilities(eligible, now)
        except Exception as exc:  # noqa: BLE001 - one family's failure must not stop the others
            log.warning("strategy %s failed: %s", strat.name, exc)
            if on_reject is not None:
                on_reject(SkipReason.STRATEGY_ERROR)
            if outcomes is not None:
                from kalshi_edge.errors import describe

                outcomes[strat.name] = describe(exc)
            continue
        if outcomes is not None:
            outcomes[strat.name] = None
        batch = build_intents(probs, eligible, strategy=strat.name, now=now, cfg=gates, refusals=strat.refusals)
        if on_reject is not None:
            for r in batch.rejections:
                on_reject(r.reason)
        out.extend(batch.intents)
    return out


class StrategyHealth:
    """Which strategies priced their markets in at least one scan of a watch, and which only failed.

    A model strategy that raises on every scan (no artifact, unreadable inputs) would otherwise
    leave a green run with only the book-only strategies trading: ``failing()`` names it so the
    run turns red (issue 13: nothing fails silently).
    """

    def __init__(self) -> None:
        self.ok: set[str] = set()
        self.errors: dict[str, str] = {}

    def add(self, outcomes: dict[str, str | None]) -> None:
        for name, err in outcomes.items():
            if err is None:
                self.ok.add(name)
            else:
                self.errors[name] = err

    def failing(self) -> dict[str, str]:
        return {n: e for n, e in sorted(self.errors.items()) if n not in self.ok}


def strategy_failure_message(failing: dict[str, str], where: str = "scan of this watch") -> str:
    """One line naming each strategy that failed on every scan, with its last error."""
    return (f"strategy failed on every {where}: {', '.join(failing)} ("
            + "; ".join(f"{n}: {e}" for n, e in failing.items()) + ")")


class TradingSession:
    """Strategies → gates → risk → ledger → broker, one step at a time."""

    def __init__(self, *, strategies: Sequence[Strategy], broker: Broker, ledger: OrderLedger, risk: RiskEngine,
                 gates: GateConfig, markets: MarketSource, clock: Callable[[], datetime],
                 order_group_id: str | None = None, cancel_on_shutdown: bool = True,
                 families: set[str] | None = None, maker_ttl_s: float = 300.0) -> None:
        self.strategies = list(strategies)
        self.broker = broker
        self.ledger = ledger
        self.risk = risk
        self.gates = gates
        self.markets = markets
        self.clock = clock
        self.order_group_id = order_group_id
        self.cancel_on_shutdown = cancel_on_shutdown
        self.families = families
        self.maker_ttl_s = maker_ttl_s
        self.status = SessionStatus()
        #: which strategies priced their markets this session, and which only raised (see summary())
        self.strategy_health = StrategyHealth()
        #: When a list, every intent's risk decision is appended here (backtests, parity tests, reports).
        self.decision_log: list[dict[str, Any]] | None = None
        self._needs_reconcile = True
        self._client_errors: dict[str, int] = {}
        self._killed = False
        self._peak: Decimal | None = None
        #: (UTC date, equity at this session's first step that day): the daily loss baseline.
        self._day_start: tuple[Any, Decimal] | None = None
        #: ticker → client_order_ids of the ledger's orders on it (grown incrementally; the ledger never drops one)
        self._coids_by_ticker: dict[str, list[str]] = {}
        self._indexed = 0
        #: strategies that implement :meth:`Strategy.exits` (the default returns none: not called)
        self._exiters = [s for s in self.strategies if type(s).exits is not Strategy.exits]

    # ------------------------------------------------------------------ reconcile
    def _note_failure(self, where: str, exc: BaseException) -> None:
        """Record a failed exchange read; a 4xx that repeats raises :class:`SessionHalted`."""
        self.status.errors.append(f"{where}: {exc}")
        if not _client_error(exc):
            return
        key = str(exc)
        self._client_errors[key] = self._client_errors.get(key, 0) + 1
        if self._client_errors[key] >= MAX_REPEATED_CLIENT_ERRORS:
            raise SessionHalted(f"{key} (refused {self._client_errors[key]} times on the {where} path; "
                                "check --base-url and the API keys)") from exc

    def reconcile(self) -> bool:
        """Bring the ledger in line with the exchange. True when nothing is left unknown.

        Hook point: the reconcile-truth check (issue #12) runs here, after ``reconcile``.
        """
        try:
            stats = reconcile(self.ledger, self.broker)
        except Exception as exc:  # noqa: BLE001 - stay blocked, try again next step
            self._note_failure("reconcile", exc)
            return False
        self.status.reconciles += 1
        ok = stats["unreachable"] == 0
        self._needs_reconcile = not ok
        return ok

    def _poll_fills(self) -> None:
        for coid, f in self.broker.new_fills():
            if coid in self.ledger.orders and self.ledger.record_fill(
                client_order_id=coid, fill_id=f.fill_id, count=f.count, yes_price=f.yes_price, fee=f.fee,
                is_taker=f.is_taker, ts=f.ts,
            ):
                self.status.fills += 1

    # ------------------------------------------------------------------ step
    def step(self) -> dict[str, Any]:
        """Run one decision cycle (decide + execute). Returns a small summary (JSON-safe)."""
        return self.execute(None)

    def decide(self, now: datetime, markets: list[MarketSnapshot]) -> list[OrderIntent]:
        """Intents every strategy's probabilities pass the gates with (pure: no orders, no ledger)."""
        outcomes: dict[str, str | None] = {}
        intents = decide_intents(self.strategies, markets, now, self.gates, self.families,
                                 on_reject=lambda r: self.status.bump(self.status.rejected, r), outcomes=outcomes)
        self.strategy_health.add(outcomes)
        return intents

    def execute(self, intents: list[OrderIntent] | None) -> dict[str, Any]:
        """Reconcile if needed, then send ``intents`` (or, if None, this step's own decisions)
        through the risk engine. Intents already in the ledger are never sent again.

        A step that stopped early says why twice: ``skipped`` (prose) and ``halted``, a code for
        callers: ``"kill_switch"`` (tripped; a person must reset it) or ``"unreachable"`` (the
        exchange did not answer, or an unknown outcome could not be reconciled: retry later)."""
        now = self.clock()
        self.status.steps += 1
        self.status.last_step_at = now
        placed: list[str] = []
        if self._kill_switch_tripped():
            return {"at": now.isoformat(), "placed": placed, "skipped": "kill switch tripped; a person must reset it", "halted": "kill_switch"}
        if self._needs_reconcile and not self.reconcile():
            return {"at": now.isoformat(), "placed": placed, "skipped": "exchange unreachable; reconcile pending", "halted": "unreachable"}
        try:
            self._poll_fills()
            self._expire_makers(now)
            markets = self.markets(now)
            active, trading = self.broker.exchange_active()
            balance = self.broker.balance()
        except Exception as exc:  # noqa: BLE001 - a failed read is a disconnect: reconcile next step
            self._needs_reconcile = True
            self._note_failure("read", exc)
            return {"at": now.isoformat(), "placed": placed, "skipped": f"read failed: {exc}", "halted": "unreachable"}
        self._client_errors.clear()
        marks = {m.ticker: m.mid for m in markets if m.mid is not None}
        if intents is None:
            intents = self.decide(now, markets)
        equity = balance + self._open_value(marks)
        self._peak = equity if self._peak is None else max(self._peak, equity)
        if self._day_start is None or self._day_start[0] != now.date():
            self._day_start = (now.date(), equity)
        state0 = self._state(now, balance, marks, equity, active, trading)
        if self.risk.guard(state0) is not None and self._kill_switch_tripped():
            return {"at": now.isoformat(), "placed": placed, "skipped": "kill switch tripped (drawdown)", "halted": "kill_switch"}
        # Exits go first: they reduce risk and are never blocked by exposure limits.
        exits = self._stop_loss_exits(now, markets, state0)
        stopped = {i.ticker for i in exits}
        own_exits = [i for i in self._strategy_exits(now, markets) if i.ticker not in stopped]
        if own_exits:
            leaving = {(i.strategy, i.ticker) for i in own_exits}
            kept = []
            for i in intents:
                if i.action == "buy" and (i.strategy, i.ticker) in leaving:
                    self._log_decision(now, i, "exiting")  # never buy and sell one market in a step
                else:
                    kept.append(i)
            intents = kept
            try:
                self._cancel_own_buys(leaving, now)
            except Exception as exc:  # noqa: BLE001 - the sells still go (bounded by the position); reconcile next step
                self._needs_reconcile = True
                self._note_failure("exit cancel", exc)
        exits += own_exits
        for intent in [*exits, *intents]:
            self.status.last_signal = (f"{intent.ticker} {intent.side}@{intent.price} edge "
                                       f"{intent.edge_per_contract:.3f} ({intent.strategy})")
            if self.ledger.has_decision(intent.client_order_id):
                self.status.bump(self.status.denied, "duplicate_decision")
                self._log_decision(now, intent, "duplicate_decision")
                continue
            target = self._amend_target(intent)
            if target is not None:
                equity = balance + self._open_value(marks)
                decision = self.risk.check(intent, self._state(now, balance, marks, equity, active, trading,
                                                               exclude=target.client_order_id))
                self._log_decision(now, intent, "amend" if isinstance(decision, Approved) else decision.reason,
                                   getattr(decision, "count", None))
                if not isinstance(decision, Approved):
                    self.status.bump(self.status.denied, decision.reason)
                    continue
                if self._amend(target, intent, target.filled + decision.count, now) is None:
                    if not self.reconcile():
                        return {"at": now.isoformat(), "placed": placed, "skipped": "unknown amend; reconcile failed", "halted": "unreachable"}
                    continue
                balance = self._safe_balance(balance)
                continue
            if (intent.ticker, intent.side) in self._working():
                # One working order per market and side: a fresh decision does not stack
                # another resting order on top of the one still waiting for a fill.
                self.status.bump(self.status.denied, "already_working")
                self._log_decision(now, intent, "already_working")
                continue
            equity = balance + self._open_value(marks)
            self._peak = equity if self._peak is None else max(self._peak, equity)
            decision = self.risk.check(intent, self._state(now, balance, marks, equity, active, trading))
            self._log_decision(now, intent, "approved" if isinstance(decision, Approved) else decision.reason,
                               getattr(decision, "count", None))
            if not isinstance(decision, Approved):
                self.status.bump(self.status.denied, decision.reason)
                if self._kill_switch_tripped():  # the drawdown check just tripped it
                    return {"at": now.isoformat(), "placed": placed, "skipped": "kill switch tripped", "halted": "kill_switch"}
                continue
            if intent.action == "sell":
                self.status.bump(self.status.exits, intent.reason)
            ok = self._send(intent.with_count(decision.count), now)
            if ok is None:  # outcome unknown: reconcile before anything else
                if not self.reconcile():
                    return {"at": now.isoformat(), "placed": placed, "skipped": "unknown order; reconcile failed", "halted": "unreachable"}
                continue
            placed.append(intent.client_order_id)
            balance = self._safe_balance(balance)
        return {"at": now.isoformat(), "placed": placed}

    def _log_decision(self, now: datetime, intent: OrderIntent, decision: str, size: Decimal | None = None) -> None:
        if self.decision_log is None:
            return
        self.decision_log.append({
            "at": now.isoformat(), "client_order_id": intent.client_order_id, "strategy": intent.strategy,
            "ticker": intent.ticker, "side": intent.side, "action": intent.action, "price": str(intent.price),
            "proposed": str(intent.count), "liquidity": intent.liquidity, "p_yes": intent.p_yes,
            "model_version": intent.model_version, "decision": decision, "size": "" if size is None else str(size),
            "reason": intent.reason,
        })

    def _state(self, now: datetime, balance: Decimal, marks: dict, equity: Decimal, active: bool,
               trading: bool, exclude: str = "") -> Any:
        """Risk state; today's PnL = equity change since this session's first step of the UTC day
        (realized and unrealized together, so the unrealized part is zero here)."""
        st = build_state(ledger=self.ledger, now=now, bankroll=balance, marks=marks, equity=equity,
                         peak_equity=self._peak, exchange_active=active, trading_active=trading, exclude=exclude)
        if self._day_start is not None:
            st.realized_pnl_today = equity - self._day_start[1]
            st.unrealized_pnl = ZERO
        return st

    def _kill_switch_tripped(self) -> bool:
        """True when the kill switch is tripped; the first time, cancel every resting order."""
        ks = self.risk.kill_switch
        if ks is None or not ks.tripped:
            return False
        if not self._killed:
            self._killed = True
            n = self.shutdown(force=True)
            self.status.errors.append(f"kill switch: {ks.info().get('reason', 'tripped')}; cancelled {n} resting")
        return True

    def _stop_loss_exits(self, now: datetime, markets: list[MarketSnapshot], state: Any) -> list[OrderIntent]:
        """Sell intents (taker, at our side's bid) for positions past the stop-loss."""
        by = {m.ticker: m for m in markets}
        sell_marks: dict[str, Decimal] = {}
        for t, p in self.ledger.positions.items():
            m = by.get(t)
            if m is None or p.position == 0:
                continue
            bid = m.yes_bid if p.position > 0 else m.no_bid
            if bid is not None and bid > 0:
                sell_marks[t] = bid
        out = []
        for t in self.risk.stop_loss_tickers(state, sell_marks):
            p, m = self.ledger.positions[t], by[t]
            intent = exit_intent(strategy="stop_loss", ticker=t, event_ticker=p.event_ticker, family=p.family,
                                 side="yes" if p.position > 0 else "no", count=abs(p.position), market=m, now=now,
                                 cfg=self.gates, reason="stop_loss")
            if intent is not None:
                out.append(intent)
        return out

    # ------------------------------------------------------------------ strategy exits
    def _index_orders(self) -> None:
        orders = self.ledger.orders
        if len(orders) == self._indexed:
            return
        for coid in list(orders)[self._indexed:]:
            self._coids_by_ticker.setdefault(orders[coid].ticker, []).append(coid)
        self._indexed = len(orders)

    def strategy_positions(self, strategy: str) -> list[StrategyPosition]:
        """The open positions ``strategy`` opened, from the ledger (restart-safe: rebuilt from its events).

        Per market: the strategy's own fills (buys − sells, signed +YES / −NO), capped by the
        market's net position (a stop-loss or another strategy may have sold some); nothing when
        they point to different sides. The entry is the strategy's latest filled buy of the side
        held (its decision time and P(yes)), the first entry the one after its holding was last flat.
        """
        self._index_orders()
        orders = self.ledger.orders
        out: list[StrategyPosition] = []
        for t, p in sorted(self.ledger.positions.items()):
            if p.position == 0:
                continue
            held = "yes" if p.position > 0 else "no"
            net = ZERO
            first = last = None
            for coid in self._coids_by_ticker.get(t, ()):
                r = orders[coid]
                if r.strategy != strategy or r.filled == 0:
                    continue
                net += r.filled if (r.side == "yes") == (r.action == "buy") else -r.filled
                own = net if held == "yes" else -net
                if own <= 0:
                    first = last = None  # flat (or the other side): a later buy starts a new holding
                elif r.action == "buy" and r.side == held:
                    first = first or r
                    last = r
            own = net if held == "yes" else -net
            count = min(own, abs(p.position))
            if count <= 0 or last is None or first is None:
                continue
            out.append(StrategyPosition(
                strategy=strategy, ticker=t, event_ticker=p.event_ticker, family=p.family, side=held, count=count,
                avg_price=p.cost / abs(p.position), entered_at=datetime.fromisoformat(last.decided_at),
                entry_p_yes=last.p_yes, first_entered_at=datetime.fromisoformat(first.decided_at),
                entry_client_order_id=last.client_order_id,
            ))
        return out

    def _strategy_exits(self, now: datetime, markets: list[MarketSnapshot]) -> list[OrderIntent]:
        """Sell intents for the exits every strategy asks for, on its own positions only."""
        if not self._exiters or not any(p.position != 0 for p in self.ledger.positions.values()):
            return []
        by = {m.ticker: m for m in markets}
        out: list[OrderIntent] = []
        for strat in self._exiters:
            positions = self.strategy_positions(strat.name)
            if not positions:
                continue
            mine = {p.ticker: p for p in positions}
            try:
                signals = strat.exits(positions, [m for m in markets if strat.wants(m)], now)
            except Exception as exc:  # noqa: BLE001 - one strategy's failure must not stop the others
                log.warning("strategy %s exits failed: %s", strat.name, exc)
                self.status.bump(self.status.rejected, SkipReason.STRATEGY_ERROR)
                continue
            done: set[str] = set()
            for sig in signals:
                pos = mine.get(sig.ticker)
                if pos is None:  # not a position this strategy opened: never touched
                    log.warning("strategy %s asked to exit %s, which it does not hold; ignored", strat.name, sig.ticker)
                    continue
                m = by.get(sig.ticker)
                if m is None or sig.ticker in done:
                    continue
                count = pos.count if sig.count is None else min(sig.count, pos.count)
                intent = exit_intent(strategy=strat.name, ticker=pos.ticker, event_ticker=pos.event_ticker,
                                     family=pos.family, side=pos.side, count=count, market=m, now=now,  # type: ignore[arg-type]
                                     cfg=self.gates, reason=sig.reason, p_yes=sig.p_yes)
                if intent is not None:
                    done.add(sig.ticker)
                    out.append(intent)
        return out

    def _cancel_own_buys(self, leaving: set[tuple[str, str]], now: datetime) -> None:
        """Cancel this session's resting buys of a strategy on a market it is exiting."""
        for r in self.ledger.open_orders():
            if (r.action == "buy" and (r.strategy, r.ticker) in leaving and r.order_id
                    and r.state in ("acknowledged", "partially_filled")
                    and self.ledger.is_own(client_order_id=r.client_order_id)):
                self._cancel_resting(r, now, "exit")

    def _cancel_resting(self, r: Any, now: datetime, reason: str) -> None:
        self.broker.cancel(r.order_id)  # idempotent; a failure raises → reconcile next step
        for coid, f in self.broker.new_fills():  # fills that raced the cancel
            if coid in self.ledger.orders:
                self.ledger.record_fill(client_order_id=coid, fill_id=f.fill_id, count=f.count, yes_price=f.yes_price,
                                        fee=f.fee, is_taker=f.is_taker, ts=f.ts)
        if not self.ledger.orders[r.client_order_id].terminal:
            self.ledger.append("cancelled", client_order_id=r.client_order_id, reason=reason, at=now.isoformat())

    def _amends(self, strategy: str) -> bool:
        if self.gates.amend_resting:
            return True
        return any(s.name == strategy and getattr(s, "amend_resting", False) for s in self.strategies)

    def _amend_target(self, intent: OrderIntent) -> Any:
        """This session's resting maker order the intent would move by an amend, or None."""
        if intent.liquidity != "maker" or not self._amends(intent.strategy):
            return None
        for r in self.ledger.open_orders():
            if (r.ticker, r.side, r.action, r.strategy) != (intent.ticker, intent.side, intent.action, intent.strategy):
                continue
            if (r.state in ("acknowledged", "partially_filled") and r.order_id and r.liquidity == "maker"
                    and r.pending_amend is None and r.price != intent.price
                    and self.ledger.is_own(client_order_id=r.client_order_id)):
                return r
        return None

    def _amend(self, rec: Any, intent: OrderIntent, total: Decimal, now: datetime) -> PlaceResult | None:
        """Move ``rec``'s resting order to ``intent.price`` with ``total`` contracts (filled + resting).
        None when the outcome is unknown (the market stays blocked until reconcile)."""
        from kalshi_edge.trading.brokers import BrokerError

        coid, at = rec.client_order_id, now.isoformat()
        base = {"client_order_id": coid, "order_id": rec.order_id, "decision_id": intent.client_order_id, "at": at}
        self.ledger.append("amend", phase="sent", price=intent.price, count=total, **base)
        self.risk.record_sent(now)
        try:
            res = self.broker.amend(rec.order_id, intent.with_count(total), count=total)
        except OutcomeUnknown as exc:
            self.status.unknown += 1
            self._needs_reconcile = True
            log.warning("amend %s outcome unknown: %s", rec.order_id, exc)
            return None
        except BrokerError as exc:
            self.ledger.append("amend", phase="failed", reason=str(exc)[:300], **base)
            return PlaceResult(coid, rec.order_id, "rejected", [], str(exc))
        if res.reason or res.status not in ("resting", "executed"):  # refused, or no longer resting
            self.ledger.append("amend", phase="failed", reason=(res.reason or res.status)[:300], **base)
            return res
        self.ledger.append("amend", phase="done", price=intent.price, count=total, decided_at=intent.decided_at,
                           **base)
        self.status.amends += 1
        for f in res.fills:
            if self.ledger.record_fill(client_order_id=coid, fill_id=f.fill_id, count=f.count, yes_price=f.yes_price,
                                       fee=f.fee, is_taker=f.is_taker, ts=f.ts):
                self.status.fills += 1
        return res

    def _working(self) -> set[tuple[str, str]]:
        return {(r.ticker, r.side) for r in self.ledger.open_orders()}

    def _expire_makers(self, now: datetime) -> None:
        """Cancel our resting orders older than ``maker_ttl_s`` (their decision has gone stale)."""
        for r in self.ledger.open_orders():
            if r.state not in ("acknowledged", "partially_filled") or not r.order_id:
                continue
            age = (now - datetime.fromisoformat(r.decided_at)).total_seconds()
            if age < self.maker_ttl_s:
                continue
            self._cancel_resting(r, now, "maker_ttl")

    def _safe_balance(self, fallback: Decimal) -> Decimal:
        try:
            return self.broker.balance()
        except Exception:  # noqa: BLE001 - sizing with the last known balance is conservative enough
            return fallback

    def _open_value(self, marks: dict[str, Decimal | None]) -> Decimal:
        from kalshi_edge.trading.portfolio import mark_value

        total = ZERO
        for t, p in self.ledger.positions.items():
            if p.position != 0:
                m = marks.get(t)
                total += mark_value(p.position, m) if m is not None else p.cost
        return total

    def _send(self, intent: OrderIntent, now: datetime) -> PlaceResult | None:
        coid = intent.client_order_id
        at = now.isoformat()
        self.ledger.record_intent(intent)  # durable BEFORE the order exists anywhere
        self.ledger.append("sent", client_order_id=coid, at=at)
        self.risk.record_sent(now)
        self.status.orders_sent += 1
        try:
            res = self.broker.place(intent, count=intent.count, protection=protection_fields(self.order_group_id))
        except OutcomeUnknown as exc:
            self.status.unknown += 1
            self.ledger.append("unknown", client_order_id=coid, reason=str(exc)[:300], at=at)
            self._needs_reconcile = True
            return None
        if res.status == "rejected":
            self.ledger.append("rejected", client_order_id=coid, reason=res.reason[:300] or "rejected", at=at)
            return res
        self.ledger.append("acknowledged", client_order_id=coid, order_id=res.order_id, at=at)
        for f in res.fills:
            if self.ledger.record_fill(client_order_id=coid, fill_id=f.fill_id, count=f.count, yes_price=f.yes_price,
                                       fee=f.fee, is_taker=f.is_taker, ts=f.ts):
                self.status.fills += 1
        if res.status == "canceled" and not self.ledger.orders[coid].terminal:
            self.ledger.append("cancelled", client_order_id=coid, reason="ioc remainder", at=at)
        return res

    # ------------------------------------------------------------------ shutdown
    def shutdown(self, *, force: bool = False, passes: int = 5) -> int:
        """Cancel our resting orders when configured to (always when ``force``). Returns how many.

        Repeats (up to ``passes``) until the exchange lists none, because a cancel can fail or
        its response be lost like any other request.
        """
        if not (self.cancel_on_shutdown or force):
            return 0
        n = 0
        for _ in range(passes):
            try:
                ids = own_resting_order_ids(self.broker, self.ledger)  # issue 13: never another trader's
            except Exception as exc:  # noqa: BLE001 - try again
                self.status.errors.append(f"shutdown: {exc}")
                continue
            if not ids:
                break
            for oid in ids:
                try:
                    self.broker.cancel(oid)
                except Exception as exc:  # noqa: BLE001 - keep cancelling the others; next pass retries
                    self.status.errors.append(f"cancel {oid}: {exc}")
                    continue
                n += 1
                rec = self.ledger.by_order_id(oid)
                if rec is not None and not rec.terminal:
                    self.ledger.append("cancelled", client_order_id=rec.client_order_id, reason="shutdown")
        try:
            self._poll_fills()  # fills that raced the cancels
        except Exception as exc:  # noqa: BLE001
            self.status.errors.append(f"shutdown fills: {exc}")
        return n

    def summary(self) -> dict[str, Any]:
        """Positions, PnL and counters (JSON-safe) — the status line and the session's result."""
        positions = {t: str(p) for t, p in self.ledger.net_positions().items()}
        fees = sum((p.fees for p in self.ledger.positions.values()), ZERO)
        return {
            "steps": self.status.steps, "orders_sent": self.status.orders_sent, "fills": self.status.fills,
            "unknown": self.status.unknown, "reconciles": self.status.reconciles, "amends": self.status.amends,
            "exits": dict(self.status.exits), "positions": positions, "fees": str(fees), "realized_pnl_net": str(self.ledger.realized_pnl()),
            "denied": dict(self.status.denied), "rejected": dict(self.status.rejected),
            "last_signal": self.status.last_signal, "errors": self.status.errors[-5:],
            # strategy → its last error, for strategies that raised on every step they had markets
            "strategy_errors": self.strategy_health.failing(),
        }


# ---------------------------------------------------------------------------- REST helpers
def rest_market_source(client: Any, *, status: str = "open") -> MarketSource:
    """Open markets from ``GET /markets`` as snapshots stamped ``now`` (REST carries no quote time)."""

    def source(now: datetime) -> list[MarketSnapshot]:
        out = []
        for m in client.iter_markets(status=status):
            if m.status not in ("active", "open"):
                continue
            out.append(MarketSnapshot(
                ticker=m.ticker, yes_bid=m.yes_bid if m.yes_bid else None,
                yes_ask=m.yes_ask if m.yes_ask is not None and m.yes_ask < 1 else None, quote_ts=now,
                close_time=m.close_time, event_ticker=m.event_ticker or "", status="active",
                yes_bid_size=m.yes_bid_size, yes_ask_size=m.yes_ask_size, terms=m,
            ))
        return out

    return source


def simulator_clock(base_url: str) -> Callable[[], datetime]:
    """The local simulator's clock (``GET /_sim/state``), so gates see scenario time, not wall time."""
    import requests

    root = base_url.split("/trade-api/")[0]

    def clock() -> datetime:
        body = requests.get(root + "/_sim/state", timeout=5).json()
        return datetime.fromisoformat(body["now"].replace("Z", "+00:00"))

    return clock
