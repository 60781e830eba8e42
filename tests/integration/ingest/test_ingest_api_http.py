"""The ingest API against the real broker and a real worker: every HTTP mode, dedup, dead letters, auth."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from ingest_harness import ApiServer, settle

from schemas import encode_event
from support.services import REPO, free_port

pytestmark = pytest.mark.integration

STRUCTURED = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def _event(i: str, source: str = "//crm/test", deal: str = "deal-1") -> bytes:
    return encode_event("teamflow.deal.rediscovery_started", {"deal_id": deal}, source=source, id=i,
                        time="2025-03-04T09:30:00Z", subject=deal)


def _bad(i: str, source: str = "//crm/test") -> bytes:
    return json.dumps({"specversion": "1.0", "id": i, "source": source, "type": "teamflow.help.given",
                       "time": "2025-03-04T09:30:00Z", "data": {"help_id": "h1", "helper": "p-1", "recipient": "p-2",
                                                               "kind": "advice", "minutes": "ten"}}).encode()


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_all_http_modes_reach_the_store_and_bad_events_the_dead_letters(api, worker, tokens):
    before = worker.status()
    ev, dl = before["events"], before["dead_letters"]
    h = _auth(tokens["crm"])
    run = uuid.uuid4().hex[:8]

    # structured
    r = requests.post(f"{api.url}/events", data=_event(f"s-{run}"), headers={**h, **STRUCTURED}, timeout=30)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    # batch: two good, one bad -> 207, the good ones accepted
    body = b"[" + b",".join([_event(f"b1-{run}"), _bad(f"b2-{run}"), _event(f"b3-{run}")]) + b"]"
    r = requests.post(f"{api.url}/events", data=body, headers={**h, **BATCH}, timeout=30)
    assert r.status_code == 207, r.text
    statuses = [x["status"] for x in r.json()["results"]]
    assert statuses == ["accepted", "rejected", "accepted"]
    assert "data.minutes" in r.json()["results"][1]["reason"]
    # binary
    bh = {**h, "Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": f"bin-{run}",
          "ce-source": "//crm/test%2Fbinary", "ce-type": "teamflow.deal.rediscovery_started",
          "ce-time": "2025-03-04T09:30:00Z", "ce-subject": "deal-9"}
    r = requests.post(f"{api.url}/events", data=b'{"deal_id": "deal-9"}', headers=bh, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["source"] == "//crm/test/binary"  # percent-decoded header value
    # NDJSON with a blank line and a malformed line
    nd = b"\n".join([_event(f"n1-{run}"), b"", _event(f"n2-{run}"), b"{not json"]) + b"\n"
    r = requests.post(f"{api.url}/events", data=nd, headers={**h, **NDJSON}, timeout=30)
    assert r.status_code == 207 and r.json()["accepted"] == 2 and r.json()["rejected"] == 1, r.text

    settle(worker, ev + 6, dl + 2)

    # the same events again: answered duplicate by the API, nothing new stored
    r = requests.post(f"{api.url}/events", data=_event(f"s-{run}"), headers={**h, **STRUCTURED}, timeout=30)
    assert r.status_code == 200 and r.json()["duplicate"] == 1
    r = requests.post(f"{api.url}/events", data=nd, headers={**h, **NDJSON}, timeout=30)
    assert r.json()["duplicate"] == 2
    settle(worker, ev + 6, dl + 2)  # the refused line again: same fingerprint, one dead letter


def test_dedup_downstream_after_an_api_restart(kafka, worker, tokens):
    """A fresh API has an empty LRU; the store still keeps one row per (source, id)."""
    before = worker.status()
    run = uuid.uuid4().hex[:8]
    events = [_event(f"r{k}-{run}") for k in range(20)]
    for _ in range(2):
        server = ApiServer(kafka.bootstrap_servers, worker.events_topic, worker.dead_letter_topic,
                           tokens["path"]).start()
        try:
            r = requests.post(f"{server.url}/events", data=b"\n".join(events),
                              headers={**_auth(tokens["crm"]), **NDJSON}, timeout=30)
            assert r.status_code == 200 and r.json()["accepted"] == 20, r.text
        finally:
            server.stop()
    settle(worker, before["events"] + 20, before["dead_letters"])


def test_auth_refuses_missing_wrong_and_foreign(api, worker, tokens):
    before = worker.status()
    ev = _event(f"auth-{uuid.uuid4().hex[:8]}")
    r = requests.post(f"{api.url}/events", data=ev, headers=STRUCTURED, timeout=30)
    assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
    r = requests.post(f"{api.url}/events", data=ev, headers={**_auth("tf_wrong"), **STRUCTURED}, timeout=30)
    assert r.status_code == 401
    r = requests.post(f"{api.url}/events", data=ev, headers={**_auth(tokens["other"]), **STRUCTURED}, timeout=30)
    assert r.status_code == 403 and "may not write source '//crm/test'" in r.json()["results"][0]["reason"]
    # a batch mixing owned and foreign sources: the owned one goes in, the foreign one is refused
    mixed = b"[" + _event(f"own-{uuid.uuid4().hex[:8]}", "//other") + b"," + ev + b"]"
    r = requests.post(f"{api.url}/events", data=mixed, headers={**_auth(tokens["other"]), **BATCH}, timeout=30)
    assert r.status_code == 207 and [x["status"] for x in r.json()["results"]] == ["accepted", "forbidden"]
    # neither 401 nor 403 produce dead letters
    settle(worker, before["events"] + 1, before["dead_letters"])


def test_content_type_size_and_openapi(kafka, api, tokens):
    h = _auth(tokens["crm"])
    r = requests.post(f"{api.url}/events", data=b"{}", headers={**h, "Content-Type": "text/csv"}, timeout=30)
    assert r.status_code == 415 and "application/cloudevents+json" in r.json()["detail"]
    served = requests.get(f"{api.url}/openapi.json", timeout=30).json()
    committed = json.loads((REPO / "docs" / "openapi.json").read_text())
    assert served["servers"] == [{**committed["servers"][0], "url": f"http://127.0.0.1:{api.port}"}]
    assert {**served, "servers": committed["servers"]} == committed
    health = requests.get(f"{api.url}/healthz", timeout=30).json()
    assert health["status"] == "ok" and health["broker"] == "connected"

    small = ApiServer(kafka.bootstrap_servers, "unused-events", "unused-dead", tokens["path"],
                      max_body_bytes=4096).start()
    try:
        big = b"\n".join([_event(f"big-{k}") for k in range(40)])
        r = requests.post(f"{small.url}/events", data=big, headers={**h, **NDJSON}, timeout=30)
        assert r.status_code == 413, r.text
        chunked = requests.post(f"{small.url}/events", data=iter([big[:3000], big[3000:]]),
                                headers={**h, **NDJSON}, timeout=30)  # no Content-Length: limit while reading
        assert chunked.status_code == 413, chunked.text
    finally:
        small.stop()


def test_broker_down_answers_503_with_retry_after_quickly(tmp_path, tokens):
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    server = ApiServer(dead, "events", "dead", tokens["path"], ingest_timeout_seconds=2.0).start()
    try:
        t0 = time.monotonic()
        r = requests.post(f"{server.url}/events", data=_event("down-1"),
                          headers={**_auth(tokens["crm"]), **STRUCTURED}, timeout=30)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
        assert time.monotonic() - t0 < 10
        assert requests.get(f"{server.url}/healthz", timeout=30).json()["broker"] == "unavailable"
    finally:
        server.stop()
