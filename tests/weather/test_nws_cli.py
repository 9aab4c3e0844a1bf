"""The real NWS CLI reports (July 2026, six settlement stations) parse to the published numbers."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.sources.nws_cli import CliParseError, choose_report, fetch_cli_report, parse_cli_text

# (file, cli id, climate day, kind, max, max time LST, min, issued UTC) read off each report by eye
CASES = [
    ("nyc_final.txt", "CLINYC", date(2026, 7, 8), "final", 85, "15:47", 64, datetime(2026, 7, 9, 6, 26, tzinfo=UTC)),
    ("nyc_intermediate.txt", "CLINYC", date(2026, 7, 9), "intermediate", 82, "10:50", 71,
     datetime(2026, 7, 9, 20, 35, tzinfo=UTC)),
    ("nyc_record.txt", "CLINYC", date(2026, 7, 2), "final", 100, "14:47", 82, datetime(2026, 7, 3, 6, 19, tzinfo=UTC)),
    ("chi_final.txt", "CLIMDW", date(2026, 7, 8), "final", 89, "14:56", 67, datetime(2026, 7, 9, 6, 34, tzinfo=UTC)),
    ("chi_intermediate.txt", "CLIMDW", date(2026, 7, 9), "intermediate", 87, "14:34", 74,
     datetime(2026, 7, 9, 21, 34, tzinfo=UTC)),
    ("aus_final.txt", "CLIAUS", date(2026, 7, 8), "final", 99, "15:38", 74, datetime(2026, 7, 9, 6, 58, tzinfo=UTC)),
    ("aus_intermediate.txt", "CLIAUS", date(2026, 7, 9), "intermediate", 98, "14:44", 73,
     datetime(2026, 7, 9, 21, 47, tzinfo=UTC)),
    ("den_final.txt", "CLIDEN", date(2026, 7, 8), "final", 94, "12:12", 60, datetime(2026, 7, 9, 7, 35, tzinfo=UTC)),
    ("den_intermediate.txt", "CLIDEN", date(2026, 7, 9), "intermediate", 65, "01:03", 57,
     datetime(2026, 7, 9, 12, 31, tzinfo=UTC)),
    ("mia_final.txt", "CLIMIA", date(2026, 7, 8), "final", 92, "14:28", 83, datetime(2026, 7, 9, 8, 25, tzinfo=UTC)),
    ("mia_intermediate.txt", "CLIMIA", date(2026, 7, 9), "intermediate", 92, "14:57", 82,
     datetime(2026, 7, 9, 20, 21, tzinfo=UTC)),
    ("phl_final.txt", "CLIPHL", date(2026, 7, 8), "final", 86, "16:24", 70, datetime(2026, 7, 9, 5, 52, tzinfo=UTC)),
    ("phl_intermediate.txt", "CLIPHL", date(2026, 7, 9), "intermediate", 81, "08:58", 72,
     datetime(2026, 7, 9, 21, 39, tzinfo=UTC)),
]


@pytest.mark.parametrize(("name", "cli_id", "day", "kind", "max_f", "max_time", "min_f", "issued"), CASES)
def test_real_reports_parse(fixtures_dir, name, cli_id, day, kind, max_f, max_time, min_f, issued):
    rep = parse_cli_text((fixtures_dir / "nws_cli" / name).read_text(), source=name)
    assert (rep.cli_id, rep.climate_date, rep.kind) == (cli_id, day, kind)
    assert (rep.max_f, rep.max_time_lst, rep.min_f) == (max_f, max_time, min_f)
    assert rep.issued_at == issued


def test_issuance_times_agree_with_meta_json(fixtures_dir):
    meta = json.loads((fixtures_dir / "nws_cli" / "meta.json").read_text())
    for city, items in meta.items():
        for item in items:
            rep = parse_cli_text((fixtures_dir / "nws_cli" / f"{city}_{item['kind']}.txt").read_text())
            assert rep.kind == item["kind"]
            assert rep.issued_at == datetime.fromisoformat(item["issuanceTime"])


def test_record_flag_and_valid_time(fixtures_dir):
    rec = parse_cli_text((fixtures_dir / "nws_cli" / "nyc_record.txt").read_text())
    assert rec.max_is_record and rec.max_f == 100
    inter = parse_cli_text((fixtures_dir / "nws_cli" / "den_intermediate.txt").read_text())
    assert inter.valid_as_of_local == "06:00" and not inter.is_final


def test_iem_text_parses_and_final_beats_intermediate(fixtures_dir):
    final = parse_cli_text((fixtures_dir / "iem" / "text_clinyc_202607100625.txt").read_text())
    assert (final.climate_date, final.kind, final.max_f, final.max_time_lst) == (date(2026, 7, 9), "final", 82, "10:50")
    inter = parse_cli_text((fixtures_dir / "nws_cli" / "nyc_intermediate.txt").read_text())
    assert choose_report([inter, final]) is final


def test_truncated_report_is_refused(fixtures_dir):
    text = (fixtures_dir / "nws_cli" / "nyc_final.txt").read_text()
    with pytest.raises(CliParseError, match="cut.txt: no TEMPERATURE"):
        parse_cli_text(text.split("TEMPERATURE (F)")[0], source="cut.txt")


def test_cli_report_command_prints_json(fixtures_dir, capsys):
    rc = main(["weather", "cli-report", str(fixtures_dir / "nws_cli" / "chi_final.txt")])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["cli_id"] == "CLIMDW" and d["max_f"] == 89 and d["climate_date"] == "2026-07-08" and d["kind"] == "final"


@pytest.fixture()
def iem_stub(fixtures_dir):
    """A local HTTP server answering IEM's list and nwstext endpoints with the recorded payloads."""
    listing = (fixtures_dir / "iem" / "list_clinyc_20260710.json").read_bytes()
    texts = {
        "202607100625-KOKX-CDUS41-CLINYC": (fixtures_dir / "iem" / "text_clinyc_202607100625.txt").read_bytes(),
        # the 20:35Z product is not recorded: answer with the recorded intermediate of the day before
        "202607102035-KOKX-CDUS41-CLINYC": (fixtures_dir / "nws_cli" / "nyc_intermediate.txt").read_bytes(),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path.startswith("/api/1/nws/afos/list.json"):
                body = listing if "date=2026-07-10" in self.path else b'{"data": []}'
                ctype = "application/json"
            elif self.path.startswith("/api/1/nwstext/"):
                body = texts.get(self.path.rsplit("/", 1)[1], b"")
                ctype = "text/plain"
            else:
                body, ctype = b"", "text/plain"
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_cli_report_from_iem_stub(iem_stub):
    rep = fetch_cli_report("CLINYC", date(2026, 7, 9), base_url=iem_stub)
    assert rep.is_final and rep.max_f == 82 and rep.climate_date == date(2026, 7, 9)


def test_cli_report_command_fetches_by_station_and_date(iem_stub, capsys):
    rc = main(["weather", "cli-report", "--station", "KNYC", "--date", "2026-07-09", "--base-url", iem_stub])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["cli_id"], d["climate_date"], d["kind"], d["max_f"]) == ("CLINYC", "2026-07-09", "final", 82)
    assert main(["weather", "cli-report", "--station", "KXXX", "--date", "2026-07-09"]) == 2
