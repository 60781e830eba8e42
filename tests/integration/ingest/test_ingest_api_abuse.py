"""The ingest API under abuse, on the real broker: header bytes, slow clients, a connection bound, a burst."""
from __future__ import annotations

import asyncio
import socket
import time
import uuid

import pytest
from ingest_harness import ApiServer, settle

from schemas import encode_event

pytestmark = pytest.mark.integration


def _event(i: str, source: str = "//crm/abuse") -> bytes:
    return encode_event("teamflow.deal.rediscovery_started", {"deal_id": "d-1"}, source=source, id=i,
                        time="2025-03-04T09:30:00Z", subject="d-1")


def _raw(port: int, head: bytes, body: bytes = b"", timeout: float = 30) -> tuple[int, bytes, float]:
    """Send raw bytes; return (status, whole answer, seconds until the server closed)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    answer = b"".join(chunks)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer, time.monotonic() - t0


def _head(token: str, extra: bytes = b"", length: int | None = None,
          content_type: bytes = b"application/cloudevents+json") -> bytes:
    h = b"POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + token.encode() + b"\r\n"
    h += b"Content-Type: " + content_type + b"\r\n" + extra
    if length is not None:
        h += b"Content-Length: %d\r\n" % length
    return h + b"\r\n"


@pytest.fixture(scope="module")
def strict(kafka, worker, tokens):
    server = ApiServer(kafka.bootstrap_servers, worker.events_topic, worker.dead_letter_topic, tokens["path"],
                       header_timeout_seconds=1.0, body_timeout_seconds=1.5, max_connections=20).start()
    yield server
    server.stop()


def test_header_bytes_that_are_not_allowed_get_400_with_a_reason(strict, worker, tokens):
    before = worker.status()
    ev = _event(f"h-{uuid.uuid4().hex[:8]}")
    cases = {
        "Authorization": b"POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \xff\xfe\r\n"
                         b"Content-Type: application/cloudevents+json\r\nContent-Length: %d\r\n\r\n" % len(ev),
        "Content-Type": _head(tokens["crm"], length=len(ev), content_type=b"application/cloudevents+json\xe9"),
        "ce-id": _head(tokens["crm"], b"ce-specversion: 1.0\r\nce-id: \xc3\x28\r\n", len(ev), b"application/json"),
        "ce-source": _head(tokens["crm"], b"ce-specversion: 1.0\r\nce-source: //crm/%FF\r\n", len(ev),
                           b"application/json"),
    }
    for name, head in cases.items():
        status, answer, _ = _raw(strict.port, head, ev)
        assert status == 400, (name, answer)
        assert f"header {name}".encode() in answer and b"UTF-8" in answer or b"ASCII" in answer, answer
    settle(worker, before["events"], before["dead_letters"])


def test_slow_headers_and_short_bodies_are_cut_off(strict, tokens):
    # headers trickling in: the connection is closed after the header timeout, whatever arrives
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", strict.port), timeout=30) as s:
        closed = False
        for byte in b"POST /events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                s.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            s.settimeout(0.2)
            try:
                if s.recv(1024) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
    held = time.monotonic() - t0
    assert closed and held < 5, held
    # a Content-Length larger than the body: 408 once the body timeout has passed
    ev = _event("short-1")
    status, answer, held = _raw(strict.port, _head(tokens["crm"], length=len(ev) + 100), ev)
    assert status == 408 and b"Content-Length" in answer, answer
    assert 1.4 < held < 5, held


def test_connections_above_the_bound_get_503(strict):
    socks = [socket.create_connection(("127.0.0.1", strict.port)) for _ in range(20)]
    try:
        time.sleep(0.2)
        status, answer, _ = _raw(strict.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
        assert status == 503 and b"Retry-After" in answer, answer
    finally:
        for s in socks:
            s.close()
    time.sleep(1.5)  # the idle ones are closed by the header timeout anyway
    status, _, _ = _raw(strict.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200


def test_a_burst_of_1000_concurrent_requests_gets_no_false_503(api, worker, tokens):
    import aiohttp

    before = worker.status()
    run = uuid.uuid4().hex[:8]
    bodies = [_event(f"burst-{run}-{k}") for k in range(1000)]
    headers = {"Authorization": f"Bearer {tokens['crm']}", "Content-Type": "application/cloudevents+json"}

    async def burst():
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            async def one(body):
                async with session.post(f"{api.url}/events", data=body, headers=headers) as r:
                    await r.read()
                    return r.status
            return await asyncio.gather(*(one(b) for b in bodies))

    statuses = asyncio.run(burst())
    assert {s: statuses.count(s) for s in set(statuses)} == {200: 1000}
    settle(worker, before["events"] + 1000, before["dead_letters"])


def test_an_invalid_event_under_a_foreign_source_is_403_and_not_dead_lettered(api, worker, tokens):
    import requests

    before = worker.status()
    bad = _event(f"f-{uuid.uuid4().hex[:8]}", "//other").replace(b'"d-1"', b"5", 1)
    tricky = _event(f"t-{uuid.uuid4().hex[:8]}", "//crm/a/../../other")
    for body in (bad, tricky):
        r = requests.post(f"{api.url}/events", data=body, timeout=30,
                          headers={"Authorization": f"Bearer {tokens['crm']}",
                                   "Content-Type": "application/cloudevents+json"})
        assert r.status_code == 403 and r.json()["forbidden"] == 1, r.text
    settle(worker, before["events"], before["dead_letters"])
