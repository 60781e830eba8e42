"""Reading a small topic whole: every record from the beginning to the end offsets seen at start.

For the topics a command reads in full (the dead letters, the import identity index), not for the
events topic the worker folds. No consumer group: nothing is committed, no rebalance is caused.
"""
from __future__ import annotations

import time
from typing import Any, Iterator


def read_to_end(bootstrap_servers: str, topic: str, *, client_id: str, timeout: float = 30.0) -> Iterator[Any]:
    """Each record (kafka-python's ConsumerRecord) below the end offsets, partition by partition as
    they arrive; nothing when the topic does not exist. TimeoutError when the end is not reached
    within `timeout` seconds."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=1000,
                             request_timeout_ms=int(timeout * 1000) + 1000, client_id=client_id)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        remaining = {tp for tp in tps if end[tp] > 0}
        deadline = time.monotonic() + timeout
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                yield from (r for r in records if r.offset < end[tp])
                if consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
        if remaining:
            raise TimeoutError(f"topic {topic}: not read to its end within {timeout:g}s")
    finally:
        consumer.close()
