"""A real browser (Debian's headless Chromium through its chromedriver) logs into Airflow, opens the
dashboard from the UI's navigation, checks every section renders with the seeded numbers and that
the console stays free of errors, and saves a screenshot under data/reports/.

The lake is seeded by a paper session against the simulator (``kalshi_edge.dashboard.demo``); the
Airflow API server runs on a free loopback port with the simple auth manager.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from tests.airflow_api_server import airflow_api_server, airflow_env

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
REPORT = PROJECT_ROOT / "data" / "reports" / "dashboard-browser.png"
SECTIONS = ("sec-predictions", "sec-positions", "sec-orders", "sec-ledger", "sec-freshness", "sec-models",
            "sec-readiness")


def usd(x: Decimal) -> str:
    """The page's money format (dashboard.html fmt(v, "usd"))."""
    return ("−$" if x < 0 else "$") + f"{abs(x):.2f}"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from kalshi_edge.config import load_settings
    from kalshi_edge.dashboard.demo import seed_paper_lake

    data = tmp_path_factory.mktemp("lake") / "data"
    s = load_settings(data_dir=data, kalshi_env="local", min_edge_dollars="0.01")
    out = seed_paper_lake(s)
    from kalshi_edge.dashboard.summary import build_summary

    return data, out, build_summary(s)


@pytest.fixture(scope="module")
def api_server(seeded):
    data, _, _ = seeded
    home = Path(os.environ["AIRFLOW_HOME"])
    env = airflow_env(KALSHI_EDGE_DATA_DIR=str(data), KALSHI_EDGE_KALSHI_ENV="local")
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    with airflow_api_server(env, home / "api-server.log") as base:
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        yield base, password


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Chromium is missing: `make test-browser` installs Debian's chromium + chromium-driver")
    profile = tempfile.mkdtemp(prefix="ke-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1400,2200"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_dashboard_in_the_airflow_ui(api_server, browser, seeded):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, password = api_server
    _, out, expected = seeded
    wait = WebDriverWait(browser, 30)

    # 1. Log in through Airflow's own login page.
    browser.get(base + "/")
    wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    link = wait.until(ec.element_to_be_clickable((By.XPATH, "//a[normalize-space()='Kalshi Edge']")))
    browser.get_log("browser")  # drop what the login page logged (Airflow's own /ui/config 401)

    # 2. Open the dashboard from the navigation: the UI embeds /kalshi-edge/ in its plugin page.
    assert link.get_attribute("href").endswith("/plugin/kalshi-edge")
    link.click()
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe[src*='/kalshi-edge/']")))
    browser.switch_to.frame(frame)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "section#fam-billboard")))
    status = browser.find_element(By.ID, "status")
    assert status.get_attribute("data-generated-at")
    assert browser.find_element(By.ID, "error").text == ""

    # 3. Every section of every family is there, with the seeded numbers.
    for fam, f in expected["families"].items():
        sec = browser.find_element(By.ID, f"fam-{fam}")
        for cls in SECTIONS:
            assert sec.find_elements(By.CSS_SELECTOR, f".{cls}"), (fam, cls)
        kpi = {k: sec.find_element(By.CSS_SELECTOR, f"[data-kpi={k}] b").text
               for k in ("realized", "unrealized", "fees", "total", "positions", "open_orders")}
        assert kpi["realized"] == usd(Decimal(f["pnl"]["realized_net"]))
        assert kpi["unrealized"] == usd(Decimal(f["pnl"]["unrealized"]))
        assert kpi["fees"] == usd(Decimal(f["pnl"]["fees"]))
        assert kpi["positions"] == str(len(f["positions"])) and kpi["open_orders"] == "0"
        rows = sec.find_elements(By.CSS_SELECTOR, "table.positions tbody tr")
        shown = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1].text for r in rows}
        assert shown == {p["ticker"]: p["position"] for p in f["positions"]}
        preds = sec.find_elements(By.CSS_SELECTOR, "table.predictions tbody tr")
        assert len(preds) == len(f["predictions"]) > 0
        readiness = sec.find_elements(By.CSS_SELECTOR, "table.readiness tbody tr")
        assert len(readiness) == len(f["readiness"]["criteria"])
        assert "NOT READY" in sec.find_element(By.CSS_SELECTOR, ".readiness-badge").text
        fresh = sec.find_element(By.CSS_SELECTOR, "table.freshness").text
        assert "kalshi_markets" in fresh and "series_ticker=KXTOPSONG/date=2026-07-13" in fresh
        assert sec.find_elements(By.CSS_SELECTOR, "table.ledger tbody tr")
        img = sec.find_element(By.CSS_SELECTOR, "img.equity")  # the server-rendered PNG loaded
        wait.until(lambda d, img=img: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img))
    # The exchange's own positions are the ones shown, across families.
    all_rows = browser.find_elements(By.CSS_SELECTOR, "table.positions tbody tr")
    assert {r.find_elements(By.TAG_NAME, "td")[0].text for r in all_rows} == set(out["open_positions"])

    # 4. No console errors from opening the dashboard; a screenshot of the whole UI.
    browser.switch_to.default_content()
    errors = _severe(browser)
    assert not errors, errors
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(REPORT))
    assert REPORT.stat().st_size > 10_000

    # 5. The page refreshes itself (every 30 s by default; ?refresh=2 here), without errors.
    browser.get(base + "/kalshi-edge/?refresh=2")
    first = wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-generated-at"))
    wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-generated-at") != first)
    assert browser.find_element(By.ID, "error").text == ""
    assert not _severe(browser)
