"""encode_event: producers get bytes that decode, or an InvalidEvent explaining why not."""

from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from schemas import Event, InvalidEvent, dataschema_uri, decode, encode_event
from schemas.events.help import HelpGivenV1

pytestmark = pytest.mark.unit

DATA = {"help_id": "h-1", "helper": "p-1", "recipient": "p-2", "kind": "coaching", "minutes": 30}


def test_round_trip_from_dict():
    t = datetime(2025, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    raw = encode_event("teamflow.help.given", DATA, source="//sim", id="e-1", time=t, subject="deal-1")
    doc = msgspec.json.decode(raw)
    assert doc["dataschema"] == dataschema_uri("teamflow.help.given", 1)
    assert doc["time"] == "2025-03-04T10:30:00+01:00"
    assert "request_id" not in doc["data"], "absent optional fields are omitted, not null"
    event = decode(raw)
    assert isinstance(event, Event)
    assert event.data == HelpGivenV1(**DATA)
    assert event.time == t and event.subject == "deal-1"


def test_round_trip_from_struct_with_extensions():
    raw = encode_event(
        "teamflow.help.given", HelpGivenV1(**DATA), source="//sim", id="e-2", time="2025-03-04T09:30:00Z",
        extensions={"traceparent": "00-x-01"},
    )
    event = decode(raw)
    assert event.data == HelpGivenV1(**DATA) and event.extensions == {"traceparent": "00-x-01"}


def test_invalid_struct_values_are_caught():
    bad = HelpGivenV1(**{**DATA, "minutes": -1})  # Struct() does not check constraints; encode_event does
    with pytest.raises(InvalidEvent) as info:
        encode_event("teamflow.help.given", bad, source="s", id="1", time="2025-03-04T09:30:00Z")
    assert info.value.rejection.code == "invalid_data"
    assert "data.minutes: expected integer 0..1440, got -1" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"type": "teamflow.help.nope"}, "unknown_type"),
        ({"version": 3}, "unknown_version"),
        ({"time": "2025-03-04T09:30:00"}, "invalid_envelope"),
        ({"data": {**DATA, "kind": "x"}}, "invalid_data"),
        ({"source": ""}, "invalid_envelope"),
    ],
)
def test_invalid_events_raise(kwargs, code):
    args = {"type": "teamflow.help.given", "data": DATA, "source": "s", "id": "1", "time": "2025-03-04T09:30:00Z"}
    args.update(kwargs)
    type_name = args.pop("type")
    data = args.pop("data")
    with pytest.raises(InvalidEvent) as info:
        encode_event(type_name, data, **args)
    assert info.value.rejection.code == code


def test_naive_datetime_raises():
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_event("teamflow.help.given", DATA, source="s", id="1", time=datetime(2025, 3, 4, 9, 30))
