import pytest

from streams.dead_letters import DeadLetter, from_headers

pytestmark = pytest.mark.unit


def test_headers_round_trip_keeps_reason_and_origin():
    dl = DeadLetter(raw=b'{"x": 1}', code="invalid_data", reason="teamflow.help.given data.minutes: expected int",
                    door="api", source="crm", id="e-1", type="teamflow.help.given")
    back = from_headers(dl.raw, dl.headers())
    assert (back.code, back.reason, back.door, back.source, back.id, back.type) == (
        dl.code, dl.reason, dl.door, dl.source, dl.id, dl.type)
    assert back.received_at is not None
    assert back.fingerprint == dl.fingerprint


def test_fingerprint_separates_payloads_reasons_and_doors():
    base = DeadLetter(raw=b"a", code="c", reason="r", door="kafka")
    assert base.fingerprint == DeadLetter(raw=b"a", code="c", reason="r", door="kafka").fingerprint
    others = {
        DeadLetter(raw=b"b", code="c", reason="r", door="kafka").fingerprint,
        DeadLetter(raw=b"a", code="c", reason="r2", door="kafka").fingerprint,
        DeadLetter(raw=b"a", code="c", reason="r", door="api").fingerprint,
        # length-prefixed parts: moving bytes between fields changes the fingerprint
        DeadLetter(raw=b"", code="c", reason="ra", door="kafka").fingerprint,
    }
    assert base.fingerprint not in others and len(others) == 4


def test_headers_without_teamflow_fields_still_give_a_reason():
    back = from_headers(b"raw", [("other", b"x")])
    assert back.reason == "no reason recorded" and back.door == "kafka"
