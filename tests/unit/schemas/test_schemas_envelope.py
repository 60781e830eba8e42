"""Envelope rules: required attributes, time, extensions, limits, unknown type/version, never raising."""

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from schemas import (
    MAX_EVENT_BYTES,
    Event,
    Rejection,
    dataschema_uri,
    decode,
    encode_event,
    version_from_dataschema,
)

pytestmark = pytest.mark.unit

DATA = {"help_id": "h-1", "helper": "p-1", "recipient": "p-2", "kind": "advice", "minutes": 10}


def event(**changes) -> dict:
    doc = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "https://crm.acme.example/teamflow",
        "type": "teamflow.help.given",
        "time": "2025-03-04T09:30:00Z",
        "dataschema": dataschema_uri("teamflow.help.given", 1),
        "data": dict(DATA),
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


def run(doc) -> Event | Rejection:
    return decode(json.dumps(doc).encode())


def rejected(doc_or_bytes, code: str) -> Rejection:
    result = decode(doc_or_bytes) if isinstance(doc_or_bytes, bytes) else run(doc_or_bytes)
    assert isinstance(result, Rejection), result
    assert result.code == code, result.reason
    return result


def test_minimal_event_decodes():
    result = run(event(dataschema=None))
    assert isinstance(result, Event)
    assert result.version == 1 and result.dataschema is None
    assert result.data.minutes == 10 and result.data.kind == "advice" and result.data.request_id is None
    assert result.identity == ("https://crm.acme.example/teamflow", "evt-1")
    assert result.extensions == {} and result.subject is None


@pytest.mark.parametrize("name", ["specversion", "id", "source", "type", "time", "data"])
def test_missing_required_attribute(name):
    r = rejected(event(**{name: None}), "invalid_envelope" if name != "type" else "invalid_envelope")
    assert f"{name}: required attribute missing" in r.reason


def test_rejection_names_the_event():
    r = rejected(event(time="yesterday"), "invalid_envelope")
    assert (r.source, r.id, r.type) == ("https://crm.acme.example/teamflow", "evt-1", "teamflow.help.given")
    assert r.reason.startswith("teamflow.help.given time: expected RFC 3339")
    assert r.reason.endswith('got "yesterday"')


@pytest.mark.parametrize("value", ["2025-03-04T09:30:00", "2025-03-04", "09:30:00Z", "2025-03-04T25:30:00Z", 1741080600])
def test_naive_or_bad_time_is_rejected(value):
    rejected(event(time=value), "invalid_envelope")


def test_decoder_tolerates_offset_without_colon():
    # Documented leniency: msgspec reads +0100 as +01:00; the JSON Schema (strict RFC 3339) does not.
    assert run(event(time="2025-03-04T10:30:00+0100")).time == datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def test_invalid_utf8_is_malformed():
    raw = json.dumps(event()).encode().replace(b"evt-1", b"evt-\xff")
    assert rejected(raw, "malformed_json").reason.startswith("event: malformed JSON")


def test_time_with_offset_is_converted_to_utc():
    result = run(event(time="2025-03-04T10:30:00.250+01:00"))
    assert result.time == datetime(2025, 3, 4, 9, 30, 0, 250000, tzinfo=timezone.utc)
    assert result.time.tzinfo is timezone.utc
    assert result.time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"specversion": "0.3"}, 'specversion: expected "1.0"'),
        ({"id": ""}, "id: expected non-empty string of at most 256 characters"),
        ({"id": "x" * 257}, "id: expected non-empty string of at most 256 characters"),
        ({"id": 7}, "id: expected non-empty string"),
        ({"source": "has space"}, "source: expected non-empty URI-reference without whitespace"),
        ({"source": "s" * 257}, "source: expected non-empty string of at most 256 characters"),
        ({"datacontenttype": "text/json"}, 'datacontenttype: expected "application/json"'),
        ({"subject": ""}, "subject: expected non-empty string"),
        ({"dataschema": "https://schemas.teamflow.dev/help.given"}, "dataschema: expected a URI without whitespace or control characters ending in /v<N>"),
        ({"data": "text"}, 'data: expected JSON object, got "text"'),
        ({"data": None}, "data: expected JSON object, got null"),
    ],
)
def test_invalid_envelope_attributes(changes, fragment):
    doc = event()
    doc.update(changes)
    r = rejected(doc, "invalid_envelope")
    assert fragment in r.reason


def test_optional_attributes_are_kept():
    result = run(event(subject="deal-1", datacontenttype="application/json"))
    assert result.subject == "deal-1"


def test_extension_attributes_are_collected():
    result = run(event(traceparent="00-abc-01", partitionkey="team-1", priority=3, sampled=True, ratio=0.5))
    assert isinstance(result, Event), result
    assert result.extensions == {
        "traceparent": "00-abc-01",
        "partitionkey": "team-1",
        "priority": 3,
        "sampled": True,
        "ratio": 0.5,
    }


@pytest.mark.parametrize("name", ["TraceParent", "trace_parent", "trace-id", "a" * 21, ""])
def test_bad_extension_name(name):
    doc = event()
    doc[name] = "x"
    r = rejected(doc, "invalid_envelope")
    assert "extension attribute names must match [a-z0-9]{1,20}" in r.reason


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_bad_extension_value(value):
    doc = event()
    doc["tenant"] = value
    r = rejected(doc, "invalid_envelope")
    assert r.reason.startswith("teamflow.help.given tenant: extension attribute value must be a string, number or boolean")


def test_oversize_is_rejected_before_parsing():
    raw = b"{" + b" " * MAX_EVENT_BYTES + b"}"  # would be malformed JSON too; size wins
    r = rejected(raw, "too_large")
    assert r.reason == f"event: {MAX_EVENT_BYTES + 2} bytes exceeds the limit of {MAX_EVENT_BYTES} bytes"
    assert r.raw == raw


def test_largest_allowed_event_is_accepted():
    doc = event(data=dict(DATA), subject="s")
    raw = json.dumps(doc).encode()
    padded = raw[:-1] + b" " * (MAX_EVENT_BYTES - len(raw)) + b"}"
    assert len(padded) == MAX_EVENT_BYTES
    assert isinstance(decode(padded), Event)


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b'{"specversion": "1.0",}', b"\xff\xfe", b'{"a":1} trailing'],
)
def test_malformed_json(raw):
    r = rejected(raw, "malformed_json")
    assert r.reason.startswith("event: malformed JSON")


def test_not_an_object():
    assert rejected(b"[1, 2]", "invalid_envelope").reason == "event: expected a JSON object, got [1,2]"


@pytest.mark.parametrize("where", ["data", "extension", "top"])
def test_nesting_depth_limit(where):
    deep = [[[[[[[[[["x"]]]]]]]]]]  # 10 levels of arrays
    doc = event()
    if where == "data":
        doc["data"]["minutes"] = deep
    elif where == "extension":
        doc["deep"] = deep
    else:
        raw = b"[" * 20000 + b"]" * 20000
        assert rejected(raw, "too_deep").reason == "event: JSON nesting deeper than 8 levels"
        return
    assert "JSON nesting deeper than 8 levels" in rejected(doc, "too_deep").reason


def test_unknown_type():
    r = rejected(event(type="teamflow.help.gave"), "unknown_type")
    assert r.reason == "teamflow.help.gave type: unknown event type; did you mean teamflow.help.given?"
    assert r.type == "teamflow.help.gave"


def test_unknown_version():
    r = rejected(event(dataschema=dataschema_uri("teamflow.help.given", 4)), "unknown_version")
    assert r.reason.startswith("teamflow.help.given dataschema: unknown version v4 (known: v1)")


def test_invalid_data_reason_names_type_path_expectation_and_value():
    doc = event()
    doc["data"]["minutes"] = "ten"
    r = rejected(doc, "invalid_data")
    assert r.reason == 'teamflow.help.given data.minutes: expected integer 0..1440, got "ten"'


def test_float_minutes_rejected():
    doc = event()
    doc["data"]["minutes"] = 10.5
    rejected(doc, "invalid_data")


def test_any_dataschema_ending_in_version_is_accepted():
    result = run(event(dataschema="https://mirror.example/schemas/help.given/v1"))
    assert isinstance(result, Event) and result.version == 1


@pytest.mark.parametrize(
    ("uri", "version"),
    [(None, 1), ("https://schemas.teamflow.dev/a.b/v2", 2), ("https://x/v12", 12), ("https://x/v", None), ("v1", None)],
)
def test_version_from_dataschema(uri, version):
    assert version_from_dataschema(uri) == version


def test_dataschema_uri():
    assert dataschema_uri("teamflow.help.given", 1) == "https://schemas.teamflow.dev/help.given/v1"
    with pytest.raises(ValueError):
        dataschema_uri("help.given", 1)
    with pytest.raises(ValueError):
        dataschema_uri("teamflow.help.given", 0)


def test_decode_never_raises_on_garbage():
    rng = random.Random(7)
    good = encode_event("teamflow.help.given", DATA, source="s", id="1", time="2025-03-04T09:30:00Z")
    inputs = [bytes(rng.randrange(256) for _ in range(rng.randrange(64))) for _ in range(300)]
    for _ in range(700):  # byte-level mutations of a good event
        b = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.choice(b'{}[]":,0aZ\\ \x00\xff')
        inputs.append(bytes(b))
    inputs += [None, "text", 42]  # wrong types too
    for raw in inputs:
        result = decode(raw)  # type: ignore[arg-type]
        assert isinstance(result, (Event, Rejection))
        if isinstance(result, Rejection):
            assert result.code != "internal_error", result.reason
            assert "Traceback" not in result.reason


def test_events_are_immutable():
    result = run(event())
    with pytest.raises(AttributeError):
        result.id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.data.minutes = 3  # type: ignore[misc]
