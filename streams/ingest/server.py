"""Serving the ingest app so a slow or greedy client cannot hold it: timeouts and a connection bound.

- Header timeout: aiohttp closes a connection that has no complete request within its
  `keepalive_timeout`, counted from the connection's start and from the end of each answer, however
  many header bytes trickle in meanwhile. It is set to `header_timeout_seconds` (aiohttp's default
  is about an hour), so it bounds both a slow header block and an idle keep-alive connection.
- Body timeout: the handler reads the body within `body_timeout_seconds` or answers 408 and closes
  (app.py); a Content-Length larger than the body sent ends the same way. `lingering_time` (how
  long aiohttp drains an unread body after answering) is capped by the same setting.
- Connection bound: above `max_connections` open connections a new one gets a fixed 503 with
  `Retry-After` and is closed, before any byte of it is read.
"""
from __future__ import annotations

import asyncio
import json
import logging
import signal

from aiohttp import web

from .settings import IngestSettings

log = logging.getLogger(__name__)


def runner_for(app: web.Application, settings: IngestSettings) -> web.AppRunner:
    return web.AppRunner(app, access_log=None, keepalive_timeout=settings.header_timeout_seconds,
                         lingering_time=min(10.0, settings.body_timeout_seconds))


def _refusal(retry_after: int) -> bytes:
    body = json.dumps({"status": 503, "title": "too many connections",
                       "detail": "the ingest API holds its maximum of open connections; retry later"}).encode()
    head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Retry-After: {retry_after}\r\nConnection: close\r\n\r\n").encode()
    return head + body


class _Refuse(asyncio.Protocol):
    """Answers a connection over the bound with a fixed 503 and closes it."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.answer)  # type: ignore[attr-defined]
        # closing at once would reset the connection when the request bytes arrive, and a reset can
        # discard the answer before the client reads it: shut our side, drop what comes, close soon
        transport.write_eof()  # type: ignore[attr-defined]
        asyncio.get_running_loop().call_later(1.0, transport.close)

    def data_received(self, data: bytes) -> None:
        pass

    def eof_received(self) -> bool:
        return False  # the client is done too: close now


class BoundedTCPSite(web.TCPSite):
    """`web.TCPSite` that refuses connections above `max_connections` (counted by aiohttp's server)."""

    __slots__ = ("_max_connections", "_answer", "refused")

    def __init__(self, runner: web.AppRunner, host: str, port: int, settings: IngestSettings) -> None:
        super().__init__(runner, host, port, backlog=min(4096, max(128, settings.max_connections)))
        self._max_connections = settings.max_connections
        self._answer = _refusal(settings.ingest_retry_after_seconds)
        self.refused = 0

    def _protocol(self):
        server = self._runner.server
        if len(server.connections) >= self._max_connections:
            self.refused += 1
            return _Refuse(self._answer)
        return server()

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with the runner
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self._host, self._port, backlog=self._backlog,
                                                reuse_address=self._reuse_address, reuse_port=self._reuse_port)
        self._bound_port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self._port


async def _serve_forever(app: web.Application, settings: IngestSettings) -> None:
    runner = runner_for(app, settings)
    await runner.setup()
    await BoundedTCPSite(runner, settings.ingest_host, settings.ingest_port, settings).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run(app: web.Application, settings: IngestSettings) -> None:
    """Serve until SIGINT or SIGTERM, then close connections and the producer."""
    asyncio.run(_serve_forever(app, settings))
