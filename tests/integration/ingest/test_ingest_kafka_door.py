"""The Kafka door with a real `kcat` (structured and binary mode), and dead letters listed and resubmitted."""
from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest
from ingest_harness import settle

from schemas import encode_event
from streams.dead_letters import DeadLetter
from streams.producer import make_producer

pytestmark = pytest.mark.integration

needs_kcat = pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat not installed (Debian package kcat)")


def _kcat(bootstrap: str, topic: str, value: bytes, key: str, headers: dict[str, str] | None = None) -> None:
    cmd = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-k", key, "-X", "acks=all"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}={v}"]
    subprocess.run(cmd, input=value + b"\n", check=True, timeout=60, capture_output=True)


@needs_kcat
def test_kcat_structured_and_binary_modes(kafka, worker, cli):
    before = worker.status()
    run = uuid.uuid4().hex[:8]
    structured = encode_event("teamflow.roster.member_joined",
                              {"person": "p-kc", "team": "team-kcat", "role": "rep", "display_name": "Kay Cat"},
                              source="//ops/kcat", id=f"kcat-s-{run}", time="2025-03-04T09:30:00Z")
    _kcat(kafka.bootstrap_servers, worker.events_topic, structured, "team-kcat")
    binary = {"ce_specversion": "1.0", "ce_id": f"kcat-b-{run}", "ce_source": "//ops/kcat",
              "ce_type": "teamflow.deal.exchange", "ce_time": "2025-03-04T10:30:00+01:00", "ce_subject": "deal-k",
              "content-type": "application/json"}
    _kcat(kafka.bootstrap_servers, worker.events_topic,
          b'{"deal_id": "deal-k", "direction": "buyer_gave", "kind": "mutual_plan"}', "deal-k", binary)
    # a binary-mode event with a typo in data: dead-lettered by the worker with a readable reason
    bad = {**binary, "ce_id": f"kcat-bad-{run}"}
    _kcat(kafka.bootstrap_servers, worker.events_topic,
          b'{"deal_id": "deal-k", "direction": "buyer_gave", "knd": "mutual_plan"}', "deal-k", bad)
    settle(worker, before["events"] + 2, before["dead_letters"] + 1)
    # the same two again: nothing new
    _kcat(kafka.bootstrap_servers, worker.events_topic, structured, "team-kcat")
    _kcat(kafka.bootstrap_servers, worker.events_topic,
          b'{"deal_id": "deal-k", "direction": "buyer_gave", "kind": "mutual_plan"}', "deal-k", binary)
    settle(worker, before["events"] + 2, before["dead_letters"] + 1)

    out = cli("dead-letters", "list", "--door", "kafka", "--json").stdout
    letters = [json.loads(line) for line in out.splitlines()]
    mine = [x for x in letters if x["id"] == f"kcat-bad-{run}"]
    assert len(mine) == 1 and "data.knd: unknown field" in mine[0]["reason"], letters


def test_dead_letters_resubmit_is_idempotent(kafka, worker, cli, tokens):
    before = worker.status()
    run = uuid.uuid4().hex[:8]
    source = f"//crm/resubmit-{run}"
    # as if the API had refused these: one is valid under today's contract (say, a fixed producer bug
    # made it look bad), the other is still invalid
    valid = encode_event("teamflow.deal.rediscovery_started", {"deal_id": "deal-r"}, source=source, id="r-1",
                         time="2025-03-04T09:30:00Z", subject="deal-r")
    invalid = valid.replace(b'"deal_id"', b'"deal_ident"').replace(b'"r-1"', b'"r-2"')
    letters = [DeadLetter(raw=valid, code="invalid_data", reason="old contract said no", door="api",
                          source=source, id="r-1", type="teamflow.deal.rediscovery_started"),
               DeadLetter(raw=invalid, code="invalid_data", reason="deal_ident: unknown field", door="api",
                          source=source, id="r-2", type="teamflow.deal.rediscovery_started")]
    producer = make_producer(kafka.bootstrap_servers)
    try:
        for dl in letters:
            producer.send(worker.dead_letter_topic, key=source.encode(), value=dl.raw, headers=dl.headers())
        producer.flush()
    finally:
        producer.close()
    settle(worker, before["events"], before["dead_letters"] + 2)

    listed = cli("dead-letters", "list", "--source", source, "--json").stdout.splitlines()
    assert len(listed) == 2
    assert len(cli("dead-letters", "list", "--source", "//crm/resubmit-*", "--reason", "UNKNOWN FIELD",
                   "--json").stdout.splitlines()) >= 1

    # Refused at the API door: nothing goes back while no active token owns the source ...
    held = cli("dead-letters", "resubmit", "--source", source, "--dry-run").stdout
    assert "would resubmit 0 event(s)" in held and f"no active token owns source '{source}'" in held
    # ... and with the tokens file of the API (the token 'crm' owns //crm/*), the valid one goes back.
    worker.extra_env["TEAMFLOW_TOKENS_FILE"] = str(tokens["path"])
    dry = cli("dead-letters", "resubmit", "--source", source, "--dry-run").stdout
    assert "would resubmit 1 event(s)" in dry and "1 still refused" in dry
    out = cli("dead-letters", "resubmit", "--source", source).stdout
    assert "resubmitted 1 event(s)" in out and "deal_ident" in out
    settle(worker, before["events"] + 1, before["dead_letters"] + 2)
    cli("dead-letters", "resubmit", "--source", source)  # again: same (source, id), nothing new
    settle(worker, before["events"] + 1, before["dead_letters"] + 2)

    # --force sends the still-invalid one too: the worker refuses it (door kafka) once, then the same fingerprint
    cli("dead-letters", "resubmit", "--source", source, "--door", "api", "--force")
    settle(worker, before["events"] + 1, before["dead_letters"] + 3)
    cli("dead-letters", "resubmit", "--source", source, "--door", "api", "--force")
    settle(worker, before["events"] + 1, before["dead_letters"] + 3)
