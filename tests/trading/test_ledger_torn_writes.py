"""The ledger under torn writes (issue #12): framed + checksummed records, a torn tail truncated
on open (warning with the byte offset), a corrupt middle record refused naming its line."""

from __future__ import annotations

import json
import logging
import zlib
from decimal import Decimal

import pytest

from kalshi_edge.trading.intents import GateConfig, build_intents
from kalshi_edge.trading.ledger import LedgerError, OrderLedger, parse_record
from tests.trading.conftest import NOW, prob, snap


def _intent(ticker: str = "KXHIGHNY-26MAR01-B45.5"):
    (it,) = build_intents([prob(ticker, 0.6)], [snap(ticker)], strategy="t", now=NOW,
                          cfg=GateConfig(max_count=Decimal("10"))).intents
    return it


def _ledger_with_three_records(path):
    led = OrderLedger(path)
    it = _intent()
    led.record_intent(it)
    led.append("sent", client_order_id=it.client_order_id)
    led.append("acknowledged", client_order_id=it.client_order_id, order_id="O-1")
    led.close()
    return it


def test_every_record_is_plain_json_with_a_crc_of_its_bytes(tmp_path):
    path = tmp_path / "o.jsonl"
    _ledger_with_three_records(path)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4
    for raw in lines[:-1]:
        ev = json.loads(raw)  # still one JSON object a line (DuckDB reads it)
        body = raw[: raw.rindex(b',"crc32"')] + b"}"
        assert ev["crc32"] == f"{zlib.crc32(body):08x}"
        assert "crc32" not in parse_record(raw)


def test_a_writer_killed_at_every_byte_offset_of_a_record_loses_only_that_record(tmp_path, caplog):
    path = tmp_path / "o.jsonl"
    it = _ledger_with_three_records(path)
    data = path.read_bytes()
    start = data.rindex(b"\n", 0, len(data) - 1) + 1  # the last record spans data[start:]
    assert len(data) - start > 100
    for cut in range(start, len(data)):
        path.write_bytes(data[:cut])  # the crash left `cut - start` bytes of the record
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="kalshi_edge.trading.ledger"):
            led = OrderLedger(path)
        assert led.orders[it.client_order_id].state == "sent", cut  # the torn record never happened
        if cut > start:
            assert f"torn last record at byte offset {start}" in caplog.text, cut
        assert path.stat().st_size == start, cut  # truncated: the next append is not glued on
        led.append("acknowledged", client_order_id=it.client_order_id, order_id="O-2")
        led.close()
        again = OrderLedger(path)
        assert again.orders[it.client_order_id].order_id == "O-2", cut
        assert [e["event"] for e in again.events()] == ["intent", "sent", "acknowledged"]
        again.close()


@pytest.mark.parametrize("damage, why", [
    (lambda raw: raw.replace(b'"sent"', b'"sunt"'), "checksum mismatch"),
    (lambda raw: raw[:40], "not valid JSON"),  # a fragment glued into the middle by an old writer
])
def test_a_corrupt_middle_record_is_refused_naming_its_line(tmp_path, damage, why):
    path = tmp_path / "o.jsonl"
    _ledger_with_three_records(path)
    lines = path.read_bytes().split(b"\n")
    offset = len(lines[0]) + 1
    lines[1] = damage(lines[1])
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(LedgerError) as err:
        OrderLedger(path)
    msg = str(err.value)
    assert f"{path}: line 2 (byte offset {offset}) is corrupt ({why})" in msg and "\n" not in msg


def test_a_plain_jsonl_ledger_from_an_earlier_version_still_reads_and_appends(tmp_path):
    path = tmp_path / "old.jsonl"
    it = _intent()
    old = [
        {"seq": 1, "event": "intent", "at": NOW.isoformat(), "client_order_id": it.client_order_id,
         "strategy": "t", "family": "weather", "ticker": it.ticker, "event_ticker": it.event_ticker, "side": "yes",
         "action": "buy", "price": "0.42", "count": "10", "liquidity": "taker", "p_yes": 0.6,
         "decided_at": NOW.isoformat()},
        {"seq": 2, "event": "sent", "at": NOW.isoformat(), "client_order_id": it.client_order_id},
    ]
    path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in old))
    led = OrderLedger(path)
    assert led.orders[it.client_order_id].state == "sent"
    led.append("cancelled", client_order_id=it.client_order_id, reason="test")
    led.close()
    assert OrderLedger(path).orders[it.client_order_id].state == "cancelled"
