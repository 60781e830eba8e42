"""The ingest API's Kafka producer: confluent-kafka (librdkafka) behind an asyncio face.

Why not aiokafka (which the API used before): aiokafka 0.14's `MessageAccumulator.add_batch`
subtracts the total elapsed time from its timeout on every wake-up, so when many requests queue
batches for one partition, the later ones give up with `KafkaTimeoutError` long before the
configured timeout: a burst of 1,000 concurrent requests on a healthy broker got ~850 false 503s.
librdkafka batches every request's records in C into one queue per partition and acknowledges
each message on its own, so concurrent requests share batches instead of waiting in line.

How it is bridged: `produce()` is called on the event loop (it only enqueues, ~µs); a daemon
thread calls `poll()`, which runs the delivery callbacks; each `send` counts its outstanding
records and completes its future once, through `call_soon_threadsafe`, when the last one is
acknowledged or the first one fails. Back-pressure: when librdkafka's queue is full
(`queue.buffering.max.messages`), `produce` raises `BufferError` and `send` yields to the loop
until there is room or its deadline passes (then the caller answers 503).

Partitions: `murmur2_random` is the Java client's partitioner (murmur2 of the key; random for no
key), so an event goes to the same partition whichever door produced it.
"""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Iterable

Record = tuple[str, bytes | None, bytes, list | None]  # topic, key, value, headers


class DeliveryFailed(RuntimeError):
    """The broker refused or did not acknowledge a record in time."""


class _Pending:
    """The outstanding records of one `send`; resolved once, on the loop."""

    __slots__ = ("loop", "future", "remaining", "done")

    def __init__(self, loop: asyncio.AbstractEventLoop, count: int) -> None:
        self.loop = loop
        self.future = loop.create_future()
        self.remaining = count
        self.done = False

    def delivered(self, err, _msg) -> None:  # runs in the poll thread
        if self.done:
            return
        try:
            if err is not None:
                self.done = True
                self.loop.call_soon_threadsafe(_fail, self.future, DeliveryFailed(str(err)))
                return
            self.remaining -= 1
            if self.remaining == 0:
                self.done = True
                self.loop.call_soon_threadsafe(_succeed, self.future)
        except RuntimeError:  # the loop closed meanwhile (shutdown): nobody waits for this answer
            pass


def _succeed(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _fail(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class ConfluentProducer:
    """`start`, `send(records)` (returns once every record is acknowledged with acks=all), `stop`."""

    def __init__(self, bootstrap_servers: str, *, timeout: float, client_id: str = "teamflow-ingest-api",
                 max_queued: int = 200_000) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self.config = {
            "bootstrap.servers": bootstrap_servers, "client.id": client_id,
            "acks": "all", "enable.idempotence": True, "partitioner": "murmur2_random",
            "linger.ms": 2, "message.timeout.ms": max(1000, int(timeout * 1000)),
            "queue.buffering.max.messages": max_queued, "socket.connection.setup.timeout.ms": 5000,
            "retry.backoff.ms": 100,
        }
        self._producer = None
        self._poller: threading.Thread | None = None
        self._stopping = threading.Event()

    async def start(self) -> None:
        """Create the producer and check the broker answers metadata within the timeout."""
        from confluent_kafka import Producer

        producer = Producer(self.config)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: producer.list_topics(timeout=max(1.0, self.timeout)))
        except Exception as exc:  # noqa: BLE001 - KafkaException and friends: not reachable
            raise ConnectionError(f"no metadata from {self.bootstrap_servers}: {exc}") from exc
        self._producer = producer
        self._stopping.clear()
        self._poller = threading.Thread(target=self._poll, name="ingest-producer-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        producer = self._producer
        while not self._stopping.is_set():
            producer.poll(0.05)

    async def send(self, records: Iterable[Record]) -> None:
        records = list(records)
        if not records:
            return
        producer = self._producer
        if producer is None:
            raise DeliveryFailed("producer not started")
        pending = _Pending(asyncio.get_running_loop(), len(records))
        deadline = time.monotonic() + self.timeout
        for topic, key, value, headers in records:
            while True:
                try:
                    producer.produce(topic, value=value, key=key, headers=headers or None,
                                     on_delivery=pending.delivered)
                    break
                except BufferError:  # librdkafka's queue is full: wait for deliveries to make room
                    if time.monotonic() > deadline:
                        raise DeliveryFailed("the producer's queue stayed full") from None
                    await asyncio.sleep(0.005)
        await pending.future

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        await asyncio.get_running_loop().run_in_executor(None, producer.flush, self.timeout)
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(5)
