"""Resubmission never goes past a token's scope (pure logic: letters in, records out; no broker)."""
from __future__ import annotations

import json

from schemas import encode_event
from streams.dead_letters import DeadLetter
from streams.ingest.dead_letter_log import Letter
from streams.ingest.resubmit import prepare, scope_checker
from streams.ingest.tokens import TokenStore


def _valid(source: str, i: str) -> bytes:
    return encode_event("teamflow.deal.rediscovery_started", {"deal_id": "d-1"}, source=source, id=i,
                        time="2025-03-04T09:30:00Z", subject="d-1")


def _letter(raw: bytes, door: str, source: str) -> Letter:
    return Letter(DeadLetter(raw=raw, code="invalid_data", reason="r", door=door, source=source, id="x"))


def test_api_letters_go_back_only_while_an_active_token_owns_their_source(tmp_path):
    tokens = TokenStore.load(tmp_path / "tokens.json")
    tokens.create("crm", ["//crm/a/*"])
    tokens.create("old", ["//crm/old"])
    tokens.revoke("old")
    may_write = scope_checker(tmp_path / "tokens.json")
    letters = [_letter(_valid("//crm/a/x", "1"), "api", "//crm/a/x"),
               _letter(_valid("//crm/b", "2"), "api", "//crm/b"),
               _letter(_valid("//crm/old", "3"), "api", "//crm/old"),
               _letter(_valid("//any/kafka", "4"), "kafka", "//any/kafka")]
    result = prepare(letters, may_write)
    assert [json.loads(v)["id"] for _, v in result.records] == ["1", "4"]
    assert sorted(r for _, r in result.out_of_scope) == ["no active token owns source '//crm/b'",
                                                          "no active token owns source '//crm/old'"]


def test_a_letter_whose_source_reads_differently_now_is_held_back():
    letter = _letter(_valid("//crm/b", "1"), "kafka", "//crm/a/../b")
    result = prepare([letter], lambda s: True)
    assert result.records == [] and "now reads '//crm/b'" in result.out_of_scope[0][1]


def test_force_sends_still_invalid_ones_only_within_scope():
    bad = json.dumps({"specversion": "1.0", "id": "9", "source": "//crm/a/x", "type": "nope"}).encode()
    inside, outside = _letter(bad, "api", "//crm/a/x"), _letter(bad, "api", "//crm/z")
    assert prepare([inside, outside], lambda s: s.startswith("//crm/a/")).records == []
    forced = prepare([inside, outside], lambda s: s.startswith("//crm/a/"), force=True)
    assert forced.records == [("//crm/a/x", bad)] and len(forced.out_of_scope) == 1


def test_without_a_tokens_file_no_api_letter_goes_back():
    assert prepare([_letter(_valid("//crm/a", "1"), "api", "//crm/a")], scope_checker(None)).records == []
