"""The dashboards in headless Chromium against a real worker fed with simulated events.

One worker process (Kafka -> Faust -> chDB, dashboards in the same process) per module, users
made with the `teamflow users` command. Every page loads with real figures for each role, a
filter changes them, a role cannot open what it should not (nor call its callbacks), a new
event appears without a reload, and no page ranks people. Screenshots: docs/screenshots/.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from support.browser import chromium_missing, session_opener
from support.browser import sign_in as login
from support.services import REPO

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
N_EVENTS = 20_000
SEED = 7
USERS = {  # username: (password, role, person, team)
    "mia": ("manager-pass-1", "manager", "person-0000", "atlas"),
    "ray": ("rep-pass-1234", "rep", "person-0001", "atlas"),
    "eve": ("exec-pass-123", "executive", None, None),
}
PAGES = {"manager": ["/team", "/deals", "/me"], "rep": ["/team", "/me"], "executive": ["/executive"]}
ALL_PAGES = ["/team", "/deals", "/me", "/executive"]

if chromium_missing():
    pytest.skip("chromium or chromedriver missing (apt-get install chromium chromium-driver)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from dashboards import guard  # noqa: E402


@pytest.fixture(scope="module")
def worker(start_worker):
    from streams.producer import send_all
    from streams.simulator import simulate

    w = start_worker(USERS, {"TEAMFLOW_SECRET_KEY": "browser-test-secret", "TEAMFLOW_DASH_REFRESH_MS": "2000"})
    start = datetime.now(timezone.utc) - timedelta(days=270)
    send_all(w.producer, w.events_topic, list(simulate(SEED, N_EVENTS, start=start)))
    w.wait_for(lambda s: s["events"] >= N_EVENTS, timeout=240, what=f"{N_EVENTS} events stored")
    return w


def wait_loaded(driver, timeout=60):
    """Until every tile footer says what it rests on and the graphs have drawn."""
    def ready(d):
        feet = d.find_elements(By.CSS_SELECTOR, ".fresh")
        return feet and all("rests on" in f.text for f in feet) and d.find_elements(By.CSS_SELECTOR, ".main-svg")
    WebDriverWait(driver, timeout).until(ready)


def tables(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('table')).map(t => ({"
        "h: Array.from(t.querySelectorAll('th')).map(x => x.innerText),"
        "r: Array.from(t.querySelectorAll('tbody tr')).map(tr => Array.from(tr.querySelectorAll('td')).map(x => x.innerText))}))")


def assert_no_ranking(driver, where):
    text = driver.find_element(By.TAG_NAME, "main").text
    assert guard.text_violations(text) == [], where
    for t in tables(driver):
        assert guard.table_violations(t["h"], t["r"]) == [], (where, t["h"])


def http_status(opener, url, data=None):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.geturl(), r.read()
    except urllib.error.HTTPError as e:
        return e.code, url, e.read()


def test_signed_out_sees_only_the_login_and_the_health_check(worker):
    opener = urllib.request.build_opener()
    status, url, body = http_status(opener, worker.url("/team"))
    assert status == 200 and "/login" in url and b"Sign in" in body
    assert http_status(opener, worker.url("/api/status"))[0] == 200
    assert http_status(opener, worker.url("/_dash-layout"))[0] == 401


@pytest.mark.parametrize("username", ["mia", "ray", "eve"])
def test_each_role_sees_its_pages_with_real_figures_and_no_ranking(driver, worker, username):
    role = USERS[username][1]
    login(driver, worker, username)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES[role]:
        driver.get(worker.url(path))
        wait_loaded(driver)
        main = driver.find_element(By.TAG_NAME, "main").text
        assert "n=" in main and "rests on" in main, (path, main[:500])
        assert len(driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")) >= 1
        assert_no_ranking(driver, f"{role} {path}")
        if path == "/team":
            names_visible = "Person 2" in driver.find_element(By.ID, "team-net-graph").text
            assert names_visible == (role == "manager"), "only managers see names in the network"
        driver.save_screenshot(str(SHOTS / f"{role}-{path.strip('/')}.png"))
    opener = session_opener(driver)
    for path in ALL_PAGES:
        if path in PAGES[role]:
            continue
        status, _, body = http_status(opener, worker.url(path))
        assert status == 403 and b"Not allowed" in body, (role, path)
        driver.get(worker.url(path))
        assert "Not allowed" in driver.find_element(By.TAG_NAME, "body").text


def test_forged_callbacks_leak_nothing(driver, worker):
    for username, team in (("ray", "borealis"), ("eve", "atlas")):
        login(driver, worker, username)
        opener = session_opener(driver)
        outputs = [{"id": f"team-{t}-{p}", "property": prop} for t in ("net", "balance", "knowledge", "failure",
                                                                       "outcomes", "recognition")
                   for p, prop in (("graph", "figure"), ("text", "children"), ("foot", "children"))]
        outputs.append({"id": "team-shown", "property": "data"})
        body = {"output": "..." .join(f"{o['id']}.{o['property']}" for o in outputs).join(["..", ".."]),
                "outputs": outputs, "state": [{"id": "team-shown", "property": "data", "value": None}],
                "changedPropIds": ["team-team.value"],
                "inputs": [{"id": "team-team", "property": "value", "value": team},
                           {"id": "team-period", "property": "value", "value": "2026-Q1"},
                           {"id": "team-tick", "property": "n_intervals", "value": 1},
                           {"id": "team-news", "property": "data", "value": None}]}
        status, _, data = http_status(opener, worker.url("/_dash-update-component"), json.dumps(body).encode())
        assert status == 403 and b"figure" not in data, (username, status, data[:200])


def test_filters_change_the_figures(driver, worker):
    login(driver, worker, "mia")
    driver.get(worker.url("/team"))
    wait_loaded(driver)
    before = driver.find_element(By.ID, "team-net-text").text
    period_before = driver.find_element(By.ID, "team-period").text
    driver.find_element(By.XPATH, "//div[@id='team-kind']//label[contains(., 'Week')]").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "team-period").text != period_before)
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "team-net-text").text != before)
    assert "W" in driver.find_element(By.ID, "team-period").text
    driver.save_screenshot(str(SHOTS / "manager-team-week.png"))


def test_a_new_event_appears_without_reload(driver, worker):
    from schemas import encode_event
    from streams.producer import send_all

    login(driver, worker, "mia")
    driver.get(worker.url("/team"))
    wait_loaded(driver)
    driver.execute_script("window.__no_reload_marker = 42;")
    event_id = f"live-{int(time.time() * 1000)}"
    event = encode_event("teamflow.knowledge.shared",
                         {"artifact_id": event_id, "author": "person-0002", "kind": "war_story",
                          "title": "Lost the renewal: we never met the CFO", "audience": "team"},
                         source="browser-test", id=event_id, time=datetime.now(timezone.utc))
    send_all(worker.producer, worker.events_topic, [("atlas", event)])
    WebDriverWait(driver, 90).until(
        lambda d: "Lost the renewal" in d.find_element(By.ID, "team-failure-text").text)
    assert driver.execute_script("return window.__no_reload_marker;") == 42
