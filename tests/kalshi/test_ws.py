"""Order-book keeper (seq checking, resnapshot), journal and replay.

Messages use the verbatim shapes from KALSHI_API.md's WebSocket section (the FED-23DEC-T3.00
snapshot/delta examples); the sequences around them (gaps, resets, negative levels) are
synthetic because no recorded session contains those failures — which is the point of the test.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from kalshi_edge.kalshi.errors import KalshiSchemaError
from kalshi_edge.kalshi.journal import Journal, replay
from kalshi_edge.kalshi.ws import BookKeeper, Resnapshot, decode_lifecycle, decode_ticker, rebuild_books

T = "FED-23DEC-T3.00"


def snap(seq, sid=2, ticker=T, yes=(("0.0800", "300.00"),), no=(("0.5400", "20.00"),)):
    return {"type": "orderbook_snapshot", "sid": sid, "seq": seq,
            "msg": {"market_ticker": ticker, "market_id": "m", "yes_dollars_fp": [list(x) for x in yes],
                    "no_dollars_fp": [list(x) for x in no]}}


def delta(seq, price, d, side="yes", sid=2, ticker=T):
    return {"type": "orderbook_delta", "sid": sid, "seq": seq,
            "msg": {"market_ticker": ticker, "price_dollars": price, "delta_fp": d, "side": side, "ts_ms": 1669149841000}}


def test_documented_delta_that_removes_a_missing_level_is_a_desync():
    k = BookKeeper()
    assert k.process(snap(2)) == []
    # the documented example delta (-54 NO at 0.96) applied to the documented snapshot would make
    # a level negative: the book is out of sync, so it is dropped and re-requested
    actions = k.process(delta(3, "0.9600", "-54.00", side="no"))
    assert [(a.sid, a.tickers) for a in actions] == [(2, (T,))] and "bad delta" in actions[0].reason
    assert T not in k.books and k.gaps_detected == 1


def test_deltas_applied_and_best_prices():
    k = BookKeeper()
    k.process(snap(1))
    assert k.process(delta(2, "0.0900", "10.00")) == []
    assert k.process(delta(3, "0.0800", "-300.00")) == []
    book = k.books[T]
    assert book.yes == {D("0.09"): D("10")}
    assert book.best_yes_ask == D("0.46")
    assert k.deltas_applied == 2


def test_gap_drops_book_requests_snapshot_and_heals():
    k = BookKeeper()
    k.process(snap(1, ticker="A"))
    k.process(snap(2, ticker="B"))
    actions = k.process(delta(4, "0.1000", "1.00", ticker="A"))  # seq 3 was lost
    assert actions == [Resnapshot(2, ("A", "B"), actions[0].reason)] and "gap" in actions[0].reason
    assert k.books == {}  # every book of the sid is suspect
    # deltas still in flight before our snapshots arrive are ignored, without new requests
    assert k.process(delta(5, "0.1000", "1.00", ticker="B")) == []
    assert k.process(snap(6, ticker="A", yes=(("0.1100", "5.00"),))) == []
    assert set(k.books) == {"A"}
    assert k.process(delta(7, "0.1100", "1.00", ticker="B")) == []  # B still awaiting: skipped
    assert k.process(snap(8, ticker="B")) == []
    assert k.process(delta(9, "0.1100", "2.00", ticker="A")) == []
    assert k.books["A"].yes == {D("0.11"): D("7")} and "B" in k.books
    assert k.gaps_detected == 1


def test_delta_before_any_snapshot_asks_for_one():
    k = BookKeeper()
    actions = k.process(delta(5, "0.1", "1"))
    assert len(actions) == 1 and actions[0].tickers == (T,)


def test_repeated_seq_is_a_reset():
    k = BookKeeper()
    k.process(snap(1))
    k.process(delta(2, "0.0900", "1.00"))
    assert k.process(delta(2, "0.0900", "1.00"))  # duplicate seq → resnapshot
    assert T not in k.books


def test_malformed_delta_names_field():
    k = BookKeeper()
    k.process(snap(1))
    bad = delta(2, "0.1", "1")
    del bad["msg"]["delta_fp"]
    with pytest.raises(KalshiSchemaError, match="delta_fp"):
        k.process(bad)


def test_decoders():
    t = decode_ticker({"market_ticker": T, "yes_bid_dollars": "0.4000", "yes_ask_dollars": "0.4200",
                       "price_dollars": "0.4100", "volume_fp": "10.00", "open_interest_fp": "3.00", "ts_ms": 5})
    assert (t.yes_bid, t.yes_ask, t.last_price) == (D("0.40"), D("0.42"), D("0.41"))
    lc = decode_lifecycle({"market_ticker": T, "event_type": "determined", "result": "yes"})
    assert lc.event_type == "determined" and lc.result == "yes"


def test_journal_roundtrip_and_rebuild(tmp_path):
    path = tmp_path / "j" / "session.jsonl"
    frames = [snap(1), delta(2, "0.0900", "10.00"), delta(3, "0.0800", "-100.00")]
    with Journal(path) as j:
        j.append(json.dumps({"id": 1, "cmd": "subscribe"}), direction="out", recv_ts_ms=1)
        for i, f in enumerate(frames):
            j.append(json.dumps(f), recv_ts_ms=100 + i)
        j.append(b"not json", recv_ts_ms=200)
    entries = list(replay(path))
    assert [e.recv_ts_ms for e in entries] == [100, 101, 102, 200]
    assert len(list(replay(path, direction=None))) == 5
    k = rebuild_books(path)
    assert k.books[T].yes == {D("0.08"): D("200"), D("0.09"): D("10")}


def test_journal_torn_last_line_is_skipped_but_corruption_elsewhere_raises(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as j:
        j.append("{}", recv_ts_ms=1)
    with path.open("a") as fh:
        fh.write('{"recv_ts_ms": 2, "fr')
    assert len(list(replay(path))) == 1
    with path.open("a") as fh:
        fh.write("\n" + json.dumps({"recv_ts_ms": 3, "dir": "in", "frame": "{}"}) + "\n")
    with pytest.raises(ValueError, match=r"j.jsonl:2"):
        list(replay(path))


def test_keeper_rebuilds_recorded_top_of_book_exactly():
    """The bench's frames (real KXHIGHNY top-of-book log → deltas) end in the log's last quotes."""
    import csv
    import gzip
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    try:
        from benchmarks.bench_orderbook import SAMPLE, build_frames
    finally:
        sys.path.remove(str(root))
    k = BookKeeper()
    for f in build_frames():
        assert k.process(json.loads(f)) == []
    with gzip.open(SAMPLE, "rt", newline="") as fh:
        last = {r["market_ticker"]: r for r in csv.DictReader(fh)}
    assert k.gaps_detected == 0 and set(k.books) == set(last)
    for t, r in last.items():
        yb = D(r["best_yes_bid"]) / 100 if int(r["best_yes_bid"]) > 0 else None
        nb = D(r["best_no_bid"]) / 100 if int(r["best_no_bid"]) > 0 else None
        assert (k.books[t].best_yes_bid, k.books[t].best_no_bid) == (yb, nb), t
