"""Versioning: v1 referral.made is upcast to v2; consumers always get the current model."""

import msgspec
import pytest

from schemas import CURRENT_MODELS, CURRENT_VERSIONS, EVENT_TYPES, UPCASTERS, Event, dataschema_uri, decode, encode_event, upcast
from schemas.events.referral import ReferralMadeV1, ReferralMadeV2

pytestmark = pytest.mark.unit

V1 = {"referrer": "p-1", "account": "acct-1", "to_provider": "partner-1", "reason": "better fit"}
V2 = {"referrer": "p-1", "account": "acct-1", "referred_to": "partner-1", "reason": "better fit"}
T = "teamflow.referral.made"


def test_catalog_versions():
    assert CURRENT_VERSIONS[T] == 2
    assert EVENT_TYPES[T] == {1: ReferralMadeV1, 2: ReferralMadeV2}
    assert CURRENT_MODELS[T] is ReferralMadeV2


def test_v1_in_v2_out():
    raw = encode_event(T, V1, version=1, source="s", id="1", time="2025-03-04T09:30:00Z")
    event = decode(raw)
    assert isinstance(event, Event)
    assert event.version == 1 and event.dataschema == dataschema_uri(T, 1)
    assert event.data == ReferralMadeV2(**V2)
    assert not hasattr(event.data, "to_provider")


def test_v1_without_dataschema_is_upcast():
    raw = msgspec.json.encode(
        {"specversion": "1.0", "id": "1", "source": "s", "type": T, "time": "2025-03-04T09:30:00Z", "data": V1}
    )
    event = decode(raw)
    assert event.version == 1 and isinstance(event.data, ReferralMadeV2)


def test_v2_in_unchanged():
    event = decode(encode_event(T, V2, source="s", id="1", time="2025-03-04T09:30:00Z"))
    assert event.version == 2 and event.data == ReferralMadeV2(**V2)


def test_v1_field_names_rejected_in_v2():
    with pytest.raises(ValueError, match="data.to_provider: unknown field"):
        encode_event(T, V1, source="s", id="1", time="2025-03-04T09:30:00Z")


def test_upcaster_chain_covers_every_old_version():
    for type_name, versions in EVENT_TYPES.items():
        assert sorted(versions) == list(range(1, CURRENT_VERSIONS[type_name] + 1)), "versions are contiguous"
        for v in range(1, CURRENT_VERSIONS[type_name]):
            assert (type_name, v) in UPCASTERS


def test_upcast_output_is_valid_for_current_version():
    upcasted = upcast(T, 1, ReferralMadeV1(**V1))
    # round-trip through the strict v2 decoder: the upcaster produced a valid v2 payload
    assert msgspec.json.decode(msgspec.json.encode(upcasted), type=ReferralMadeV2) == upcasted


def test_upcast_is_identity_for_current():
    data = ReferralMadeV2(**V2)
    assert upcast(T, 2, data) is data
