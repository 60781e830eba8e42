"""Sources scoped before validation and refused when not canonical; header bytes checked (pure)."""
import pytest

from schemas import encode_event
from streams.ingest.headers import BadHeader, ce_value, check_authorization, check_request_headers
from streams.ingest.modes import Item
from streams.ingest.service import RecentIdentities, classify
from streams.ingest.sources import peek_source, source_problem
from streams.ingest.tokens import TokenError, TokenRecord, TokenStore

pytestmark = pytest.mark.unit

TOKEN = TokenRecord(name="a", sha256="x", sources=["//acc/a/*"], created_at="2025-01-01")


@pytest.mark.parametrize("source", [
    "//acc/a/../b", "//acc/a/./x", "//acc/a/..", "//acc/a/%2e%2e/b", "//acc/a/%2F..%2Fb", "//acc/a/%2fb",
    "//acc/a\\..\\b", "//acc/a//b", "https://h/acc//x", "//acc/a/\u2215b", "//acc/a/\uff0e\uff0e/b",
    "//acc/a/\u202eb", "//acc/a/b\n", "//acc/a/%25 2e", "//acc/a/x?y=/../b",
])
def test_tricky_sources_are_refused(source):
    assert source_problem(source) is not None


@pytest.mark.parametrize("source", ["//acc/a/b", "https://crm.example/acc/a", "urn:teamflow:a", "//acc/a/b-c_d.e",
                                    "/relative/path", "//acc/a/%41"])
def test_canonical_sources_pass(source):
    assert source_problem(source) is None


def _ev(source, **data):
    return encode_event("teamflow.deal.rediscovery_started", {"deal_id": "d-1", **data}, source=source, id="1",
                        time="2025-01-01T00:00:00Z")


def test_scope_runs_before_validation_and_foreign_rejects_are_not_dead_lettered():
    invalid_foreign = _ev("//acc/b").replace(b'"deal_id":"d-1"', b'"deal_id":5')
    items = [Item(invalid_foreign), Item(_ev("//acc/a/../b")), Item(_ev("//acc/a/x").replace(b'"d-1"', b'7')),
             Item(b'{"source": "//acc/b", "id": 1'),  # malformed JSON naming a foreign source: no peek, no owner
             Item(b"{}", [("ce_specversion", b"1.0"), ("ce_source", b"//acc/b")])]
    records, out = classify(items, TOKEN, RecentIdentities(10))
    statuses = [r["status"] for r in out.results]
    assert statuses == ["forbidden", "forbidden", "rejected", "rejected", "forbidden"]
    assert "not canonical" in out.results[1]["reason"]
    dead_sources = [dict(r[3]).get("teamflow_dl_source", b"") for r in records if r[0] == "dead"]
    assert b"//acc/b" not in dead_sources and len(dead_sources) == 2


def test_duplicate_source_keys_cannot_smuggle_a_foreign_source():
    body = _ev("//acc/a/x")[:-1] + b',"source":"//acc/b"}'
    assert peek_source(body, None) == "//acc/b"
    _, out = classify([Item(body)], TOKEN, RecentIdentities(10))
    assert out.results[0]["status"] == "forbidden"


def test_token_patterns_must_be_canonical(tmp_path):
    store = TokenStore.load(tmp_path / "t.json")
    with pytest.raises(TokenError, match="dot segments"):
        store.create("x", ["//acc/a/../*"])
    store.create("y", ["//acc/a/*"])


def test_header_bytes():
    check_authorization("Bearer tf_abc")
    with pytest.raises(BadHeader, match="Authorization"):
        check_authorization("Bearer \udcff\udcfe")
    with pytest.raises(BadHeader, match="Content-Type"):
        check_request_headers([("Content-Type", "application/json\udce9")])
    with pytest.raises(BadHeader, match="ce-id: not valid UTF-8$"):
        ce_value("ce-id", "a\udcff")
    with pytest.raises(BadHeader, match="after percent-decoding"):
        ce_value("ce-id", "a%FF")
    with pytest.raises(BadHeader, match="control"):
        ce_value("ce-id", "a%0Ab")
    assert ce_value("ce-source", "//crm/x%2Fy") == b"//crm/x/y"
    assert ce_value("ce-subject", "%C3%A9") == "é".encode()
