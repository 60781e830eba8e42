"""The official CloudEvents SDK (cloudevents 2.x: `cloudevents.core`) through every door, as in docs/ops-guide.md:
HTTP structured and binary mode to the API, Kafka structured and binary mode to the topic. Each event is
stored exactly once; the 1.x API (`cloudevents.http`) no longer exists and the docs do not use it."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import requests

pytestmark = pytest.mark.integration
ce_core = pytest.importorskip("cloudevents.core.v1.event", reason="pip install 'cloudevents>=2.2'")

from cloudevents.core.bindings import http as ce_http  # noqa: E402
from cloudevents.core.bindings import kafka as ce_kafka  # noqa: E402
from cloudevents.core.v1.event import CloudEvent  # noqa: E402


def _deal_exchange(source: str, event_id: str) -> CloudEvent:
    return CloudEvent(
        attributes={"type": "teamflow.deal.exchange", "source": source, "id": event_id, "subject": "deal-8812",
                    "time": datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc), "datacontenttype": "application/json"},
        data={"deal_id": "deal-8812", "direction": "buyer_gave", "kind": "mutual_plan"})


def test_the_sdk_reaches_the_store_through_http_and_kafka_in_both_modes(api, worker, tokens, kafka):
    from kafka import KafkaProducer

    with pytest.raises(ImportError):
        import cloudevents.http  # noqa: F401  (the 1.x API the docs once used)
    run = uuid.uuid4().hex[:8]
    source = f"//crm/sdk-{run}"
    before, dead_before = worker.status()["events"], worker.status()["dead_letters"]
    auth = {"Authorization": f"Bearer {tokens['crm']}"}

    for i, to_message in enumerate((ce_http.to_structured_event, ce_http.to_binary_event)):
        message = to_message(_deal_exchange(source, f"http-{i}-{run}"))
        r = requests.post(f"{api.url}/events", data=message.body, headers={**auth, **message.headers}, timeout=30)
        assert r.status_code == 200 and r.json()["accepted"] == 1, r.text

    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    try:
        for i, to_message in enumerate((ce_kafka.to_structured_event, ce_kafka.to_binary_event)):
            message = to_message(_deal_exchange(source, f"kafka-{i}-{run}"), key_mapper=lambda e: e.get_subject())
            key = message.key.encode() if isinstance(message.key, str) else message.key
            producer.send(worker.events_topic, key=key, value=message.value,
                          headers=list(message.headers.items())).get(timeout=30)
    finally:
        producer.close()

    status = worker.wait_for(lambda s: s["events"] >= before + 4, timeout=60, what="four SDK events stored")
    assert status["events"] == before + 4 and status["dead_letters"] == dead_before
