import pytest

from schemas import encode_event
from streams.ingest.keys import key_for
from streams.ingest.modes import Item
from streams.ingest.service import Outcome, RecentIdentities, classify
from streams.ingest.tokens import TokenRecord
from schemas import decode

pytestmark = pytest.mark.unit

TOKEN = TokenRecord(name="crm", sha256="x", sources=["//crm/*"], created_at="2025-01-01")


def _ev(i, source="//crm/a", team=None):
    if team:
        return encode_event("teamflow.roster.member_joined", {"person": "p-1", "team": team, "role": "rep",
                            "display_name": "A"}, source=source, id=i, time="2025-01-01T00:00:00Z")
    return encode_event("teamflow.deal.rediscovery_started", {"deal_id": "d-1"}, source=source, id=i,
                        time="2025-01-01T00:00:00Z", subject="d-1")


def test_classify_each_fate():
    recent = RecentIdentities(10)
    recent.add(("//crm/a", "seen"))
    items = [Item(_ev("e1")), Item(_ev("e1")), Item(_ev("seen")), Item(b"{nope"), Item(_ev("f", "//hr")),
             Item(b"[]", problem="batch: expected a JSON array")]
    records, out = classify(items, TOKEN, recent)
    assert [r["status"] for r in out.results] == ["accepted", "duplicate", "duplicate", "rejected", "forbidden",
                                                  "rejected"]
    assert out.counts == {"accepted": 1, "duplicate": 2, "rejected": 2, "forbidden": 1}
    assert [r[0] for r in records] == ["event", "dead", "dead"]
    dead_headers = dict(records[1][3])
    assert dead_headers["teamflow_dl_door"] == b"api" and dead_headers["teamflow_dl_code"] == b"malformed_json"
    assert out.results[3]["reason"].startswith("event: malformed JSON")
    assert out.status == 207


@pytest.mark.parametrize("counts,status", [
    ({"accepted": 2, "duplicate": 1, "rejected": 0, "forbidden": 0}, 200),
    ({"accepted": 0, "duplicate": 1, "rejected": 0, "forbidden": 0}, 200),
    ({"accepted": 1, "duplicate": 0, "rejected": 1, "forbidden": 0}, 207),
    ({"accepted": 0, "duplicate": 0, "rejected": 0, "forbidden": 2}, 403),
    ({"accepted": 0, "duplicate": 0, "rejected": 1, "forbidden": 1}, 400),
])
def test_request_status(counts, status):
    assert Outcome(counts=counts).status == status


def test_recent_identities_are_bounded_lru():
    r = RecentIdentities(2)
    r.add(("s", "1"))
    r.add(("s", "2"))
    assert ("s", "1") in r  # touch: 2 is now the oldest
    r.add(("s", "3"))
    assert ("s", "2") not in r and ("s", "1") in r and len(r) == 2


def test_kafka_key_team_then_subject_then_source():
    assert key_for(decode(_ev("k1", team="north"))) == b"north"
    assert key_for(decode(_ev("k2"))) == b"d-1"
    no_subject = encode_event("teamflow.help.acknowledged", {"help_id": "h", "recipient": "p", "useful": True},
                              source="//crm/a", id="k3", time="2025-01-01T00:00:00Z")
    assert key_for(decode(no_subject)) == b"//crm/a"
