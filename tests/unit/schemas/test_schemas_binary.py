"""Kafka binary mode: attributes in ce_* headers, value is the data JSON only."""

import json

import pytest

from schemas import Event, Rejection, dataschema_uri, decode

pytestmark = pytest.mark.unit

DATA = {"referrer": "p-1", "account": "acct-1", "to_provider": "partner-1", "reason": "better fit"}


def headers(**changes):
    h = {
        "ce_specversion": b"1.0",
        "ce_id": b"evt-9",
        "ce_source": b"//simulator",
        "ce_type": b"teamflow.referral.made",
        "ce_time": b"2025-03-04T09:30:00+02:00",
        "content-type": b"application/json",
    }
    h.update(changes)
    return [(k, v) for k, v in h.items() if v is not None]


def value(data=DATA) -> bytes:
    return json.dumps(data).encode()


def test_binary_mode_decodes_and_upcasts():
    result = decode(value(), headers(ce_subject=b"acct-1", ce_traceparent=b"00-ab-01"))
    assert isinstance(result, Event), result
    assert (result.source, result.id, result.type, result.subject) == ("//simulator", "evt-9", "teamflow.referral.made", "acct-1")
    assert result.time.isoformat() == "2025-03-04T07:30:00+00:00"
    assert result.version == 1 and result.data.referred_to == "partner-1"
    assert result.extensions == {"traceparent": "00-ab-01"}


def test_binary_mode_with_dataschema_header():
    data = {"referrer": "p-1", "account": "acct-1", "referred_to": "partner-1", "reason": "better fit"}
    uri = dataschema_uri("teamflow.referral.made", 2).encode()
    result = decode(value(data), headers(ce_dataschema=uri))
    assert isinstance(result, Event) and result.version == 2 and result.dataschema == uri.decode()


def test_headers_without_ce_specversion_mean_structured_mode():
    structured = {
        "specversion": "1.0",
        "id": "1",
        "source": "s",
        "type": "teamflow.deal.rediscovery_started",
        "time": "2025-03-04T09:30:00Z",
        "data": {"deal_id": "d-1"},
    }
    result = decode(json.dumps(structured).encode(), [("content-type", b"application/cloudevents+json")])
    assert isinstance(result, Event)


def test_header_keys_may_be_bytes():
    h = [(k.encode(), v) for k, v in headers()]
    assert isinstance(decode(value(), h), Event)


@pytest.mark.parametrize(
    ("changes", "code", "fragment"),
    [
        ({"ce_time": None}, "invalid_envelope", "time: required attribute missing"),
        ({"ce_time": b"2025-03-04T09:30:00"}, "invalid_envelope", "time: expected RFC 3339"),
        ({"ce_id": b"\xff"}, "invalid_envelope", "header ce_id: value is not UTF-8"),
        ({"ce_Bad_Name": b"x"}, "invalid_envelope", "extension attribute names must match"),
        ({"ce_data": b"{}"}, "invalid_envelope", "header ce_data: not allowed in binary mode"),
        ({"content-type": b"text/plain"}, "invalid_envelope", 'content-type: expected application/json, got "text/plain"'),
        ({"ce_type": b"teamflow.nope.nope"}, "unknown_type", "teamflow.nope.nope type: unknown event type"),
        ({"ce_dataschema": b"https://schemas.teamflow.dev/referral.made/v7"}, "unknown_version", "unknown version v7"),
    ],
)
def test_binary_mode_envelope_errors(changes, code, fragment):
    result = decode(value(), headers(**changes))
    assert isinstance(result, Rejection) and result.code == code, result
    assert fragment in result.reason
    assert result.raw == value()


def test_content_type_parameters_allowed():
    assert isinstance(decode(value(), headers(**{"content-type": b"application/json; charset=utf-8"})), Event)


def test_duplicate_header_rejected():
    h = headers() + [("ce_id", b"evt-10")]
    result = decode(value(), h)
    assert isinstance(result, Rejection) and "appears more than once" in result.reason


def test_data_cannot_smuggle_attributes():
    smuggled = value()[:-1] + b'}, "type": "teamflow.help.given"'
    result = decode(smuggled, headers())
    assert isinstance(result, Rejection) and result.code == "malformed_json"


@pytest.mark.parametrize(("raw", "code"), [(b"[]", "invalid_envelope"), (b"", "malformed_json"), (b"{", "malformed_json")])
def test_binary_mode_data_must_be_an_object(raw, code):
    result = decode(raw, headers())
    assert isinstance(result, Rejection) and result.code == code, result


def test_binary_mode_invalid_data():
    result = decode(value({**DATA, "reason": 3}), headers())
    assert isinstance(result, Rejection) and result.code == "invalid_data"
    assert result.reason == "teamflow.referral.made data.reason: expected non-empty string of at most 2000 characters, got 3"
    assert (result.id, result.source) == ("evt-9", "//simulator")


def test_binary_mode_oversize():
    result = decode(b" " * (64 * 1024 + 1), headers())
    assert isinstance(result, Rejection) and result.code == "too_large"
