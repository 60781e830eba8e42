from datetime import datetime, timezone

import msgspec
import pytest

from projections.erasure import PERSON_FIELDS, erase
from schemas import CURRENT_MODELS, decode, encode_event

pytestmark = pytest.mark.unit

T = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


def ev(type_, data, i="1"):
    return decode(encode_event(type_, data, source="t", id=i, time=T))


def test_every_person_field_of_the_catalog_is_listed():
    """A new field that names a person must be added to PERSON_FIELDS, or erasure would miss it."""
    person_like = {"person", "requester", "helper", "recipient", "author", "user", "giver", "receiver", "owner",
                   "from_person", "to_person", "referrer"}
    for type_, model in CURRENT_MODELS.items():
        named = tuple(f for f in model.__struct_fields__ if f in person_like)
        assert PERSON_FIELDS.get(type_, ()) == named, type_


def test_replaces_ids_and_names_and_leaves_others_alone():
    joined = ev("teamflow.roster.member_joined", {"person": "p1", "team": "t", "role": "rep", "display_name": "Ana"})
    helped = ev("teamflow.help.given", {"help_id": "h", "helper": "p1", "recipient": "p2", "kind": "advice",
                                        "minutes": 5}, "2")
    other = ev("teamflow.roster.member_joined", {"person": "p2", "team": "t", "role": "rep", "display_name": "Bo"}, "3")
    out = erase([joined, helped, other], {"p1": "erased-abc"})
    assert (out[0].data.person, out[0].data.display_name) == ("erased-abc", "erased")
    assert (out[1].data.helper, out[1].data.recipient, out[1].data.minutes) == ("erased-abc", "p2", 5)
    assert out[2] is other, "events naming nobody erased are untouched"
    assert (out[0].id, out[0].source, out[0].time) == (joined.id, joined.source, joined.time)
    assert b"p1" not in msgspec.json.encode(out[1].data)


def test_nothing_to_erase_is_a_no_op():
    e = ev("teamflow.deal.exchange", {"deal_id": "d", "direction": "buyer_gave", "kind": "commitment"})
    assert erase([e], {}) == [e] and erase([e], {"p1": "erased-x"})[0] is e
