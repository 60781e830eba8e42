"""One event end to end: kafka-python producer -> real broker -> Faust worker -> chDB -> Dash page."""
from __future__ import annotations

import http.cookiejar
import json
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import pytest

from schemas import encode_event
from streams.producer import make_producer, send_all
from support.processes import WorkerProcess
from support.services import REPO

pytestmark = pytest.mark.integration


def _signed_in(worker: WorkerProcess, users_file, role: str = "executive") -> urllib.request.OpenerDirector:
    """Create a dashboard user with the real command and sign in through the login form."""
    subprocess.run([sys.executable, "-m", "teamflow", "users", "add", "e2e", "--role", role, "--password-stdin"],
                   input="correct horse battery\n", text=True, check=True, cwd=REPO,
                   env={**worker.env, "TEAMFLOW_USERS_FILE": str(users_file)})
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = urllib.parse.urlencode({"username": "e2e", "password": "correct horse battery"}).encode()
    with opener.open(worker.url("/login"), data=form, timeout=10) as r:
        assert r.status == 200
    return opener


def _dash_callback(worker: WorkerProcess, opener: urllib.request.OpenerDirector) -> dict:
    """Call the live page's refresh callback the way the browser does."""
    outputs = [{"id": "live-health", "property": "children"}, {"id": "live-counts", "property": "children"},
               {"id": "live-feed", "property": "children"}]
    body = {
        "output": "..live-health.children...live-counts.children...live-feed.children..",
        "outputs": outputs,
        "inputs": [{"id": "live-tick", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["live-tick.n_intervals"],
        "state": [],
    }
    req = urllib.request.Request(worker.url("/_dash-update-component"), data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with opener.open(req, timeout=10) as r:
        return json.loads(r.read())


def test_one_event_travels_from_producer_to_dashboard(kafka, tmp_path):
    users_file = tmp_path / "users.json"
    worker = WorkerProcess(kafka.bootstrap_servers, tmp_path / "worker",
                           extra_env={"TEAMFLOW_USERS_FILE": str(users_file)}).start()
    try:
        assert worker.status() == {"events": 0, "dead_letters": 0, "last_ingested": None}
        event = encode_event("teamflow.roster.member_joined",
                             {"person": "p-ana", "team": "north", "role": "rep", "display_name": "Ana"},
                             source="e2e-test", id="evt-0001", time=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))
        producer = make_producer(kafka.bootstrap_servers)
        send_all(producer, worker.events_topic, [("north", event), ("north", b"{not json")])
        send_all(producer, worker.events_topic, [("north", event)])  # the same event again
        producer.close()

        status = worker.wait_for(lambda s: s["events"] >= 1 and s["dead_letters"] >= 1, what="event and dead letter")
        assert status["events"] == 1, "the duplicate must not be stored twice"
        assert status["dead_letters"] == 1

        anonymous = urllib.request.Request(worker.url("/_dash-update-component"), data=b"{}",
                                           headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(anonymous, timeout=10)
        assert refused.value.code == 401, "no data without a login"

        page = _dash_callback(worker, _signed_in(worker, users_file))
        text = json.dumps(page)
        assert "evt-0001" in text and "teamflow.roster.member_joined" in text
        assert "1 events stored, 1 dead letters" in text
        with urllib.request.urlopen(worker.url("/"), timeout=10) as r:
            assert r.status == 200 and b"Teamflow" in r.read()
    finally:
        assert worker.stop() == 0, worker.log_tail()
