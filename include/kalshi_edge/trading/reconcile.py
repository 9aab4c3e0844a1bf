"""Does the exchange know what the ledger knows? Checked once, before a session trades.

The ledger's routine :func:`~kalshi_edge.trading.ledger.reconcile` closes an order the exchange
never saw as ``not_at_exchange``. That is right for an intent that crashed before it was sent, and
wrong when the exchange *acknowledged* the order (the ledger holds its ``order_id``) and no longer
knows it: the exchange was reset (a restarted simulator, another account, another environment).
Closing those orders silently, and keeping positions the exchange does not hold, makes every
figure that follows fiction. So :func:`check_exchange_state` compares the two first:

* orders the exchange acknowledged (``order_id`` known) that are not terminal in the ledger and
  that the exchange cannot find;
* positions the ledger holds (non-zero, unsettled) in markets where the exchange holds none,
  except markets the exchange reports closed or settled: the exchange stops listing a settled
  position before the settlement job writes its ``settled`` event, and that is not amnesia.

If either list is non-empty the session stops before trading with :class:`ExchangeStateMismatch`
(counts and the first ids), unless the operator passes ``--adopt-exchange-state``: then one
``adopted`` event records what was given up (those orders closed, those positions set to the
exchange's), and the session goes on from the exchange's state.

The in-process paper broker starts empty every run and has no state of its own to compare with
(the ledger *is* its record), so the check applies to the simulator and live brokers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from kalshi_edge.trading.ledger import LedgerError, OrderLedger

#: How many ids a message shows before "...".
SHOW = 5


class ExchangeView(Protocol):
    def find_order(self, client_order_id: str) -> dict[str, Any] | None: ...

    def positions(self) -> dict[str, Decimal]: ...


class ExchangeStateMismatch(LedgerError):
    """The exchange does not know orders or positions the ledger has (one-line message)."""


@dataclass
class StateDiff:
    """What the ledger has that the exchange does not."""

    orders: list[str] = field(default_factory=list)  # client_order_ids
    positions: dict[str, Decimal] = field(default_factory=dict)  # ticker -> the ledger's position
    exchange_positions: dict[str, Decimal] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.orders or self.positions)

    def describe(self) -> str:
        parts = []
        if self.orders:
            parts.append(f"{len(self.orders)} order(s) it acknowledged (first: {_first(self.orders)})")
        if self.positions:
            parts.append(f"{len(self.positions)} position(s) (first: {_first(list(self.positions))})")
        return " and ".join(parts)


def _first(ids: list[str]) -> str:
    return ", ".join(ids[:SHOW]) + (", ..." if len(ids) > SHOW else "")


def diff_exchange_state(ledger: OrderLedger, broker: ExchangeView) -> StateDiff:
    """Orders and positions the ledger has and the exchange does not know (no writes)."""
    out = StateDiff()
    for rec in ledger.open_orders():
        if rec.order_id and broker.find_order(rec.client_order_id) is None:
            out.orders.append(rec.client_order_id)
    held = broker.positions()
    out.exchange_positions = dict(held)
    for ticker, pos in ledger.net_positions().items():
        if ticker not in held and not ledger.positions[ticker].settled and not _market_finished(broker, ticker):
            out.positions[ticker] = pos
    return out


#: Market statuses in which the exchange no longer lists a position that is awaiting settlement.
FINISHED = frozenset({"closed", "settled", "determined", "finalized"})


def _market_finished(broker: Any, ticker: str) -> bool:
    """True when the broker's exchange reports ``ticker`` closed or settled (False if unknown)."""
    get_market = getattr(getattr(broker, "client", None), "get_market", None)
    if get_market is None:
        return False
    try:
        return str(get_market(ticker).status).lower() in FINISHED
    except Exception:  # noqa: BLE001 - unknown market or unreachable: the conservative answer
        return False


def check_exchange_state(ledger: OrderLedger, broker: ExchangeView, *, adopt: bool = False,
                         where: str = "the exchange") -> StateDiff:
    """Stop (raise :class:`ExchangeStateMismatch`) when ``where`` does not know what the ledger
    has, unless ``adopt``: then record an ``adopted`` event and return what was adopted."""
    diff = diff_exchange_state(ledger, broker)
    if not diff:
        return diff
    if not adopt:
        raise ExchangeStateMismatch(
            f"{where} does not know {diff.describe()} that the ledger {ledger.path} has (was the exchange "
            "reset?); not trading. Rerun with --adopt-exchange-state to take the exchange's state (recorded "
            "in the ledger), or use another --ledger")
    ledger.append("adopted", orders=diff.orders, positions={t: str(p) for t, p in diff.positions.items()},
                  exchange_positions={t: str(p) for t, p in diff.exchange_positions.items()},
                  reason=f"--adopt-exchange-state: {where} does not know {diff.describe()}")
    return diff
