"""Crash-safe, append-only order ledger: one JSON line per event, fsynced before we act on it.

Why JSONL and not the Parquet lake: the lake writes whole partitions atomically (replace, not
append) — right for data, wrong for a journal that must record *each* state change durably before
the next step (an intent must be on disk before its order is sent). An ``O_APPEND`` file with
``fsync`` per event gives exactly that. DuckDB reads the file directly (:func:`ledger_view_sql`),
so the ledger is queryable beside the lake.

**Framing.** Each record is one line: the event's JSON object with a last member
``"crc32": "<8 hex>"``, the CRC-32 of the line's bytes without that member (the JSON up to it,
plus the closing brace), then ``\n``. The line stays plain JSON (DuckDB reads it), and on open:

* a **torn tail** (bytes after the last ``\n``: a crash mid-append) is truncated away with a
  warning naming the byte offset. It was never acted on (we act only after ``fsync`` returns),
  and truncating keeps the next append from being glued onto the fragment;
* a **corrupt record** before the tail (checksum mismatch, not JSON) is refused with
  :class:`LedgerError` naming the file, line and byte offset: replaying past it would rebuild
  wrong positions, so a person must look.

Lines without a ``crc32`` member are read as before (ledgers written by earlier versions).

Events (``event`` field): ``intent`` (the full order intent, with its ``client_order_id``) →
``sent`` → ``acknowledged`` (exchange ``order_id``) → ``fill`` (one per fill, deduplicated by
``fill_id``) → ``filled`` | ``cancelled`` | ``rejected``; ``unknown`` when a send timed out or the
connection dropped (the market is then blocked until :func:`reconcile` settles it);
``settled`` closes a market's position with its result; ``adopted`` records an operator's
``--adopt-exchange-state`` (orders and positions the exchange no longer knows, given up; see
:mod:`kalshi_edge.trading.reconcile`); ``session`` is written once when a session that trades
through an exchange starts: its ``session`` id and the ``order_group_id`` every one of its orders
carries (issue 13: each trader owns, and on exit cancels, only the orders of its own group).

``amend`` moves a resting order (same ``client_order_id`` and exchange ``order_id``) to a new
``price`` and ``count`` (the new total, filled + resting) for a later decision ``decision_id``. Its
``phase`` is ``sent`` (durable before the amend request), then ``done`` (the exchange's price and
total) or ``failed`` (the order is as it was). An amend still ``sent`` (a crash or timeout before
the answer) blocks its market until :func:`reconcile` reads the order's price at the exchange;
its ``decision_id`` is never sent again (:meth:`OrderLedger.has_decision`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from kalshi_edge.kalshi.money import ONE, ZERO
from kalshi_edge.trading.intents import OrderIntent

log = logging.getLogger(__name__)

TERMINAL = frozenset({"filled", "cancelled", "rejected"})
#: Events that record an operator decision and touch no order (``readiness_override``: live
#: trading started although the readiness gate failed; its ``reason`` and ``failing`` criteria).
NOTES = ("readiness_override",)
#: ``session``: a session started (its id, its exchange order group, the broker kind); indexed in
#: :attr:`OrderLedger.order_groups`, touches no order.
SESSION_EVENT = "session"
STATES = ("intent", "sent", "acknowledged", "partially_filled", "filled", "cancelled", "rejected", "unknown")


class LedgerError(RuntimeError):
    """The ledger file is corrupt (not just a torn last line). Names file and line."""


#: ``<json without its last brace>,"crc32":"<8 hex>"}`` — the frame of every record written now.
_FRAMED = re.compile(rb'^(?P<body>\{.*),"crc32":"(?P<crc>[0-9a-f]{8})"\}$', re.DOTALL)


def frame_record(line: str) -> bytes:
    """One JSON object (``{...}``) → its framed, newline-terminated ledger line."""
    body = line.encode()
    crc = zlib.crc32(body)
    return body[:-1] + b',"crc32":"%08x"}\n' % crc


def parse_record(raw: bytes) -> dict[str, Any]:
    """A ledger line (without ``\n``) → the event. Raises ValueError saying what is wrong."""
    m = _FRAMED.match(raw)
    if m is None:
        return json.loads(raw)  # an unframed line, as earlier versions wrote them
    body = m.group("body") + b"}"
    if f"{zlib.crc32(body):08x}".encode() != m.group("crc"):
        raise ValueError("checksum mismatch")
    return json.loads(body)


@dataclass(slots=True)
class OrderRecord:
    """The ledger's view of one order (rebuilt by replaying events)."""

    client_order_id: str
    strategy: str
    family: str
    ticker: str
    event_ticker: str
    side: str
    action: str
    price: Decimal
    count: Decimal
    liquidity: str
    p_yes: float
    decided_at: str
    state: str = "intent"
    order_id: str = ""
    filled: Decimal = ZERO
    fees: Decimal = ZERO
    fill_ids: set[str] = field(default_factory=set)
    reason: str = ""
    #: Which fitted artifact the intent's p_yes came from, and the market's mid at decision time.
    model_version: str = ""
    market_p: float | None = None
    #: The trading session that placed the order (issue 13: each trader cancels only its own).
    session: str = ""
    #: An amend sent but not yet answered: (decision_id, price, count) — see the ``amend`` event.
    pending_amend: tuple[str, Decimal, Decimal] | None = None
    amends: int = 0
    #: The exchange order group the order was sent in (the session's group; "" when none).
    order_group_id: str = ""

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def remaining(self) -> Decimal:
        return self.count - self.filled


@dataclass(slots=True)
class PositionRecord:
    """Net position of one market from the ledger's fills. ``position`` signed: +YES / −NO."""

    ticker: str
    event_ticker: str
    family: str
    position: Decimal = ZERO
    cost: Decimal = ZERO  # dollars paid for the currently open contracts
    fees: Decimal = ZERO
    realized: Decimal = ZERO  # dollars, before fees
    settled: bool = False


def _json_default(o: object) -> object:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, datetime):
        return o.isoformat()
    if isinstance(o, set):
        return sorted(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


class OrderLedger:
    """Append-only JSONL journal at ``path`` with an in-memory index rebuilt on open.

    ``path=None`` keeps the journal in memory only (the backtester: no crash to survive, and an
    fsync per simulated fill would dominate replay time).
    """

    def __init__(self, path: Path | None, *, session: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        #: What stamps an event's ``at`` when the caller gives none: the wall clock, or the
        #: simulated clock of a backtest (so a replayed day's ledger carries that day's times).
        self.clock = clock
        #: This process's trading session: recorded on every intent it writes (see :func:`new_session_id`).
        self.session = session or new_session_id()
        #: session id → the exchange order group it recorded (``session`` events; every session's).
        self.order_groups: dict[str, str] = {}
        self.memory: list[dict[str, Any]] = []
        self.orders: dict[str, OrderRecord] = {}
        self.positions: dict[str, PositionRecord] = {}
        self._by_order_id: dict[str, str] = {}
        #: decision_id of every amend → the client_order_id of the order it moved.
        self.amend_decisions: dict[str, str] = {}
        self._open: dict[str, None] = {}  # client_order_ids not in a terminal state (insertion order)
        self._seq = 0
        self._lock = threading.Lock()
        self._fd = -1
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for ev in self._read(repair=True):
            self._apply(ev)
        # O_APPEND: every write lands at the end even if another handle appended meanwhile.
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    @classmethod
    def from_settings(cls, settings: object, name: str = "orders") -> OrderLedger:
        return cls(Path(settings.data_dir) / "ledger" / f"{name}.jsonl")  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> OrderLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def _read(self, *, repair: bool = False) -> Iterator[dict[str, Any]]:
        """Replay the file. ``repair``: truncate a torn tail (only the writer does, on open)."""
        if self.path is None:
            yield from self.memory
            return
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1  # everything after the last newline is a torn write
        if end < len(data):
            log.warning("%s: torn last record at byte offset %d (%d byte(s) of a crashed append)%s",
                        self.path, end, len(data) - end, "; truncated" if repair else "; ignored")
            if repair:
                os.truncate(self.path, end)
        offset = 0
        for i, raw in enumerate(data[:end].split(b"\n")[:-1], start=1):
            start, offset = offset, offset + len(raw) + 1
            if not raw.strip():
                continue
            try:
                ev = parse_record(raw)
            except ValueError as exc:
                why = str(exc) if str(exc) == "checksum mismatch" else "not valid JSON"
                raise LedgerError(f"{self.path}: line {i} (byte offset {start}) is corrupt ({why}); "
                                  "refusing to replay past it: restore the file or move it aside") from None
            if not isinstance(ev, dict) or "event" not in ev:
                raise LedgerError(f"{self.path}: line {i} (byte offset {start}) is not a ledger event") from None
            yield ev

    def events(self) -> list[dict[str, Any]]:
        """Every event on disk, in order."""
        return list(self._read())

    # ------------------------------------------------------------------ writing
    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Durably append one event (fsync) and apply it to the in-memory index."""
        if event not in (*STATES, "fill", "settled", "reconciled", "adopted", "amend", SESSION_EVENT, *NOTES):
            raise ValueError(f"unknown ledger event {event!r}")
        with self._lock:
            self._seq += 1
            at = fields.pop("at", None) or (self.clock() if self.clock is not None else datetime.now(UTC))
            ev = {"seq": self._seq, "event": event, "at": at.isoformat() if isinstance(at, datetime) else at,
                  **fields}
            if self.path is None:
                # In memory (backtests): no serialization round trip, just the same value types.
                stored = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in ev.items()}
                self.memory.append(stored)
            else:
                line = json.dumps(ev, default=_json_default, sort_keys=True)
                stored = json.loads(line)
                os.write(self._fd, frame_record(line))
                os.fsync(self._fd)  # durable before the caller acts on it
            self._apply(stored)
            return stored

    def record_intent(self, intent: OrderIntent) -> bool:
        """Record an intent before sending. Returns False if this ``client_order_id`` already exists
        (the same decision was made before: never send it again)."""
        if intent.client_order_id in self.orders:
            return False
        self.append(
            "intent", client_order_id=intent.client_order_id, strategy=intent.strategy, family=intent.family,
            ticker=intent.ticker, event_ticker=intent.event_ticker, side=intent.side, action=intent.action,
            price=intent.price, count=intent.count, liquidity=intent.liquidity, p_yes=intent.p_yes,
            edge_per_contract=intent.edge_per_contract, decided_at=intent.decided_at,
            model_version=intent.model_version,
            model_as_of=intent.model_as_of.isoformat() if intent.model_as_of else "",
            market_p=intent.market_p, session=self.session,
            **({"order_group_id": self.order_group_id} if self.order_group_id else {}),
        )
        return True

    @property
    def order_group_id(self) -> str:
        """The exchange order group of THIS session ("" until :meth:`record_session` names one)."""
        return self.order_groups.get(self.session, "")

    def record_session(self, *, order_group_id: str, **info: Any) -> dict[str, Any]:
        """Record, once at session start, which exchange order group this session's orders carry
        (``{"event": "session", "session", "order_group_id", ...info}``). From then on every intent
        names the group too, and :func:`kalshi_edge.trading.brokers.own_resting_order_ids` keeps
        only resting orders of this group."""
        return self.append(SESSION_EVENT, session=self.session, order_group_id=order_group_id, **info)

    def record_fill(self, *, client_order_id: str, fill_id: str, count: Decimal, yes_price: Decimal,
                    fee: Decimal, is_taker: bool, ts: str = "") -> bool:
        """Record a fill once (deduplicated by ``fill_id``). ``yes_price`` is the execution's YES
        price; the event stores ``price``, the price of the order's own side."""
        rec = self.orders.get(client_order_id)
        if rec is None:
            raise LedgerError(f"{self.path}: fill {fill_id} for unknown client_order_id {client_order_id}")
        if fill_id in rec.fill_ids:
            return False
        price = yes_price if rec.side == "yes" else ONE - yes_price
        self.append("fill", client_order_id=client_order_id, fill_id=fill_id, count=count, price=price,
                    fee=fee, is_taker=is_taker, ts=ts)
        return True

    # ------------------------------------------------------------------ index
    def _apply(self, ev: dict[str, Any]) -> None:
        self._seq = max(self._seq, int(ev.get("seq", 0)))
        kind = ev["event"]
        if kind == "settled":
            self._settle(ev)
            return
        if kind == SESSION_EVENT:
            if ev.get("session") and ev.get("order_group_id"):
                self.order_groups[str(ev["session"])] = str(ev["order_group_id"])
            return
        if kind == "reconciled" or kind in NOTES:
            return
        if kind == "adopted":
            self._adopt(ev)
            return
        coid = ev.get("client_order_id", "")
        if kind == "intent":
            self._open[coid] = None
            self.orders[coid] = OrderRecord(
                client_order_id=coid, strategy=ev["strategy"], family=ev["family"], ticker=ev["ticker"],
                event_ticker=ev["event_ticker"], side=ev["side"], action=ev["action"],
                price=Decimal(ev["price"]), count=Decimal(ev["count"]), liquidity=ev["liquidity"],
                p_yes=float(ev["p_yes"]), decided_at=ev["decided_at"],
                model_version=str(ev.get("model_version") or ""),
                market_p=float(ev["market_p"]) if ev.get("market_p") is not None else None,
                session=str(ev.get("session") or ""),
                order_group_id=str(ev.get("order_group_id") or ""),
            )
            return
        rec = self.orders.get(coid)
        if rec is None:
            raise LedgerError(f"{self.path}: seq {ev.get('seq')}: event {kind} for unknown order {coid!r}")
        if ev.get("order_id"):
            rec.order_id = ev["order_id"]
            self._by_order_id[rec.order_id] = coid
        if kind == "amend":
            self._amend(rec, ev)
            return
        if kind == "fill":
            if ev["fill_id"] in rec.fill_ids:
                return
            rec.fill_ids.add(ev["fill_id"])
            qty, px, fee = Decimal(ev["count"]), Decimal(ev["price"]), Decimal(ev["fee"])
            rec.filled += qty
            rec.fees += fee
            self._position_fill(rec, qty, px, fee)
            if rec.filled >= rec.count:
                rec.state = "filled"
            elif not rec.terminal:
                rec.state = "partially_filled"
            if rec.terminal:
                self._open.pop(coid, None)
            return
        if kind in TERMINAL:
            if not rec.terminal:
                rec.state = kind
                self._open.pop(coid, None)
        elif not rec.terminal:  # a terminal state never goes back (a late ack after a cancel is noise)
            rec.state = "partially_filled" if kind == "acknowledged" and rec.filled > 0 else kind
        rec.reason = ev.get("reason", rec.reason)

    def _amend(self, rec: OrderRecord, ev: dict[str, Any]) -> None:
        phase = ev.get("phase")
        decision = str(ev.get("decision_id") or "")
        if decision:
            self.amend_decisions[decision] = rec.client_order_id
        if phase == "sent":
            rec.pending_amend = (decision, Decimal(ev["price"]), Decimal(ev["count"]))
            return
        rec.pending_amend = None
        if phase == "done":
            rec.price, rec.count = Decimal(ev["price"]), Decimal(ev["count"])
            rec.decided_at = str(ev.get("decided_at") or rec.decided_at)
            rec.amends += 1
            if rec.filled >= rec.count and not rec.terminal:
                rec.state = "filled"
                self._open.pop(rec.client_order_id, None)

    def has_decision(self, client_order_id: str) -> bool:
        """True when this decision was recorded, as an order's intent or as an amend."""
        return client_order_id in self.orders or client_order_id in self.amend_decisions

    def _position_fill(self, rec: OrderRecord, qty: Decimal, px: Decimal, fee: Decimal) -> None:
        pos = self.positions.get(rec.ticker)
        if pos is None:
            pos = self.positions[rec.ticker] = PositionRecord(rec.ticker, rec.event_ticker, rec.family)
        pos.fees += fee
        long_yes = (rec.side == "yes") == (rec.action == "buy")
        signed = qty if long_yes else -qty
        yes_px = px if rec.side == "yes" else ONE - px  # the YES-equivalent price of this fill
        # Price of the side being *held* after the fill; opening adds cost, closing realizes PnL.
        if pos.position == 0 or (pos.position > 0) == (signed > 0):
            held_px = yes_px if signed > 0 else ONE - yes_px
            pos.cost += held_px * qty
            pos.position += signed
            return
        closing = min(abs(signed), abs(pos.position))
        avg = pos.cost / abs(pos.position)
        exit_px = yes_px if pos.position > 0 else ONE - yes_px  # what our held side sold for
        pos.realized += (exit_px - avg) * closing
        pos.cost -= avg * closing
        pos.position += signed if abs(signed) <= closing else (-pos.position)
        rest = abs(signed) - closing
        if rest > 0:  # flipped through zero: the remainder opens the other side
            pos.position = rest if signed > 0 else -rest
            pos.cost = (yes_px if signed > 0 else ONE - yes_px) * rest

    def _adopt(self, ev: dict[str, Any]) -> None:
        """``--adopt-exchange-state``: the listed orders are closed (the exchange forgot them) and
        the listed positions are dropped (the exchange holds none); realized PnL is kept."""
        for coid in ev.get("orders", []):
            rec = self.orders.get(coid)
            if rec is not None and not rec.terminal:
                rec.state, rec.reason = "cancelled", "adopted_exchange_state"
                self._open.pop(coid, None)
        for ticker in ev.get("positions", {}):
            pos = self.positions.get(ticker)
            if pos is not None:
                pos.position, pos.cost = ZERO, ZERO

    def _settle(self, ev: dict[str, Any]) -> None:
        pos = self.positions.get(ev["ticker"])
        if pos is None or pos.settled:
            return
        result = ev["result"]
        if pos.position != 0:
            won = (pos.position > 0) == (result == "yes")
            payout = abs(pos.position) if won else ZERO
            pos.realized += payout - pos.cost
            pos.cost = ZERO
            pos.position = ZERO
        pos.settled = True

    # ------------------------------------------------------------------ queries
    def by_order_id(self, order_id: str) -> OrderRecord | None:
        coid = self._by_order_id.get(order_id)
        return self.orders.get(coid) if coid else None

    def open_orders(self) -> list[OrderRecord]:
        """Orders not in a terminal state (including unknown)."""
        return [self.orders[c] for c in self._open]

    def blocked_markets(self) -> set[str]:
        """Markets with an order whose outcome is unknown (or sent but never acknowledged)."""
        return {r.ticker for r in self.open_orders()
                if r.state in ("unknown", "sent", "intent") or r.pending_amend is not None}

    def net_positions(self) -> dict[str, Decimal]:
        """Ticker → signed position (+YES / −NO), zero positions omitted."""
        return {t: p.position for t, p in sorted(self.positions.items()) if p.position != 0}

    def realized_pnl(self) -> Decimal:
        """Realized PnL net of fees, dollars."""
        return sum((p.realized - p.fees for p in self.positions.values()), ZERO)

    def client_ids(self) -> Iterable[str]:
        return self.orders.keys()

    def is_own(self, *, client_order_id: str = "", order_id: str = "") -> bool:
        """True when this ledger's session placed the order (by client id, else exchange id)."""
        rec = self.orders.get(client_order_id) if client_order_id else None
        if rec is None and order_id:
            rec = self.by_order_id(order_id)
        return rec is not None and bool(rec.session) and rec.session == self.session


def new_session_id(kind: str | None = None) -> str:
    """A fresh id for one trading session: ``<kind>-<host>-<pid>-<random>``.

    ``kind`` defaults to ``KALSHI_EDGE_SESSION_KIND`` or the program name (``kalshi-edge`` for the
    CLI, ``airflow`` for the sensor's task), so the ledger says who placed each order.
    """
    import secrets
    import socket
    import sys

    kind = kind or os.environ.get("KALSHI_EDGE_SESSION_KIND") or Path(sys.argv[0] or "python").name or "python"
    host = socket.gethostname().split(".")[0][:20] or "host"
    return f"{kind}-{host}-{os.getpid()}-{secrets.token_hex(3)}"


def ledger_view_sql(path: Path, view: str = "order_ledger") -> str:
    """DuckDB SQL creating a view over the ledger JSONL (money columns kept as exact strings)."""
    p = str(Path(path)).replace("'", "''")
    cols = ("seq BIGINT", "event VARCHAR", "at VARCHAR", "client_order_id VARCHAR", "ticker VARCHAR",
            "side VARCHAR", "action VARCHAR", "price VARCHAR", "count VARCHAR", "fee VARCHAR", "order_id VARCHAR",
            "fill_id VARCHAR", "reason VARCHAR", "strategy VARCHAR", "family VARCHAR", "event_ticker VARCHAR",
            "result VARCHAR", "session VARCHAR", "decision_id VARCHAR", "phase VARCHAR",
            "order_group_id VARCHAR")
    spec = ", ".join(f"'{c.split()[0]}': '{c.split()[1]}'" for c in cols)
    return (f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_json('{p}', format='newline_delimited', "
            f"ignore_errors=true, columns={{{spec}}})")


class ExchangeView(Protocol):
    """What reconciliation needs from a broker."""

    def find_order(self, client_order_id: str) -> dict[str, Any] | None: ...

    def order_fills(self, order_id: str) -> list[dict[str, Any]]: ...


def _is_client_error(exc: BaseException) -> bool:
    from kalshi_edge.kalshi.errors import PermanentError

    status = getattr(exc, "status", None)
    return isinstance(exc, PermanentError) and status is not None and 400 <= int(status) < 500


def reconcile(ledger: OrderLedger, broker: ExchangeView) -> dict[str, int]:
    """Bring every non-terminal ledger order in line with the exchange. Call on start and after any
    timeout or disconnect, before placing anything new.

    ``broker.find_order(coid)`` returns ``{"order_id", "status" (resting|executed|canceled|rejected),
    ...}`` or None when the exchange has never seen it; ``broker.order_fills(order_id)`` returns
    ``[{"fill_id", "count", "yes_price", "fee", "is_taker", "ts"}]``.
    An order the exchange never saw is closed as ``cancelled`` (reason ``not_at_exchange``) — its
    ``client_order_id`` stays in the ledger, so that decision is never sent again. If the exchange
    cannot be reached, orders stay ``unknown`` and their markets stay blocked.
    """
    stats = {"checked": 0, "found": 0, "not_at_exchange": 0, "fills": 0, "unreachable": 0}
    for rec in list(ledger.open_orders()):
        stats["checked"] += 1
        try:
            ex = broker.find_order(rec.client_order_id)
            fills = broker.order_fills(ex["order_id"]) if ex else []
        except Exception as exc:  # noqa: BLE001 - any failure leaves the order unknown (blocked)
            if _is_client_error(exc):
                raise  # a 4xx (wrong URL, auth): the caller must see it, not loop on "unreachable"
            stats["unreachable"] += 1
            if rec.state != "unknown":
                ledger.append("unknown", client_order_id=rec.client_order_id, reason=f"reconcile failed: {exc}")
            continue
        if ex is None:
            stats["not_at_exchange"] += 1
            ledger.append("cancelled", client_order_id=rec.client_order_id, reason="not_at_exchange")
            continue
        stats["found"] += 1
        if rec.state in ("intent", "sent", "unknown"):
            ledger.append("acknowledged", client_order_id=rec.client_order_id, order_id=ex["order_id"])
        for f in fills:
            if ledger.record_fill(client_order_id=rec.client_order_id, fill_id=f["fill_id"],
                                  count=Decimal(str(f["count"])), yes_price=Decimal(str(f["yes_price"])),
                                  fee=Decimal(str(f["fee"])), is_taker=bool(f["is_taker"]), ts=str(f.get("ts", ""))):
                stats["fills"] += 1
        rec = ledger.orders[rec.client_order_id]
        if rec.pending_amend is not None:
            _settle_amend(ledger, rec, ex)
            rec = ledger.orders[rec.client_order_id]
        status = ex.get("status")
        if status in ("canceled", "cancelled") and not rec.terminal:
            ledger.append("cancelled", client_order_id=rec.client_order_id, reason="exchange")
        elif status == "rejected" and not rec.terminal:
            ledger.append("rejected", client_order_id=rec.client_order_id, reason=ex.get("reason", "exchange"))
        elif status == "executed" and not rec.terminal:
            # Executed but our fill list is short (fills paginated/late): keep it open, not blocked.
            ledger.append("partially_filled" if rec.filled > 0 else "acknowledged",
                          client_order_id=rec.client_order_id, order_id=ex["order_id"])
    ledger.append("reconciled", **{k: v for k, v in stats.items()})
    return stats


def _settle_amend(ledger: OrderLedger, rec: OrderRecord, ex: dict[str, Any]) -> None:
    """An amend whose answer was lost: the order's price at the exchange says whether it landed.

    ``ex["yes_price"]`` (the order's YES price now) equal to the amend's → ``done`` with the
    exchange's total; anything else → ``failed`` (the order kept its old price). Either way no
    second order exists: an amend never creates one.
    """
    assert rec.pending_amend is not None
    decision, price, count = rec.pending_amend
    want = price if rec.side == "yes" else ONE - price
    got = ex.get("yes_price")
    if got is not None and Decimal(str(got)) == want:
        total = Decimal(str(ex["count"])) if ex.get("count") is not None else count
        ledger.append("amend", client_order_id=rec.client_order_id, order_id=ex["order_id"], decision_id=decision,
                      phase="done", price=price, count=total, reason="reconciled")
    else:
        ledger.append("amend", client_order_id=rec.client_order_id, decision_id=decision, phase="failed",
                      reason="reconciled: not at the amended price" if got is not None else
                      "reconciled: the exchange does not report the price")
