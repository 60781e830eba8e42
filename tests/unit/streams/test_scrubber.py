"""The pure scrubber: the person's id and names go, everything else stays byte for byte."""
from __future__ import annotations

import json

from streams.erasure.scrubber import Scrubber, names_in

S = Scrubber({"person-0002": "erased-abc"}, ["Person 2"])


def test_a_record_not_naming_the_person_is_unchanged():
    raw = b'{"data":{"person":"person-00021","display_name":"Person 21"}}'
    assert S.value(raw) is None and S.record(b"team-a", raw, [("h", b"x")]) is None


def test_id_and_name_replaced_and_the_rest_kept():
    raw = b'{"a": 1.50, "data":{"person":"person-0002","display_name":"Person 2","note":"thanks Person 2!"}}'
    out = S.value(raw)
    assert out == b'{"a": 1.50, "data":{"person":"erased-abc","display_name":"erased","note":"thanks erased!"}}'


def test_json_escapes_do_not_hide_the_id():
    out = S.value(b'{"person":"\\u0070erson-0002"}')
    assert json.loads(out) == {"person": "erased-abc"}


def test_bytes_that_are_not_json_and_headers():
    assert S.value(b"garbage person-0002 \xff Person 2") == b"garbage erased-abc \xff erased"
    key, value, headers = S.record(None, b"{}", [("teamflow_dl_reason", b'unknown field "Person 2"')])
    assert value == b"{}" and headers == [("teamflow_dl_reason", b'unknown field "erased"')]


def test_names_in_a_roster_event():
    raw = json.dumps({"data": {"person": "person-0002", "display_name": "Person 2"}}).encode()
    assert names_in(raw, "person-0002") == {"Person 2"}
    assert names_in(raw, "person-0003") == set()
