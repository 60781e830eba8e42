"""The fold's named steps (streams/fold/loop.py), each driven on its own against a real broker and chDB:
poll takes every record with its key and position, prepare gives the refused ones back whole,
dead_letter lands them on the dead-letter topic under their key, write stores the rest, and commit
moves the group's offsets to just after the batch. Sent = stored + dead-lettered, exactly."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from streams.simulator import simulate
from streams.topics import ensure_topics
from support.fold_clients import fold_on, landed

pytestmark = pytest.mark.integration

BAD = [b"{not json", b'{"specversion":"1.0","id":"b2","source":"s","type":"teamflow.no.such",'
       b'"time":"2025-08-01T10:00:00Z","data":{}}']


def test_each_step_of_the_fold_on_a_real_broker(kafka, store):
    from aiokafka import TopicPartition

    events_topic, dead_topic = f"fold-{uuid.uuid4().hex[:8]}", f"fold-dead-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka.bootstrap_servers, [events_topic, dead_topic], 2)
    good = list(simulate(3, 40, start=datetime(2025, 7, 1, tzinfo=timezone.utc)))
    sent = [(k.encode(), v) for k, v in good] + [(b"bad", v) for v in BAD]

    async def run() -> None:
        clients = fold_on(kafka.bootstrap_servers, store, events_topic, dead_topic, batch_size=1000)
        async with clients as (fold, producer):
            for key, value in sent:
                await producer.send_and_wait(events_topic, value, key=key)
            batches = []
            while sum(len(b.records) for b in batches) < len(sent):  # poll
                batch = await fold.poll()
                if batch is not None:
                    batches.append(batch)
            records = [r for b in batches for r in b.records]
            assert sorted((r.key, r.value) for r in records) == sorted(sent)
            assert all(r.offset >= 0 and r.partition in (0, 1) for r in records)

            prepared = [await fold.prepare(b) for b in batches]  # decode and encode
            rejects = [r for p in prepared for r in p.rejects]
            assert sorted(r.raw for r in rejects) == sorted(BAD) and {r.key for r in rejects} == {b"bad"}
            assert {r.code for r in rejects} == {"malformed_json", "unknown_type"}

            for p in prepared:  # dead-letter, then write
                await fold.dead_letter(p.rejects)
                await fold.write(p)
            assert store.query_scalar("SELECT count() FROM events FINAL") == len(good)
            assert sum(p.events for p in prepared) + len(rejects) == len(sent)

            got = await landed(kafka.bootstrap_servers, dead_topic)
            assert sorted((m.key, m.value) for m in got) == [(b"bad", v) for v in sorted(BAD)]

            for b in batches:  # commit
                await fold.commit(b)
            ends = {}
            for b in batches:
                ends.update(b.next_offsets)
            for tp, offset in ends.items():
                assert await fold.consumer.committed(TopicPartition(tp.topic, tp.partition)) == offset
            assert sum(ends.values()) == len(sent)

    asyncio.run(run())


def test_a_fold_behind_takes_several_batches_of_what_is_fetched_at_once(kafka, store):
    """Behind (a batch in flight), poll does not wait and takes up to CATCH_UP batches' worth of the
    fetched records for one write; waiting, it takes one batch. Nothing is skipped or taken twice."""
    from streams.fold.loop import CATCH_UP

    events_topic, dead_topic = f"fold-{uuid.uuid4().hex[:8]}", f"fold-dead-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka.bootstrap_servers, [events_topic, dead_topic], 1)
    batch_size = 5
    sent = [(k.encode(), v) for k, v in simulate(4, batch_size * (CATCH_UP + 3),
                                                   start=datetime(2025, 7, 1, tzinfo=timezone.utc))]

    async def run() -> None:
        async with fold_on(kafka.bootstrap_servers, store, events_topic, dead_topic,
                           batch_size=batch_size) as (fold, producer):
            for key, value in sent:
                await producer.send(events_topic, value, key=key)
            await producer.flush()
            first = await fold.poll()
            assert first is not None and len(first.records) == batch_size
            taken, sizes = list(first.records), []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while len(taken) < len(sent) and loop.time() < deadline:
                behind = await fold.poll(wait=False)
                if behind is None:  # not fetched yet
                    await asyncio.sleep(0.05)
                    continue
                sizes.append(len(behind.records))
                taken += behind.records
            assert [r.offset for r in taken] == list(range(len(sent)))
            assert max(sizes) > batch_size and all(s <= CATCH_UP * batch_size for s in sizes)

    asyncio.run(run())
