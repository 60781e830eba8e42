"""Where erasures are recorded: a Kafka topic, one record per erased person, and no clear id in it.

Key = `person_key(secret, id)` (HMAC-SHA256 with the erasure secret, hex), value =
{"key", "token", "erased_at"}. The topic is small and read whole: by `teamflow erase` (to reuse an
existing token), by the worker (refreshed every 30 s, applied to every batch before it is written)
and by `teamflow replay` (applied to the whole log). Reading it gives an `Erasures`, which answers
"is this id erased, and under which token" by hashing the id it is asked about; the list cannot be
read backwards into ids, so the topic is no re-identification key (docs/architecture.md, Erasure).

Records of the earlier format ({"person": clear id, "token"}) are still understood, and
`migrate_legacy` rewrites the topic without them (`teamflow erase` does it whenever it finds one).
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from projections.erasure import Erasures, person_key

from ..producer import make_producer, send_all
from ..topics import ensure_topics

log = logging.getLogger(__name__)

SECRET_FILE = "erasure.secret"
TOPIC_CONFIG = {"cleanup.policy": "compact,delete", "retention.ms": "-1", "retention.bytes": "-1"}
"""Compacted (one record per person) and never expired; `delete` in the policy only so that
DeleteRecords is allowed (Kafka refuses it on a compact-only topic), which `migrate_legacy` needs."""


def load_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The erasure secret: `TEAMFLOW_ERASURE_SECRET` when set (needed when the worker and the
    `teamflow` command run on different machines), else `<data dir>/erasure.secret`, created with
    32 random bytes (mode 0600) the first time. Every process that reads or writes erasures must use
    the same secret; losing it means erased people can no longer be recognised in new events."""
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: use theirs
            return bytes.fromhex(path.read_text().strip())
        with os.fdopen(fd, "w") as f:
            f.write(fresh.hex() + "\n")
        return fresh


def ensure_erasures_topic(bootstrap_servers: str, topic: str) -> None:
    """The erasure list's topic: one partition (one order of records), compacted."""
    ensure_topics(bootstrap_servers, [topic], 1, configs=dict(TOPIC_CONFIG))


def _read(bootstrap_servers: str, topic: str) -> list[dict]:
    """Every erasure record's value, in log order ([] when there is no topic yet)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        docs: list[dict] = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=1000).values():
                docs.extend(json.loads(r.value) for r in records if r.value)
        return docs
    finally:
        consumer.close()


def _key_of(doc: dict, secret: bytes) -> str:
    return doc["key"] if "key" in doc else person_key(secret, doc["person"])  # legacy: clear id


def load_erasures(bootstrap_servers: str, topic: str, secret: bytes) -> Erasures:
    """Every erasure recorded so far, keyed by `person_key` (empty when there is no topic yet)."""
    return Erasures(secret, {_key_of(doc, secret): doc["token"] for doc in _read(bootstrap_servers, topic)})


def has_legacy(bootstrap_servers: str, topic: str) -> bool:
    """Whether the topic still holds a record of the earlier format (a clear person id)."""
    return any("person" in doc for doc in _read(bootstrap_servers, topic))


def record_erasure(bootstrap_servers: str, topic: str, person: str, secret: bytes) -> tuple[str, bool]:
    """Record that `person` is to be forgotten; returns (token, newly recorded). Idempotent."""
    ensure_erasures_topic(bootstrap_servers, topic)
    key = person_key(secret, person)
    existing = load_erasures(bootstrap_servers, topic, secret)
    if key in existing.tokens:
        return existing.tokens[key], False
    token = f"erased-{secrets.token_hex(6)}"
    doc = {"key": key, "token": token, "erased_at": datetime.now(timezone.utc).isoformat()}
    producer = make_producer(bootstrap_servers)
    try:
        send_all(producer, topic, [(key, json.dumps(doc).encode())])
    finally:
        producer.close()
    return token, True


def migrate_legacy(bootstrap_servers: str, topic: str, secret: bytes) -> int:
    """Rewrite the erasures topic with every legacy record ({"person": id}) turned into the keyed
    form, then delete the old records (DeleteRecords); returns how many were converted."""
    from .log_scrub import rewrite_topic

    def convert(key: bytes | None, value: bytes | None, headers):
        doc = json.loads(value) if value else None
        if not doc or "person" not in doc:
            return None
        new_key = person_key(secret, doc["person"])
        fresh = {"key": new_key, "token": doc["token"], "erased_at": doc.get("erased_at", "")}
        return new_key.encode(), json.dumps(fresh).encode(), headers

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="teamflow-admin")
    try:  # a topic made by the earlier version is compact-only, where DeleteRecords is refused
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict(TOPIC_CONFIG))])
    finally:
        admin.close()
    return rewrite_topic(bootstrap_servers, topic, convert).changed


class ErasureList:
    """The erasures as the worker sees them: read at start, re-read at most every `refresh_seconds`."""

    def __init__(self, bootstrap_servers: str, topic: str, secret: bytes, refresh_seconds: float = 30.0) -> None:
        self.bootstrap_servers, self.topic, self.refresh_seconds = bootstrap_servers, topic, refresh_seconds
        self.secret = secret
        self._erasures = Erasures(secret)
        self._loaded = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> Erasures:
        with self._lock:
            if time.monotonic() - self._loaded >= self.refresh_seconds:
                try:
                    fresh = load_erasures(self.bootstrap_servers, self.topic, self.secret)
                    if len(fresh) != len(self._erasures):
                        log.info("%d erasures in effect", len(fresh))
                    if fresh.tokens != self._erasures.tokens:
                        self._erasures = fresh
                except Exception:  # keep the last list; never write an erased person back because of a blip
                    log.exception("could not re-read erasures from %s; keeping %d known", self.topic,
                                  len(self._erasures))
                self._loaded = time.monotonic()
            return self._erasures
