"""Needs attention and the demo in the present, in headless Chromium against a real worker.

The worker (Kafka -> Faust -> chDB, dashboards in the same process) is fed the demo's history
(`streams.simulator.demo_stream`, ending now) plus a few hand-made losses dated relative to now:
one owned by the manager, one by the rep, one in another team. The manager's list holds the
first two (the sooner deadline first) and not the other team's; the rep's only their own; an
item opens its deal; the week view's empty chart says why; pages open on the current period.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from itertools import islice

import pytest


pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
USERS = {"mia": ("manager-pass-1", "manager", "person-0000", "atlas"),
         "ray": ("rep-pass-1234", "rep", "person-0001", "atlas")}
HISTORY = 6000

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("chromium or chromedriver missing (apt-get install chromium chromium-driver)", allow_module_level=True)
pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from support.browser import sign_in as login  # noqa: E402


def hand_events(now: datetime) -> list[tuple[str, bytes]]:
    from streams.simulator import envelope

    out = []

    def add(key: str, days_ago: float, type_: str, **data) -> None:
        t = int((now - timedelta(days=days_ago)).timestamp())
        out.append((key, envelope(f"teamflow.{type_}", data, t, source="hand-attention", id_=f"h{len(out)}")))

    add("borealis", 200, "roster.member_joined", person="hand-other", team="borealis", role="rep",
        display_name="Other Team Rep")
    for deal_id, owner, team, closed_ago in (("hand-lost-mia", "person-0000", "atlas", 3),
                                             ("hand-lost-ray", "person-0001", "atlas", 10),
                                             ("hand-lost-other", "hand-other", "borealis", 5)):
        add(team, 40, "deal.opened", deal_id=deal_id, owner=owner, team=team, account="acct-hand", amount=1000.0,
            currency="EUR", stage="discovery")
        add(team, closed_ago, "deal.closed", deal_id=deal_id, outcome="lost", amount=1000.0)
    return out


@pytest.fixture(scope="module")
def worker(start_worker):
    from streams.producer import send_all
    from streams.simulator import demo_stream, envelope

    w = start_worker(USERS, {"TEAMFLOW_SECRET_KEY": "attention-test-secret", "TEAMFLOW_DASH_REFRESH_MS": "2000"})
    now = datetime.now(timezone.utc)
    history = [(e.key, envelope(e.type, e.data, e.time, source="teamflow-demo/7/x", id_=f"demo-{e.index}"))
               for e in islice(demo_stream(7, HISTORY, now=now), HISTORY) if not e.live]
    records = history + hand_events(now)
    send_all(w.producer, w.events_topic, records)
    w.wait_for(lambda s: s["events"] >= len(records), timeout=240, what=f"{len(records)} events stored")
    return w

def attention_items(driver, tile: str, timeout: float = 180) -> list[dict]:
    """The items of a needs-attention tile once it has drawn: days-left text, kind, deal link."""
    def drawn(d):
        foot = d.find_elements(By.ID, f"{tile}-foot")
        return foot and "rests on" in foot[0].text
    WebDriverWait(driver, timeout).until(drawn)
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' .attn-item')).map(li => ({"
        "text: li.innerText, when: li.querySelector('.attn-when').innerText, kind: li.dataset.kind,"
        "href: (li.querySelector('a') || {}).href || '', id: li.id}))", f"#{tile}-text")


def deal_items(items: list[dict], deal_id: str) -> list[dict]:
    return [i for i in items if f"deal {deal_id}" in i["text"]]


def test_manager_sees_the_teams_items_by_urgency_and_not_another_team(driver, worker):
    login(driver, worker, "mia")
    driver.get(worker.url("/team"))
    items = attention_items(driver, "team-attention")
    ray, mia = deal_items(items, "hand-lost-ray"), deal_items(items, "hand-lost-mia")
    assert len(ray) == 1 and len(mia) == 1, [i["text"] for i in items]
    assert ray[0]["when"] == "3 days left" and mia[0]["when"] == "10 days left"
    assert items.index(ray[0]) < items.index(mia[0]), "sooner deadline first"
    assert "Person 1" in ray[0]["text"], "a manager sees whose deal it is"
    assert not deal_items(items, "hand-lost-other") and "Other Team Rep" not in driver.page_source
    lefts = [int(i["when"].split()[0]) if "left" in i["when"] else -int(i["when"].split()[2])
             for i in items if "left" in i["when"] or "overdue" in i["when"]]
    assert lefts == sorted(lefts), "ordered by days left only"


def test_an_item_opens_its_deal_on_the_deals_page(driver, worker):
    login(driver, worker, "mia")
    driver.get(worker.url("/team"))
    item = deal_items(attention_items(driver, "team-attention"), "hand-lost-ray")[0]
    assert item["href"].endswith("/deals?team=atlas&deal=hand-lost-ray")
    driver.get(item["href"])  # what a click on the link opens
    WebDriverWait(driver, 120).until(lambda d: "/deals" in d.current_url)
    items = attention_items(driver, "deals-attention")
    selected = WebDriverWait(driver, 120).until(lambda d: d.execute_script(
        "const s = document.getElementById('deals-selected'); return s && s.innerText"))
    assert selected.startswith("Deal hand-lost-ray:") and "no review yet" in selected
    highlighted = driver.execute_script(  # read at once: the list is redrawn on every refresh tick
        "return Array.from(document.querySelectorAll('#deals-attention-text .attn-item.selected a'))"
        ".map(a => a.innerText)")
    assert highlighted == ["deal hand-lost-ray"]
    assert deal_items(items, "hand-lost-mia"), "the other items stay, in their order"


def test_rep_sees_only_their_own_items(driver, worker):
    login(driver, worker, "ray")
    for path, tile in (("/me", "me-attention"), ("/team", "team-attention")):
        driver.get(worker.url(path))
        items = attention_items(driver, tile)
        mine = deal_items(items, "hand-lost-ray")
        assert len(mine) == 1 and mine[0]["when"] == "3 days left", (path, [i["text"] for i in items])
        assert mine[0]["href"].endswith("#deal-hand-lost-ray") and mine[0]["id"] == "deal-hand-lost-ray"
        assert not deal_items(items, "hand-lost-mia") and not deal_items(items, "hand-lost-other")
        assert "Person 0" not in driver.find_element(By.ID, f"{tile}-text").text, "nobody else named"


def test_demo_opens_on_the_current_period_and_an_empty_chart_says_why(driver, worker):
    from dashboards.components import period_of

    login(driver, worker, "mia")
    driver.get(worker.url("/team"))
    now = datetime.now(timezone.utc)
    WebDriverWait(driver, 60).until(lambda d: period_of(now, "quarter") in d.find_element(By.ID, "team-period").text)
    driver.find_element(By.XPATH, "//div[@id='team-kind']//label[contains(., 'Week')]").click()
    WebDriverWait(driver, 60).until(lambda d: period_of(now, "week") in d.find_element(By.ID, "team-period").text)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        graph = driver.find_element(By.ID, "team-outcomes-graph").text
        if "Not enough data" in graph:
            break
        time.sleep(1)
    assert "Not enough data in this period" in graph and "needs" in graph, graph


def test_my_view_says_whose_figures_and_lists_that_persons_items(driver, worker):
    from dashboards import guard

    login(driver, worker, "mia")
    driver.get(worker.url("/me?person=person-0001"))
    items = attention_items(driver, "me-attention")
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "me-whose").text.startswith("Figures of Person 1"))
    assert deal_items(items, "hand-lost-ray") and not deal_items(items, "hand-lost-mia")
    assert deal_items(items, "hand-lost-ray")[0]["href"].endswith("/deals?team=atlas&deal=hand-lost-ray")
    assert guard.text_violations(driver.find_element(By.TAG_NAME, "main").text) == []
    driver.get(worker.url("/me"))
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "me-whose").text.startswith("Your own figures"))
