"""Fuzz: 11,000 malformed and 1,200 valid generated events through the HTTP API and straight into Kafka.

The real broker, the ingest API in-process, a real worker folding into chDB. Exactly every
malformed event ends as one dead letter (door "api" for the HTTP ones, "kafka" for the others)
and exactly every valid one as one stored event; then the store's tables are read to check it is
these events and no others. Over HTTP the defects leave `source` alone: which refusal a foreign
or tricked source gets (forbidden or dead-lettered) is the scope rules' business, not the
contract's; through Kafka every defect is used, `source` included, in structured and binary mode.
"""
from __future__ import annotations

import collections
import random
import uuid

import pytest
import requests
from fuzz_events import check, make
from ingest_harness import ApiServer, settle

from projections.store import open_store
from schemas import decode
from streams.producer import make_producer
from support.processes import WorkerProcess

pytestmark = pytest.mark.integration

HTTP_MALFORMED, HTTP_VALID = 5_500, 600
KAFKA_MALFORMED, KAFKA_VALID = 5_500, 600
LINES_PER_REQUEST = 500


def _generate(rng: random.Random, source: str, prefix: str, malformed: int, valid: int, **kw) -> list:
    flags = [True] * malformed + [False] * valid
    rng.shuffle(flags)
    # through Kafka each event has a source of its own: a binary-mode dead letter's raw bytes are the
    # (shared) data, so its reason, which names the spoilt source or id, is what keeps it apart
    out = [make(rng, source if not kw.get("source_defects") else f"{source}/{i}", f"{prefix}-{i}", bad, **kw)
           for i, bad in enumerate(flags)]
    wrong = [(g.defect, why) for g in out if (why := check(g))]
    assert not wrong, f"the generator's claims fail their own check: {wrong[:5]}"
    return out


def test_fuzzed_events_are_dead_lettered_or_stored_exactly(kafka, tokens, tmp_path):
    run = uuid.uuid4().hex[:8]
    rng = random.Random(run)
    http_source, kafka_source = f"//crm/fuzz-{run}", f"//fuzz-{run}/kafka"
    over_http = _generate(rng, http_source, "h", HTTP_MALFORMED, HTTP_VALID, source_defects=False)
    over_kafka = [*_generate(rng, kafka_source, "k", KAFKA_MALFORMED - 500, KAFKA_VALID - 100, source_defects=True),
                  *_generate(rng, kafka_source, "b", 500, 100, source_defects=True, binary=True)]
    defects = collections.Counter(g.defect.split(":")[0].split(" '")[0] for g in over_http + over_kafka if not g.valid)
    assert len(defects) >= 15, defects  # the mix really is mixed

    worker = WorkerProcess(kafka.bootstrap_servers, tmp_path / "worker").start()
    api = ApiServer(kafka.bootstrap_servers, worker.events_topic, worker.dead_letter_topic, tokens["path"]).start()
    try:
        answers = collections.Counter()
        for start in range(0, len(over_http), LINES_PER_REQUEST):
            body = b"\n".join(g.value for g in over_http[start:start + LINES_PER_REQUEST]) + b"\n"
            r = requests.post(f"{api.url}/events", data=body, timeout=60,
                              headers={"Authorization": f"Bearer {tokens['crm']}",
                                       "Content-Type": "application/x-ndjson"})
            assert r.status_code in (200, 207), r.text[:500]
            answers.update(x["status"] for x in r.json()["results"])
        assert answers == {"accepted": HTTP_VALID, "rejected": HTTP_MALFORMED}, answers

        producer = make_producer(kafka.bootstrap_servers)
        try:
            for g in over_kafka:
                producer.send(worker.events_topic, key=g.doc["id"].encode("utf-8", "replace"), value=g.value,
                              headers=g.headers)
            producer.flush()
        finally:
            producer.close()

        valid = HTTP_VALID + KAFKA_VALID
        malformed = HTTP_MALFORMED + KAFKA_MALFORMED
        settle(worker, valid, malformed, quiet=3.0, timeout=180.0)
    finally:
        api.stop()
        assert worker.stop() == 0, worker.log_tail()

    store = open_store(url=None, data_dir=str(worker.data_dir / "clickhouse"), database="teamflow")
    try:
        events = store.query_df("SELECT source, id FROM events FINAL")
        letters = store.query_df("SELECT door, id, code, reason FROM dead_letters FINAL")
    finally:
        store.close()

    stored = set(zip(events["source"], events["id"]))
    assert len(events) == len(stored) == valid
    assert stored == {(g.doc["source"], g.doc["id"]) for g in over_http + over_kafka if g.valid}
    assert collections.Counter(letters["door"]) == {"api": HTTP_MALFORMED, "kafka": KAFKA_MALFORMED}
    expected_codes = collections.Counter(decode(g.value, g.headers).code for g in over_http + over_kafka
                                         if not g.valid)
    assert collections.Counter(letters["code"]) == expected_codes
    assert all(letters["reason"].str.len() > 0)
    # the defects of issue 12, in the dead letters with a reason naming the character
    assert letters["reason"].str.contains(r"source: .*control character U\+000A \(line feed\)").any()
    assert letters["reason"].str.contains(r"currency: .*control character").any() or "currency" not in str(defects)
    assert letters["reason"].str.contains(r"id: .*U\+202E").any()
