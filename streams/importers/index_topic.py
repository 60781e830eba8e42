"""The import identity index on Kafka: a compacted topic `<events topic>.import-identities`.

Why Kafka: the importer runs wherever the operator is (not necessarily beside the worker, whose
embedded chDB only the worker may open), and it already needs the broker. The topic holds one
record per deal an import stated (`d:<deal id>` -> opening time, identity key, origin) and per
record-id alias (`a:<record id>` -> deal id); compaction keeps the latest per key, so it stays
one record per deal however often the same exports are imported. Index records are acknowledged
before the events they describe, so an interrupted import never leaves events the index misses.
"""
from __future__ import annotations

import time

from .identity import IdentityIndex


def topic_for(events_topic: str) -> str:
    return f"{events_topic}.import-identities"


def ensure_index_topic(bootstrap_servers: str, topic: str, timeout: float = 30.0) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="teamflow-import-index",
                             request_timeout_ms=int(timeout * 1000))
    try:
        if topic not in set(admin.list_topics()):
            try:
                admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def load_index(bootstrap_servers: str, topic: str, timeout: float = 30.0) -> IdentityIndex:
    """Every record of the index topic, from the beginning to the end offsets seen at start."""
    from kafka import KafkaConsumer, TopicPartition

    index = IdentityIndex()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=1000,
                             request_timeout_ms=int(timeout * 1000) + 1000, client_id="teamflow-import-index")
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return index
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        remaining = {tp for tp in tps if end[tp] > 0}
        deadline = time.monotonic() + timeout
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for r in records:
                    if r.offset < end[tp] and r.key:
                        index.apply(r.key, r.value)
                if consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
        if remaining:
            raise TimeoutError(f"import identity topic {topic}: not read to its end within {timeout:g}s")
    finally:
        consumer.close()
    return index
