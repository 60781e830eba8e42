"""The string rules (schemas/text.py, schemas/ids.py): what they refuse and how the reason says it."""

import json
import re
from pathlib import Path

import pytest

from schemas import Rejection, decode
from schemas.text import CONTROLS, ID_PATTERN, escape_controls, flaw, is_id, is_source

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[3] / "schemas" / "examples"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("deal-1", ""), ("Acme Corp", "whitespace U+0020 (space) at position 4"),
     (" x", "leading whitespace U+0020 (space)"),
     ("x\u00a0", "trailing whitespace U+00A0 (no-break space)"),
     ("x\n", "control character U+000A (line feed) at position 1"),
     ("a\u202eb", "control character U+202E (right-to-left override) at position 1"),
     ("\x00", "control character U+0000 (NUL) at position 0"), ("é€😀", "")],
)
def test_flaw_names_the_character_and_where(value, expected):
    assert flaw(value) == expected


@pytest.mark.parametrize("value", ["a", "deal 1", "é", "😀", "a\U000e0001b", "x" * 300])
def test_ids_allowed(value):
    assert is_id(value)


@pytest.mark.parametrize("value", ["", " a", "a ", "a\n", "a\r\n", "\x7f", "a\x85", "a\u2028", "a\u200b", "\ufeffa",
                                   "a\u2066b", "\u3000a"])
def test_ids_refused(value):
    assert not is_id(value)


def test_the_fast_path_agrees_with_the_pattern_on_every_ascii_character():
    pattern = re.compile(ID_PATTERN)
    for code in range(128):
        for value in (chr(code), f"a{chr(code)}b", f"ab{chr(code)}"):
            assert is_id(value) == (pattern.match(value) is not None), repr(value)


def test_source_refuses_any_whitespace_and_controls():
    assert is_source("//crm/salesforce") and is_source("//crm/é")
    for bad in ("//crm/a b", "//crm\n", "//crm\t", "//crm\u00a0x", "//crm\u202e", ""):
        assert not is_source(bad), repr(bad)


def test_reasons_never_carry_a_raw_control_character():
    assert escape_controls("a\u202eb\n") == "a\\u202eb\\u000a"
    doc = json.loads((EXAMPLES / "teamflow.deal.opened" / "valid.json").read_text("utf-8"))
    for field in ("id", "source", "subject"):
        bad = dict(doc, **{field: "x\u202e\u2066\x85y"})
        r = decode(json.dumps(bad, ensure_ascii=False).encode())
        assert isinstance(r, Rejection) and r.code == "invalid_envelope"
        assert not re.search(f"[{CONTROLS}]", r.reason), r.reason
        assert "U+202E (right-to-left override) at position 1" in r.reason


def test_a_nested_id_is_named_by_its_path():
    doc = json.loads((EXAMPLES / "teamflow.outcome.criteria_defined" / "valid.json").read_text("utf-8"))
    doc["data"]["criteria"][-1]["criterion_id"] = "crit-2\n"
    r = decode(json.dumps(doc).encode())
    n = len(doc["data"]["criteria"]) - 1
    assert r.code == "invalid_data"
    assert f"data.criteria[{n}].criterion_id: expected non-empty string of at most 128 characters" in r.reason
    assert r.reason.endswith("(control character U+000A (line feed) at position 6)")
