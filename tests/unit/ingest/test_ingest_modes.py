import pytest

from schemas import Event, decode
from streams.ingest import modes

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("ctype,headers,mode", [
    ("application/cloudevents+json", {}, "structured"),
    ("application/cloudevents+json; charset=utf-8", {}, "structured"),
    ("Application/CloudEvents-Batch+JSON", {}, "batch"),
    ("application/x-ndjson", {}, "ndjson"),
    ("application/json", {"ce-specversion": "1.0"}, "binary"),
    ("application/json; charset=utf-8", {"CE-SpecVersion": "1.0"}, "binary"),
    (None, {"ce-specversion": "1.0"}, "binary"),
])
def test_modes_by_content_type(ctype, headers, mode):
    assert modes.mode_of(ctype, headers) == mode


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", None, "application/cloudevents"])
def test_other_content_types_are_415(ctype):
    with pytest.raises(modes.UnsupportedMediaType) as e:
        modes.mode_of(ctype, {})
    assert "application/cloudevents+json" in str(e.value)


def test_binary_headers_become_kafka_headers_percent_decoded():
    items = modes.split("binary", b'{"deal_id": "d-1"}', [
        ("ce-specversion", "1.0"), ("ce-id", "e-1"), ("ce-source", "//crm/a%2Fb"), ("Ce-Type",
         "teamflow.deal.rediscovery_started"), ("ce-time", "2025-03-04T09:30:00Z"), ("Authorization", "Bearer x"),
        ("ce-traceparent", "00-abc")], "application/json")
    [item] = items
    h = dict(item.headers)
    assert h["ce_source"] == b"//crm/a/b" and h["content-type"] == b"application/json" and "authorization" not in h
    result = decode(item.value, item.headers)
    assert isinstance(result, Event) and result.extensions == {"traceparent": "00-abc"}


def test_batch_keeps_each_element_raw_and_malformed_batch_is_one_item():
    items = modes.split("batch", b'[{"a": 1}, {"b": [2, 3]}]')
    assert [i.value for i in items] == [b'{"a": 1}', b'{"b": [2, 3]}']
    [bad] = modes.split("batch", b'{"not": "an array"}')
    assert bad.problem and "expected a JSON array" in bad.problem
    assert modes.split("batch", b"[]") == []


def test_ndjson_skips_blank_lines():
    items = modes.split("ndjson", b'{"a":1}\n\n  \r\n{"b":2}\r\n')
    assert [i.value for i in items] == [b'{"a":1}', b'{"b":2}']
