"""A batch the store refuses for its data: real broker, real chDB. A test-only CHECK constraint on the
`events` table makes chDB itself refuse (VIOLATED_CONSTRAINT) the rows of events whose id carries a
marker; the contract takes those events. The fold must split the batch, store every other event,
dead-letter exactly the marked ones with `store_refused`, commit, and go on with later batches.
Sent = stored + dead-lettered, exactly."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime, timezone

import pytest

from streams.dead_letters import from_headers
from streams.fold.sink import EventSink
from streams.simulator import simulate
from streams.topics import ensure_topics
from support.fold_clients import fold_on, landed

pytestmark = pytest.mark.integration

MARKER = "refuse-me"


def _marked(value: bytes, n: int) -> bytes:
    event = json.loads(value)
    event["id"] = f"{MARKER}-{n}-{event['id']}"
    return json.dumps(event).encode()


def test_refused_events_are_dead_lettered_and_the_fold_goes_on(kafka, store):
    from aiokafka import TopicPartition

    store.command(f"ALTER TABLE events ADD CONSTRAINT teamflow_test_refuse CHECK position(id, '{MARKER}') = 0")
    events_topic, dead_topic = f"refused-{uuid.uuid4().hex[:8]}", f"refused-dead-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka.bootstrap_servers, [events_topic, dead_topic], 1)
    simulated = list(simulate(3, 60, start=datetime(2025, 7, 1, tzinfo=timezone.utc)))
    first, later = simulated[:len(simulated) // 2], simulated[len(simulated) // 2:]
    marked = {3, 17, len(first) - 1}  # positions in the first batch
    first = [(k, _marked(v, i) if i in marked else v) for i, (k, v) in enumerate(first)]
    refused_raw = sorted(v for i, (_, v) in enumerate(first) if i in marked)

    async def run() -> dict:
        async with fold_on(kafka.bootstrap_servers, store, events_topic, dead_topic,
                           batch_size=len(first)) as (fold, producer):
            took = {}
            for part in (first, later):
                for key, value in part:
                    await producer.send_and_wait(events_topic, value, key=key.encode())
                batch = await fold.poll()
                while batch is not None and len(batch.records) < len(part):  # one batch per part
                    more = await fold.poll()
                    batch.records += more.records
                    batch.next_offsets.update(more.next_offsets)
                started = time.perf_counter()
                await asyncio.wait_for(fold.finish(batch, fold.prepare(batch)), 120)  # no split: retried forever
                took.setdefault("first", time.perf_counter() - started)
            tp = TopicPartition(events_topic, 0)
            took["committed"] = await fold.consumer.committed(tp)
            took["letters"] = [from_headers(m.value, list(m.headers))
                               for m in await landed(kafka.bootstrap_servers, dead_topic)]
            return took

    took = asyncio.run(run())
    letters = took["letters"]
    assert sorted(dl.raw for dl in letters) == refused_raw
    assert {dl.code for dl in letters} == {"store_refused"}
    assert all("table events" in dl.reason and "VIOLATED_CONSTRAINT" in dl.reason for dl in letters)
    assert all(MARKER not in dl.reason for dl in letters)  # the reason names the error, not the values

    stored = store.query_scalar("SELECT count() FROM events FINAL")
    assert stored == len(first) + len(later) - len(marked)
    assert stored + len(letters) == len(simulated)  # sent = stored + dead-lettered
    assert store.query_scalar(f"SELECT count() FROM events WHERE position(id, '{MARKER}') > 0") == 0
    assert took["committed"] == len(simulated)  # both batches committed: the fold went on

    EventSink(store).write_dead_letters([(dl, 0, 0) for dl in letters])  # as the dead-letter agent does
    rows = store.query_rows("SELECT code, raw FROM dead_letters FINAL")
    assert sorted(r["raw"].encode() for r in rows if r["code"] == "store_refused") == refused_raw
    print(f"\n[teamflow] batch of {len(first)} with {len(marked)} refused events: finished in {took['first']:.2f} s")
