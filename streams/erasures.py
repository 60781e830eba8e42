"""Where erasures are recorded: a compacted Kafka topic, one record per erased person.

Key = person id, value = {"person", "token", "erased_at"}. The topic is small and read whole:
by `teamflow erase` (to reuse an existing token), by the worker (refreshed every 30 s, applied
to every batch before it is written) and by `teamflow replay` (applied to the whole log).
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from datetime import datetime, timezone

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from .producer import make_producer, send_all

log = logging.getLogger(__name__)


def ensure_erasures_topic(bootstrap_servers: str, topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="teamflow-admin")
    try:
        if topic not in admin.list_topics():
            admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def load_erasures(bootstrap_servers: str, topic: str) -> dict[str, str]:
    """Person id -> erasure token, for every erasure recorded so far ({} when there is no topic yet)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            return {}
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        tokens: dict[str, str] = {}
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=1000).values():
                for r in records:
                    if r.value:
                        doc = json.loads(r.value)
                        tokens[doc["person"]] = doc["token"]
        return tokens
    finally:
        consumer.close()


def record_erasure(bootstrap_servers: str, topic: str, person: str) -> tuple[str, bool]:
    """Record that `person` is to be forgotten; returns (token, newly recorded). Idempotent."""
    ensure_erasures_topic(bootstrap_servers, topic)
    existing = load_erasures(bootstrap_servers, topic)
    if person in existing:
        return existing[person], False
    token = f"erased-{secrets.token_hex(6)}"
    doc = {"person": person, "token": token, "erased_at": datetime.now(timezone.utc).isoformat()}
    producer = make_producer(bootstrap_servers)
    try:
        send_all(producer, topic, [(person, json.dumps(doc).encode())])
    finally:
        producer.close()
    return token, True


class ErasureList:
    """The erasures as the worker sees them: read at start, re-read at most every `refresh_seconds`."""

    def __init__(self, bootstrap_servers: str, topic: str, refresh_seconds: float = 30.0) -> None:
        self.bootstrap_servers, self.topic, self.refresh_seconds = bootstrap_servers, topic, refresh_seconds
        self._tokens: dict[str, str] = {}
        self._loaded = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> dict[str, str]:
        with self._lock:
            if time.monotonic() - self._loaded >= self.refresh_seconds:
                try:
                    fresh = load_erasures(self.bootstrap_servers, self.topic)
                    if len(fresh) != len(self._tokens):
                        log.info("%d erasures in effect", len(fresh))
                    self._tokens = fresh
                except Exception:  # keep the last list; never write an erased person back because of a blip
                    log.exception("could not re-read erasures from %s; keeping %d known", self.topic,
                                  len(self._tokens))
                self._loaded = time.monotonic()
            return self._tokens
