"""Team live under a live trickle: every new event is on the open page within seconds, with no reload.

A real worker (Kafka -> Faust -> chDB, the dashboards in the same process, as `teamflow up` runs
them) holds a simulated history; the manager's Team live page stays open in headless Chromium for
TRICKLE_SECONDS while one recognition a second lands through Kafka. Each one must raise the
recognition tile's count on screen (its footer: "N recognitions") within SHOWN_WITHIN_SECONDS,
and nine in ten within P90_SECONDS: the page's short tick and the refresher's recompute together.
"""
from __future__ import annotations

import os
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from selenium.webdriver.common.by import By

from test_dashboards_browser import login, wait_loaded, worker  # noqa: F401  (the module's own worker)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    os.environ.get("TEAMFLOW_FRESHNESS_BROWSER") == "0",
    reason="TEAMFLOW_FRESHNESS_BROWSER=0: skipped (a machine too loaded for these bounds)")]

TRICKLE_SECONDS = 60
SHOWN_WITHIN_SECONDS = 20.0
P90_SECONDS = 10.0
"""Bounds with room over what the suite measured alone on 2 cores (docs/benchmarks.md § Freshness),
so a loaded CI machine does not fail a page that is fresh."""
TEAM = "atlas"  # mia manages it (test_dashboards_browser.USERS)


def _count(driver) -> int | None:
    m = re.search(r"(\d+) recognitions", driver.find_element(By.ID, "team-recognition-foot").text)
    return int(m[1]) if m else None


def test_team_live_shows_each_new_event_within_seconds(driver, worker):  # noqa: F811
    from schemas import encode_event
    from streams.producer import send_all

    giver = f"fresh-giver-{int(time.time())}"  # joins the team now, so every recognition counts for it
    joined = encode_event("teamflow.roster.member_joined",
                          {"person": giver, "team": TEAM, "role": "rep", "display_name": "Fresh Giver"},
                          source="browser-freshness", id=f"{giver}-joined",
                          time=datetime.now(timezone.utc) - timedelta(minutes=1))
    send_all(worker.producer, worker.events_topic, [(TEAM, joined)])
    login(driver, worker, "mia")
    driver.get(worker.url(f"/team?team={TEAM}"))
    wait_loaded(driver)
    from dashboards.components import period_of

    quarter = period_of(datetime.now(timezone.utc), "quarter")
    assert quarter in driver.find_element(By.ID, "team-period").text, "the page opens on the current quarter"
    driver.execute_script("window.__no_reload_marker = 7;")
    base = _count(driver)
    assert base is not None, driver.find_element(By.ID, "team-recognition-foot").text
    sent: list[float] = []
    shown: list[float] = []
    started = time.monotonic()
    next_send = started
    while time.monotonic() < started + TRICKLE_SECONDS or len(shown) < len(sent):
        now = time.monotonic()
        if now >= next_send and now < started + TRICKLE_SECONDS:
            n = len(sent)
            event = encode_event("teamflow.recognition.given",
                                 {"giver": giver, "receiver": f"fresh-{int(time.time() * 1000)}-{n}",
                                  "reason": "helping"},
                                 source="browser-freshness", id=f"fresh-{int(time.time() * 1000)}-{n}",
                                 time=datetime.now(timezone.utc))
            send_all(worker.producer, worker.events_topic, [(TEAM, event)])
            sent.append(time.monotonic())
            next_send += 1.0
        on_screen = (_count(driver) or base) - base
        while len(shown) < min(on_screen, len(sent)):
            shown.append(time.monotonic() - sent[len(shown)])
        if sent and len(shown) < len(sent):
            assert time.monotonic() - sent[len(shown)] <= SHOWN_WITHIN_SECONDS, (
                f"event {len(shown)} not on screen after {SHOWN_WITHIN_SECONDS}s ({len(shown)} of {len(sent)} shown); "
                f"footer: {driver.find_element(By.ID, 'team-recognition-foot').text}\n{worker.log_tail(40)}")
        time.sleep(0.1)
    assert len(sent) >= TRICKLE_SECONDS - 1 and len(shown) == len(sent)
    p90 = sorted(shown)[int(0.9 * (len(shown) - 1))]
    assert p90 <= P90_SECONDS, f"p90 {p90:.1f}s, max {max(shown):.1f}s"
    assert driver.execute_script("return window.__no_reload_marker;") == 7, "the page was reloaded"
    print(f"on screen after p50 {sorted(shown)[len(shown) // 2]:.2f}s, p90 {p90:.2f}s, max {max(shown):.2f}s")
