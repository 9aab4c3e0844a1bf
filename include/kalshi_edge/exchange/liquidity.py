"""External liquidity in the matching engine: make the exchange account's resting orders equal a recorded book."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from kalshi_edge.exchange.engine_types import (
    EXCHANGE_ACCOUNT,
    BookDelta,
    EngineError,
    EngineOrder,
    LevelsResult,
    MarketBook,
    OrderState,
    Outcome,
    SubmitResult,
)
from kalshi_edge.kalshi.money import ONE, ZERO, parse_count, parse_price


class ExternalLiquidity:
    """``load_levels`` for :class:`~kalshi_edge.exchange.matching.MatchingEngine` (mixed into it)."""

    _ids: Callable[[str], str]
    _resting_by_ticker: dict[str, dict[str, OrderState]]

    if TYPE_CHECKING:  # provided by the class this is mixed into
        def _book(self, ticker: str) -> MarketBook: ...

        def submit(self, order: EngineOrder) -> SubmitResult: ...

        def _remove_resting(self, st: OrderState, deltas: list[BookDelta], ts_ms: int) -> None: ...

        def _forget_external(self, st: OrderState) -> None: ...

    def load_levels(
        self,
        ticker: str,
        *,
        yes: Iterable[tuple[object, object]] = (),
        no: Iterable[tuple[object, object]] = (),
        ts_ms: int = 0,
        account: str = EXCHANGE_ACCOUNT,
    ) -> LevelsResult:
        """Make ``account``'s liquidity in ``ticker`` equal the given levels (a recorded book).

        ``yes``/``no`` are (price, count) in each outcome's own terms, as in the REST orderbook.
        The target must not cross itself. Levels not listed are removed. Decreases keep queue
        position (the newest external orders shrink first); increases queue at the back and
        first trade with any crossing orders of *other* accounts (who are makers).
        """
        target: dict[Outcome, dict[Decimal, Decimal]] = {"yes": {}, "no": {}}
        for outcome, levels in (("yes", yes), ("no", no)):
            for i, (p_raw, c_raw) in enumerate(levels):
                p = parse_price(p_raw, f"{outcome}[{i}].price")
                c = parse_count(c_raw, f"{outcome}[{i}].count")
                if not ZERO < p < ONE:
                    raise EngineError(f"{ticker} {outcome}[{i}].price: {p} must be strictly between 0 and 1")
                target[outcome][p] = target[outcome].get(p, ZERO) + c  # type: ignore[index]
        ty = [p for p, c in target["yes"].items() if c > 0]
        tn = [p for p, c in target["no"].items() if c > 0]
        if ty and tn and max(ty) + max(tn) >= ONE:
            raise EngineError(
                f"{ticker}: recorded book is crossed or locked (best yes {max(ty)} + best no {max(tn)} ≥ 1)"
            )
        mb = self._book(ticker)
        out = LevelsResult()
        current: dict[Outcome, dict[Decimal, Decimal]] = {"yes": {}, "no": {}}
        for st in self._resting_by_ticker.get(ticker, {}).values():
            if st.order.account == account:
                cur = current[st.order.outcome]
                cur[st.order.outcome_price] = cur.get(st.order.outcome_price, ZERO) + st.remaining_count
        # Pass 1: shrink (never crosses anything), so pass 2's increases see the final own book.
        increases: list[tuple[Outcome, Decimal, Decimal]] = []
        for outcome in ("yes", "no"):
            prices = set(current[outcome]) | set(target[outcome])  # type: ignore[index]
            for p in sorted(prices):
                have = current[outcome].get(p, ZERO)  # type: ignore[index]
                want = target[outcome].get(p, ZERO)  # type: ignore[index]
                if want < have:
                    self._shrink_account_level(mb, outcome, p, account, have - want, out.deltas, ts_ms)  # type: ignore[arg-type]
                elif want > have:
                    increases.append((outcome, p, want - have))  # type: ignore[arg-type]
        # Pass 2: best prices first so external liquidity trades through user orders in order.
        increases.sort(key=lambda t: -t[1])
        for outcome, p, qty in increases:
            yes_price = p if outcome == "yes" else ONE - p
            order = EngineOrder(
                order_id=self._ids("X"),
                account=account,
                ticker=ticker,
                book_side="bid" if outcome == "yes" else "ask",
                price=yes_price,
                count=qty,
                self_trade_prevention="maker",
                ts_ms=ts_ms,
            )
            r = self.submit(order)
            if r.state.status != "resting":
                self._forget_external(r.state)
            out.fills.extend(r.fills)
            out.trades.extend(r.trades)
            out.deltas.extend(r.deltas)
            out.touched.extend(r.touched)
        return out

    # ------------------------------------------------------------------ internals

    def _shrink_account_level(
        self,
        mb: MarketBook,
        outcome: Outcome,
        price: Decimal,
        account: str,
        qty: Decimal,
        deltas: list[BookDelta],
        ts_ms: int,
    ) -> None:
        side = mb.side(outcome)
        lvl = side.levels[price]
        # Newest first: the oldest external orders keep the queue position they earned.
        for st in sorted((o for o in lvl.orders if o.order.account == account), key=lambda s: -s.seq):
            if qty == ZERO:
                break
            cut = min(qty, st.remaining_count)
            qty -= cut
            if cut == st.remaining_count:
                self._remove_resting(st, deltas, ts_ms)
                st.status = "canceled"
            else:
                st.remaining_count -= cut
                lvl.total -= cut
                deltas.append(BookDelta(st.order.ticker, outcome, price, -cut, ts_ms))


def levels_from_strings(rows: Sequence[Sequence[str]], field: str) -> list[tuple[Decimal, Decimal]]:
    """Parse ``[["0.2700", "31.54"], ...]`` (REST/WS ladders) into exact (price, count) pairs."""
    out: list[tuple[Decimal, Decimal]] = []
    for i, row in enumerate(rows):
        if len(row) != 2:
            raise EngineError(f"{field}[{i}]: expected [price, count], got {row!r}")
        out.append((parse_price(row[0], f"{field}[{i}][0]"), parse_count(row[1], f"{field}[{i}][1]")))
    return out
