"""The import identity index on Kafka: a compacted topic `<events topic>.import-identities`.

Why Kafka: the importer runs wherever the operator is (not necessarily beside the worker, whose
embedded chDB only the worker may open), and it already needs the broker. The topic holds one
record per deal an import stated (`d:<deal id>` -> opening time, identity key, origin) and per
record-id alias (`a:<record id>` -> deal id); compaction keeps the latest per key, so it stays
one record per deal however often the same exports are imported. Index records are acknowledged
before the events they describe, so an interrupted import never leaves events the index misses.
"""
from __future__ import annotations

from ..topic_reader import read_to_end
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
    index = IdentityIndex()
    for r in read_to_end(bootstrap_servers, topic, client_id="teamflow-import-index", timeout=timeout):
        if r.key:
            index.apply(r.key, r.value)
    return index
