from datetime import datetime, timezone

import pytest

from schemas import encode_event
from streams.dead_letters import DeadLetter
from streams.ingest.dead_letter_log import Filters, collect, plan_resubmit

pytestmark = pytest.mark.unit

T1 = datetime(2025, 1, 1, tzinfo=timezone.utc)
T2 = datetime(2025, 1, 2, tzinfo=timezone.utc)
GOOD = encode_event("teamflow.deal.rediscovery_started", {"deal_id": "d"}, source="//crm/a", id="1",
                    time="2025-01-01T00:00:00Z", subject="d")


def _dl(raw=b"{x", reason="event: malformed JSON", door="api", source="//crm/a", when=T1):
    return DeadLetter(raw=raw, code="malformed_json", reason=reason, door=door, source=source, received_at=when)


def test_filters():
    dl = _dl()
    assert Filters().match(dl)
    assert Filters(source="//crm/a").match(dl) and Filters(source="//crm/*").match(dl)
    assert not Filters(source="//crm").match(dl)
    assert Filters(reason="MALFORMED").match(dl) and not Filters(reason="too large").match(dl)
    assert Filters(door="api").match(dl) and not Filters(door="kafka").match(dl)
    assert Filters(code="malformed_json").match(dl) and not Filters(code="invalid_data").match(dl)


def test_collect_groups_by_fingerprint():
    records = [(_dl(when=T1), 0, 1), (_dl(when=T2), 1, 7), (_dl(raw=b"{y"), 0, 2), (_dl(door="kafka"), 0, 3)]
    letters = collect(records, Filters(door="api"))
    assert [x.count for x in letters] == [2, 1]
    assert letters[0].first_seen == T1 and letters[0].last_seen == T2 and letters[0].positions == [(0, 1), (1, 7)]
    assert letters[0].as_dict()["raw"] == "{x"


def test_plan_resubmit_validates_first():
    letters = collect([(_dl(raw=GOOD, reason="old"), 0, 1), (_dl(), 0, 2), (_dl(raw=b'{"row": {}}', door="import"), 0, 3)],
                      Filters())
    plan = plan_resubmit(letters)
    assert [(k, v) for _, k, v in plan.valid] == [(b"d", GOOD)]
    assert len(plan.still_invalid) == 1 and "malformed JSON" in plan.still_invalid[0][1]
    assert len(plan.not_events) == 1
