"""The ingest core, independent of HTTP: decode, authorise, deduplicate, produce, wait for the ack.

Per event the answer is one of:
- `accepted`: valid, owned by the token, and acknowledged by the broker (acks=all) on the events topic;
- `duplicate`: this `(source, id)` was accepted recently by this process (bounded LRU, lost on
  restart, not shared between replicas). It is a courtesy that saves a round trip; the real
  guarantee is downstream, where the store keeps one row per `(source, id)`;
- `rejected`: refused by the contract (`code`, `reason` as in docs/contract.md); produced to the
  dead-letter topic with door "api" before the answer is sent;
- `forbidden`: its `source` (read before validation) is not owned by the token, or not canonical
  (sources.py). Not dead-lettered, valid or not: it is not a
  bad event, and resubmitting dead letters must never bypass authorisation.

Request status: 200 when every event is accepted or duplicate; 207 (Multi-Status, results per
item) when some are and some are not; 403 when none is and all failures are `forbidden`; 400
otherwise. The broker not answering within `ingest_timeout_seconds` raises `BrokerUnavailable`
(the HTTP layer answers 503 with Retry-After); events acknowledged before the timeout stay
written, so a client simply retries the whole request (duplicates are harmless).
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from schemas import Event, Rejection, decode
from streams.dead_letters import DeadLetter

from .keys import key_for, key_for_parts
from .modes import Item
from .producer import ConfluentProducer
from .sources import peek_source, source_problem
from .tokens import TokenRecord

log = logging.getLogger(__name__)

ACCEPTED, DUPLICATE, REJECTED, FORBIDDEN = "accepted", "duplicate", "rejected", "forbidden"


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time (or could not be reached)."""


class RecentIdentities:
    """A bounded LRU set of `(source, id)`."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, capacity)
        self._items: OrderedDict[tuple[str, str], None] = OrderedDict()

    def __contains__(self, identity: tuple[str, str]) -> bool:
        if identity in self._items:
            self._items.move_to_end(identity)
            return True
        return False

    def add(self, identity: tuple[str, str]) -> None:
        if not self.capacity:
            return
        self._items[identity] = None
        self._items.move_to_end(identity)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Outcome:
    results: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((ACCEPTED, DUPLICATE, REJECTED, FORBIDDEN), 0))

    @property
    def status(self) -> int:
        c = self.counts
        ok, bad = c[ACCEPTED] + c[DUPLICATE], c[REJECTED] + c[FORBIDDEN]
        if not bad:
            return 200
        if ok:
            return 207
        return 403 if not c[REJECTED] else 400

    def body(self) -> dict[str, Any]:
        return {**self.counts, "results": self.results}


def _forbidden(out: Outcome, index: int, token: TokenRecord, source: str, event_id: str | None,
               reason: str | None = None) -> None:
    reason = reason or f"token {token.name!r} may not write source {source!r} (owns: {', '.join(token.sources)})"
    out.results.append({"index": index, "status": FORBIDDEN, "source": source, "id": event_id, "reason": reason})
    out.counts[FORBIDDEN] += 1


def _reject(out: Outcome, records: list, index: int, rejection: Rejection) -> None:
    letter = DeadLetter(raw=rejection.raw, code=rejection.code, reason=rejection.reason, door="api",
                        source=rejection.source or "", id=rejection.id or "", type=rejection.type or "")
    records.append(("dead", key_for_parts(rejection.source), letter.raw, letter.headers(), None))
    out.results.append({"index": index, "status": REJECTED, "source": rejection.source, "id": rejection.id,
                        "code": rejection.code, "reason": rejection.reason})
    out.counts[REJECTED] += 1


def classify(items: list[Item], token: TokenRecord, recent: RecentIdentities) -> tuple[list, Outcome]:
    """Decide each item's fate without I/O; returns the records to produce and the outcome.

    Records are `(kind, key, value, headers, identity)`, kind "event" or "dead".

    Order per item: the claimed `source` is read first (sources.peek_source) and scoped before any
    validation, so an event naming a source the token does not own is `forbidden` and never
    dead-lettered under that owner's source, valid or not. A source that could hide another path
    (`..`, `%2F`, ...: sources.source_problem) is `forbidden` too, with that reason: no token owns
    it, and a dead letter under it could be read as another owner's. Then the contract decides; the
    decoder's own `source` is scoped again, so nothing the peek missed slips through.
    """
    out = Outcome()
    records: list[tuple[str, bytes | None, bytes, list | None, tuple[str, str] | None]] = []
    in_request: set[tuple[str, str]] = set()
    for index, item in enumerate(items):
        if item.problem is not None:
            _reject(out, records, index, Rejection(code="malformed_json", reason=item.problem, raw=item.value))
            continue
        claimed = peek_source(item.value, item.headers)
        if claimed is not None:
            problem = source_problem(claimed)
            if problem is not None:
                _forbidden(out, index, token, claimed, None,
                           f"source {claimed[:60]!r} is not canonical ({problem}); no token owns it")
                continue
            if not token.may_write(claimed):
                _forbidden(out, index, token, claimed, None)
                continue
        result = decode(item.value, item.headers)
        if result.source and not token.may_write(result.source):
            _forbidden(out, index, token, result.source, result.id)
            continue
        if isinstance(result, Rejection):
            _reject(out, records, index, result)
            continue
        identity = result.identity
        if identity in in_request or identity in recent:
            out.results.append({"index": index, "status": DUPLICATE, "source": result.source, "id": result.id})
            out.counts[DUPLICATE] += 1
            continue
        in_request.add(identity)
        records.append(("event", key_for(result), item.value, item.headers, identity))
        out.results.append({"index": index, "status": ACCEPTED, "source": result.source, "id": result.id})
        out.counts[ACCEPTED] += 1
    return records, out


class Ingestor:
    """Owns the producer (producer.py); `ingest` returns only after the broker acknowledged every record."""

    def __init__(self, bootstrap_servers: str, events_topic: str, dead_letter_topic: str, *,
                 timeout: float = 10.0, dedup_size: int = 200_000, producer_factory=None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.events_topic = events_topic
        self.dead_letter_topic = dead_letter_topic
        self.timeout = timeout
        self.recent = RecentIdentities(dedup_size)
        self._producer_factory = producer_factory or self._default_producer
        self._producer = None
        self._lock = asyncio.Lock()
        self.last_error: str | None = None
        self._starter: asyncio.Task | None = None

    def _default_producer(self):
        return ConfluentProducer(self.bootstrap_servers, timeout=self.timeout)

    @property
    def started(self) -> bool:
        return self._producer is not None

    @property
    def connected(self) -> bool:
        return self._producer is not None and self.last_error is None

    async def start(self) -> None:
        """Start the producer; failures are remembered and retried on the next request."""
        async with self._lock:
            if self._producer is not None:
                return
            producer = self._producer_factory()
            try:
                await asyncio.wait_for(producer.start(), self.timeout)
            except BaseException as exc:  # noqa: BLE001 - any failure means: not connected yet
                self.last_error = f"cannot reach Kafka at {self.bootstrap_servers}: {exc!r}"
                try:
                    await asyncio.wait_for(producer.stop(), 5)
                except BaseException:  # noqa: BLE001
                    pass
                raise BrokerUnavailable(self.last_error) from exc
            self._producer = producer
            self.last_error = None

    def start_in_background(self) -> None:
        """Try to (re)connect without making the caller wait (for health checks)."""
        if self.started or (self._starter is not None and not self._starter.done()):
            return

        async def attempt() -> None:
            try:
                await self.start()
            except BrokerUnavailable:
                pass

        self._starter = asyncio.get_running_loop().create_task(attempt())

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await asyncio.wait_for(producer.stop(), self.timeout)
            except BaseException:  # noqa: BLE001
                log.warning("ingest producer did not stop cleanly")

    async def _send_all(self, records) -> None:
        await self._producer.send(
            (self.events_topic if kind == "event" else self.dead_letter_topic, key, value, headers)
            for kind, key, value, headers, _ in records)

    async def ingest(self, items: list[Item], token: TokenRecord) -> Outcome:
        records, outcome = classify(items, token, self.recent)
        if not records:
            return outcome
        if self._producer is None:
            await self.start()
        try:
            await asyncio.wait_for(self._send_all(records), self.timeout)
        except (asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001 - the client raises several kinds
            self.last_error = f"broker did not acknowledge within {self.timeout:g}s: {exc!r}"
            log.warning("ingest: %s", self.last_error)
            raise BrokerUnavailable(self.last_error) from exc
        self.last_error = None
        for kind, _, _, _, identity in records:
            if identity is not None:
                self.recent.add(identity)
        return outcome
