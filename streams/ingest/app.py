"""The ingest HTTP API (aiohttp): `POST /events`, `GET /healthz`, `GET /openapi.json`.

Why aiohttp: it is already installed (Faust depends on it), it is async, and it pairs with
aiokafka's async producer so one process waits for many broker acknowledgements at once without
a thread per request. Request checks, in order: Authorization bytes (400), token (401), header
bytes of Content-Type and `ce-*` (400, headers.py), content type (415), size (413), the body within
`body_timeout_seconds` (408), then per event ownership, decode and dedup (see `service.py`), and
the broker (503). Header timeout and the connection bound are in server.py.
"""
from __future__ import annotations

import asyncio
import logging

import msgspec
from aiohttp import web

from . import headers as header_checks
from . import modes, server
from .openapi import openapi_document
from .service import BrokerUnavailable, Ingestor
from .settings import IngestSettings
from .tokens import TokenStore

log = logging.getLogger(__name__)

INGESTOR = web.AppKey("ingestor", Ingestor)
TOKENS = web.AppKey("tokens", TokenStore)
SETTINGS = web.AppKey("settings", IngestSettings)

_encode = msgspec.json.encode


def _json(body, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=_encode(body), status=status, content_type="application/json", headers=headers)


def _problem(status: int, title: str, detail: str, headers: dict | None = None) -> web.Response:
    return _json({"status": status, "title": title, "detail": detail}, status, headers)


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def post_events(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        header_checks.check_authorization(request.headers.get("Authorization"))
    except header_checks.BadHeader as exc:
        return _problem(400, "bad header", str(exc))
    token = request.app[TOKENS].verify(_bearer(request))
    if token is None:
        return _problem(401, "unauthorized", "missing or unknown token: send 'Authorization: Bearer <token>'",
                        {"WWW-Authenticate": 'Bearer realm="teamflow-ingest"'})
    try:
        header_checks.check_request_headers(request.headers.items())
    except header_checks.BadHeader as exc:
        return _problem(400, "bad header", str(exc))
    content_type = request.headers.get("Content-Type")
    try:
        mode = modes.mode_of(content_type, request.headers)
    except modes.UnsupportedMediaType as exc:
        return _problem(415, "unsupported media type", str(exc))
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        return _problem(413, "payload too large",
                        f"body of {request.content_length} bytes exceeds the limit of {settings.max_body_bytes} bytes")
    try:
        body = await asyncio.wait_for(request.read(), settings.body_timeout_seconds)
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "payload too large", f"body exceeds the limit of {settings.max_body_bytes} bytes")
    except asyncio.TimeoutError:
        answer = _problem(408, "request timeout",
                          f"the body did not arrive within {settings.body_timeout_seconds:g}s "
                          "(is Content-Length larger than the body?)", {"Connection": "close"})
        answer.force_close()
        return answer
    items = modes.split(mode, body, request.headers.items(), content_type)
    if not items:
        return _problem(400, "empty", "the request carries no events")
    try:
        outcome = await request.app[INGESTOR].ingest(items, token)
    except BrokerUnavailable as exc:
        retry = str(settings.ingest_retry_after_seconds)
        return _problem(503, "broker unavailable", f"{exc}; nothing is lost by retrying the whole request",
                        {"Retry-After": retry})
    return _json(outcome.body(), outcome.status)


async def healthz(request: web.Request) -> web.Response:
    ing = request.app[INGESTOR]
    ing.start_in_background()  # never blocks a health check; the next request or check sees the result
    broker = "connected" if ing.connected else "unavailable"
    return _json({"status": "ok", "broker": broker, "detail": ing.last_error,
                  "recent_identities": len(ing.recent)})


async def openapi(request: web.Request) -> web.Response:
    return _json(openapi_document(request.app[SETTINGS]))


def create_app(bootstrap_servers: str, events_topic: str, dead_letter_topic: str,
               settings: IngestSettings | None = None, tokens: TokenStore | None = None,
               ingestor: Ingestor | None = None) -> web.Application:
    settings = settings or IngestSettings()
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[TOKENS] = tokens or TokenStore.load(settings.tokens_file)
    app[INGESTOR] = ingestor or Ingestor(bootstrap_servers, events_topic, dead_letter_topic,
                                         timeout=settings.ingest_timeout_seconds,
                                         dedup_size=settings.dedup_cache_size)

    async def start_producer(app: web.Application) -> None:
        try:
            await app[INGESTOR].start()
        except BrokerUnavailable as exc:  # serve anyway: requests answer 503 until Kafka is back
            log.warning("ingest API starting without Kafka: %s", exc)

    async def stop_producer(app: web.Application) -> None:
        await app[INGESTOR].stop()

    app.on_startup.append(start_producer)
    app.on_cleanup.append(stop_producer)
    app.router.add_post("/events", post_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/openapi.json", openapi)
    return app


def serve(bootstrap_servers: str, events_topic: str, dead_letter_topic: str,
          settings: IngestSettings | None = None) -> None:
    settings = settings or IngestSettings()
    app = create_app(bootstrap_servers, events_topic, dead_letter_topic, settings)
    log.info("ingest API on http://%s:%d (POST /events), Kafka %s, tokens %s", settings.ingest_host,
             settings.ingest_port, bootstrap_servers, settings.tokens_file)
    server.run(app, settings)
