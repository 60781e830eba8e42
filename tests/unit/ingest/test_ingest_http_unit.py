"""The HTTP layer without a broker: auth, content type, size, the OpenAPI document (served == committed)."""
import asyncio
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from schemas import encode_event
from streams.ingest.app import create_app
from streams.ingest.openapi import openapi_document, render
from streams.ingest.service import Ingestor
from streams.ingest.settings import IngestSettings
from streams.ingest.tokens import TokenStore
from support.services import REPO

pytestmark = pytest.mark.unit


class NoBroker:
    async def start(self):
        raise ConnectionError("no broker in unit tests")

    async def stop(self):
        pass


def _run(tmp_path, scenario, **settings):
    store = TokenStore.load(tmp_path / "tokens.json")
    token = store.create("crm", ["//crm/*"])

    async def go():
        ing = Ingestor("127.0.0.1:1", "e", "d", timeout=1.0, producer_factory=NoBroker)
        app = create_app("127.0.0.1:1", "e", "d", IngestSettings(tokens_file=store.path, **settings), store, ing)
        async with TestClient(TestServer(app)) as client:
            return await scenario(client, token)

    return asyncio.run(go())


EVENT = encode_event("teamflow.deal.rediscovery_started", {"deal_id": "d"}, source="//crm/a", id="1",
                     time="2025-01-01T00:00:00Z")


def test_committed_openapi_matches_the_code():
    assert (REPO / "docs" / "openapi.json").read_text() == render(), \
        "run: python -m streams.ingest.openapi > docs/openapi.json"


def test_http_checks_before_any_broker(tmp_path):
    async def scenario(client, token):
        auth = {"Authorization": f"Bearer {token}"}
        out = {}
        r = await client.post("/events", data=EVENT, headers={"Content-Type": "application/cloudevents+json"})
        out["missing"] = r.status
        r = await client.post("/events", data=EVENT, headers={"Authorization": "Basic abc",
                                                             "Content-Type": "application/cloudevents+json"})
        out["basic"] = r.status
        r = await client.post("/events", data=EVENT, headers={**auth, "Content-Type": "text/plain"})
        out["type"] = r.status
        r = await client.post("/events", data=EVENT * 100, headers={**auth, "Content-Type": "application/x-ndjson"})
        out["size"] = r.status
        foreign = EVENT.replace(b"//crm/a", b"//hr")
        r = await client.post("/events", data=foreign, headers={**auth, "Content-Type": "application/cloudevents+json"})
        out["foreign"] = r.status
        r = await client.post("/events", data=b"", headers={**auth, "Content-Type": "application/x-ndjson"})
        out["empty"] = r.status
        r = await client.post("/events", data=EVENT, headers={**auth, "Content-Type": "application/cloudevents+json"})
        out["down"], out["retry"] = r.status, r.headers.get("Retry-After")
        out["openapi"] = await (await client.get("/openapi.json")).json()
        out["health"] = await (await client.get("/healthz")).json()
        return out

    out = _run(tmp_path, scenario, max_body_bytes=2000)
    assert (out["missing"], out["basic"], out["type"], out["size"], out["foreign"], out["empty"]) == (
        401, 401, 415, 413, 403, 400)
    assert out["down"] == 503 and out["retry"] == "5"
    assert out["openapi"] == json.loads(json.dumps(openapi_document()))
    assert out["health"]["broker"] == "unavailable"
