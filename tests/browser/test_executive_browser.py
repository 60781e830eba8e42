"""The executive page in headless Chromium: culture trends and their exports, against a real worker.

One worker (Kafka -> Faust -> chDB, dashboards in the same process) fed with simulated events over
18 months plus a three-person team that joins this quarter, below the privacy floor. The
executive sees the small multiples drawn with real figures and the tiny team's reason; the CSV,
PNG and PDF downloads arrive in Chromium's download folder with the expected content; a manager
gets neither the page nor the export callbacks.
"""
from __future__ import annotations

import csv
import io
import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest


pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
N_EVENTS = 8_000
SEED = 5
DAYS = 540
TINY = "zephyr"  # joins this quarter with 3 people: below the floor of 5
USERS = {"eve": ("exec-pass-123", "executive", None, None), "mia": ("manager-pass-1", "manager", "person-0000", "atlas")}

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("chromium or chromedriver missing (apt-get install chromium chromium-driver)", allow_module_level=True)
pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from support.browser import sign_in as login  # noqa: E402

from dashboards import guard  # noqa: E402


def _tiny_team_roster(now: datetime) -> list[tuple[str, bytes]]:
    from schemas import dataschema_uri

    out = []
    for i in range(3):
        t = (now - timedelta(hours=2, minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {"specversion": "1.0", "id": f"tiny-{i}", "source": "browser-test/tiny",
                 "type": "teamflow.roster.member_joined", "time": t, "datacontenttype": "application/json",
                 "dataschema": dataschema_uri("teamflow.roster.member_joined", 1),
                 "data": {"person": f"person-9{i:03d}", "team": TINY, "role": "rep", "display_name": f"Tiny {i}"}}
        out.append((TINY, json.dumps(event, separators=(",", ":")).encode()))
    return out


@pytest.fixture(scope="module")
def worker(start_worker):
    from streams.producer import send_all
    from streams.simulator import simulate

    w = start_worker(USERS, {"TEAMFLOW_SECRET_KEY": "browser-test-secret", "TEAMFLOW_DASH_REFRESH_MS": "2000"})
    now = datetime.now(timezone.utc)
    events = list(simulate(SEED, N_EVENTS, start=now - timedelta(days=DAYS), days=DAYS)) + _tiny_team_roster(now)
    send_all(w.producer, w.events_topic, events)
    w.wait_for(lambda s: s["events"] >= len(events), timeout=240, what=f"{len(events)} events stored")
    return w

def wait_trends(driver, timeout=240):
    """Until the trend table and every footer are filled and the small multiples have drawn."""
    def ready(d):
        feet = d.find_elements(By.CSS_SELECTOR, ".fresh")
        return (feet and all("rests on" in f.text for f in feet) and d.find_elements(By.ID, "exec-trend-grid")
                and d.find_elements(By.CSS_SELECTOR, "#exec-chart .main-svg"))
    WebDriverWait(driver, timeout, poll_frequency=1).until(ready)


def _wait_file(folder, suffix, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [f for f in folder.iterdir() if f.name.endswith(suffix)]
        if done:
            time.sleep(0.5)  # Chromium renames the .crdownload when the file is complete
            return done[0].read_bytes()
        time.sleep(0.5)
    raise AssertionError(f"no {suffix} download after {timeout}s: {[f.name for f in folder.iterdir()]}")


def _points(driver) -> int:
    """Figures drawn in the small multiples (markers with a value above zero)."""
    return driver.execute_script(
        "const g = document.getElementById('exec-chart').querySelector('.js-plotly-plot');"
        "return g.data.reduce((n, t) => n + (t.mode === 'markers' && Array.isArray(t.marker.symbol) ? "
        "Array.from(t.y).filter(v => v !== null && v > 0).length : 0), 0);")


def open_trends(driver, worker, want_points=10, timeout=240):
    """The executive page once its snapshot holds every event sent: a first snapshot may have been
    computed while the worker was still storing them (the read model then refreshes it), and the
    page has no timer, so it is opened again until the figures are there."""
    from selenium.common.exceptions import TimeoutException

    deadline = time.monotonic() + timeout
    while True:
        driver.get(worker.url("/executive"))
        try:
            wait_trends(driver, timeout=max(30.0, deadline - time.monotonic()))
        except TimeoutException:
            main = driver.find_elements(By.TAG_NAME, "main")
            raise AssertionError(f"the trends did not load: {main[0].text[:800] if main else 'no main'}\n"
                                 f"{worker.log_tail()}") from None
        if _points(driver) >= want_points or time.monotonic() > deadline:
            return
        time.sleep(5)


def test_the_executive_sees_trends_with_real_figures_and_the_reason_for_a_small_team(driver, worker):
    login(driver, worker, "eve")
    open_trends(driver, worker)
    titles = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#exec-chart .annotation-text")]
    assert {"atlas", "borealis", "Organisation", TINY} <= set(titles), titles
    assert _points(driver) >= 10, "the small multiples carry real figures"
    grid = driver.find_element(By.ID, "exec-trend-grid")
    quarters = [th.text for th in grid.find_elements(By.TAG_NAME, "th")][1:]
    assert len(quarters) >= 6 and quarters[-1].endswith("(partial)"), quarters
    rows = {tr.find_elements(By.TAG_NAME, "td")[0].text: [td.text for td in tr.find_elements(By.TAG_NAME, "td")[1:]]
            for tr in grid.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert rows[TINY][-1] == "hidden: too few people: n=3, needs 5", rows[TINY]
    assert rows[TINY][0] == "no data: nobody in the team this quarter"
    assert any("n=" in c for c in rows["atlas"]) and list(rows) == sorted(rows, key=lambda s: (s == "Organisation", s))
    assert guard.text_violations(driver.find_element(By.TAG_NAME, "main").text) == []


def test_csv_png_and_pdf_downloads_arrive_with_their_content(driver, worker, tmp_path):
    login(driver, worker, "eve")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    open_trends(driver, worker)
    driver.find_element(By.ID, "exec-csv").click()
    text = _wait_file(tmp_path, ".csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["measure", "scope", "quarter", "partial", "status", "value", "n", "min_sample", "reason",
                             "change", "direction"]
    tiny = [r for r in rows if r["scope"] == TINY and r["measure"] == "Reciprocity index"]
    assert tiny[-1]["reason"] == "hidden: too few people: n=3, needs 5" and tiny[-1]["value"] == ""
    assert all(r["value"] == "" for r in rows if r["scope"] == TINY), "nothing of a hidden team leaves the page"
    shown = [r for r in rows if r["status"] == "ok" and r["scope"] == "atlas"]
    assert shown and all(r["n"] for r in shown) and {r["direction"] for r in shown} & {"better", "worse"}
    assert len({r["quarter"] for r in rows}) >= 6
    driver.find_element(By.ID, "exec-png").click()
    png = _wait_file(tmp_path, ".png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    driver.find_element(By.ID, "exec-pdf").click()
    pdf = _wait_file(tmp_path, ".pdf")
    assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000 and b"Teamflow culture trends" in pdf


def test_a_manager_gets_neither_the_page_nor_its_exports(driver, worker):
    import http.cookiejar
    import urllib.error
    import urllib.request

    from dashboards.components import period_of

    quarter = period_of(datetime.now(timezone.utc), "quarter")
    login(driver, worker, "mia")
    jar = http.cookiejar.CookieJar()
    for c in driver.get_cookies():
        jar.set_cookie(http.cookiejar.Cookie(0, c["name"], c["value"], None, False, "127.0.0.1", False, False, "/",
                                             True, False, None, False, None, None, {}))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(output, button):
        body = {"output": output, "outputs": {"id": output.split(".")[0], "property": "data"},
                "inputs": [{"id": button, "property": "n_clicks", "value": 1}], "changedPropIds": [f"{button}.n_clicks"],
                "state": [{"id": "exec-period", "property": "value", "value": quarter}]}
        req = urllib.request.Request(worker.url("/_dash-update-component"), data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with opener.open(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    for output, button in (("exec-download.data", "exec-csv"), ("exec-download-png.data", "exec-png"),
                           ("exec-download-pdf.data", "exec-pdf")):
        status, body = post(output, button)
        assert status == 403 and b"base64" not in body and b"measure," not in body, (button, status, body[:200])
    driver.get(worker.url("/executive"))
    assert "Not allowed" in driver.find_element(By.TAG_NAME, "body").text
