"""Topic names and creation: the events topic, the dead-letter topic, their partition counts.

Faust subscribes only to topics that exist when the group forms, so the worker creates both
topics (idempotently) before it starts; producers may rely on the same call.
"""
from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)


def ensure_topics(bootstrap_servers: str, names: list[str], partitions: int, *, timeout: float = 60.0,
                  configs: dict[str, str] | None = None) -> None:
    """Create the topics that do not exist yet (replication factor 1 locally, with `configs` such as
    compaction); wait for the broker."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="teamflow-admin",
                                     request_timeout_ms=10_000)
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for Kafka at %s", bootstrap_servers)
            time.sleep(1)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            try:
                admin.create_topics([NewTopic(n, partitions, 1, topic_configs=dict(configs or {}))
                                     for n in missing])
                log.info("created topics %s with %d partitions", missing, partitions)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
