"""Property test: the decoder and the exported JSON Schemas never disagree on strings around the patterns.

Hypothesis starts from every type's valid example and replaces one string of it (an envelope
attribute, an extension attribute name, or any string in ``data``) by a value generated around
that field's pattern: a valid value, the valid value with whitespace, newlines, control or format
characters or random text appended, prepended or inserted, or arbitrary Unicode text. Each
event is then judged three ways and all three must agree (all accept or all refuse):

* ``schemas.decode`` (msgspec + Python ``re``, the product's decoder);
* ``jsonschema`` (Python) on the committed ``schemas/json`` files, with format checking;
* ``jsonschema_rs`` on the same files: a Rust validator whose regular expressions follow
  ECMA-262, so a pattern that only works in Python's dialect (the ``$`` before a final newline)
  shows up as a disagreement.

An event is valid for the JSON Schemas when one of its type's event schemas validates it.
"""

import json
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from msgspec import inspect as mi

from schemas import EVENT_TYPES, Event, decode, version_from_dataschema
from schemas.envelope import ENVELOPE_ATTRIBUTES
from schemas.text import (
    DATASCHEMA_PATTERN,
    EXTENSION_NAME_PATTERN,
    ID_PATTERN,
    SOURCE_PATTERN,
    TIME_PATTERN,
    TYPE_PATTERN,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3] / "schemas"
NASTY = [" ", "\t", "\n", "\r", "\r\n", "\x00", "\x0b", "\x1b", "\x7f", "\x85", "\x9f", "\u00a0", "\u00ad",
         "\u061c", "\u180e", "\u200b", "\u200d", "\u200e", "\u2028", "\u2029", "\u202a", "\u202e", "\u2060",
         "\u2066", "\u2069", "\u3000", "\ufeff", "\ufff9", "\U000e0001", "\U0001f600", "é", "٣", "Ａ"]
"""Characters the patterns must take a stand on: whitespace, Cc, Zl/Zp, Cf (BMP and beyond), non-ASCII."""

ENVELOPE_PATTERNS = {"id": ID_PATTERN, "source": SOURCE_PATTERN, "subject": ID_PATTERN, "type": TYPE_PATTERN,
                     "time": TIME_PATTERN, "dataschema": DATASCHEMA_PATTERN}


@lru_cache(maxsize=None)
def _validators(type_name: str) -> tuple:
    """(Python validator, Rust validator) for every version of the type."""
    out = []
    for version in EVENT_TYPES[type_name]:
        schema = json.loads((ROOT / "json" / f"{type_name}.v{version}.json").read_text("utf-8"))
        out.append((Draft202012Validator(schema, format_checker=FormatChecker()),
                    jsonschema_rs.validator_for(schema, validate_formats=True)))
    return tuple(out)


def _examples() -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "examples").glob("*/valid*.json"))]


EXAMPLES = _examples()


def _string_paths(value, path=()) -> list[tuple]:
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _string_paths(v, path + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _string_paths(v, path + (i,))]
    return []


def _field_type(cls: type, path: tuple) -> mi.Type:
    t = mi.type_info(cls)
    for token in path:
        while isinstance(t, (mi.Metadata, mi.UnionType)):
            t = t.type if isinstance(t, mi.Metadata) else next(o for o in t.types if not isinstance(o, mi.NoneType))
        if isinstance(token, int):
            t = t.item_type
        else:
            t = next(f.type for f in t.fields if f.encode_name == token)
    while isinstance(t, (mi.Metadata, mi.UnionType)):
        t = t.type if isinstance(t, mi.Metadata) else next(o for o in t.types if not isinstance(o, mi.NoneType))
    return t


def _valid_values(example: dict, slot: tuple) -> st.SearchStrategy[str]:
    """Values the field accepts, as far as its pattern or enumeration says."""
    where, *path = slot
    if where == "envelope":
        pattern = ENVELOPE_PATTERNS[path[0]]
        if path[0] in ("type", "time", "dataschema"):
            return st.just(example[path[0]])  # these have one right value for the example's schema
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: 1 <= len(s) <= 256)
    if where == "extension":
        return st.from_regex(EXTENSION_NAME_PATTERN, fullmatch=True)
    version = version_from_dataschema(example.get("dataschema"))
    t = _field_type(EVENT_TYPES[example["type"]][version], tuple(path))
    if isinstance(t, mi.LiteralType):
        return st.sampled_from([v for v in t.values if isinstance(v, str)])
    if isinstance(t, mi.StrType) and t.pattern:
        return st.from_regex(t.pattern, fullmatch=True).filter(lambda s: len(s) <= (t.max_length or 10**6))
    current = example["data"]
    for token in path:
        current = current[token]
    return st.just(current)


def _around(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value, or one spoilt at either end or inside, or anything at all."""
    nasty = st.sampled_from(NASTY) | st.text(max_size=3)
    inside = st.tuples(valid, nasty, st.integers(0, 300)).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:])
    return st.one_of(
        valid,
        st.tuples(valid, nasty).map(lambda t: t[0] + t[1]),
        st.tuples(nasty, valid).map(lambda t: t[0] + t[1]),
        inside,
        st.text(max_size=12),
    )


@st.composite
def events(draw) -> dict:
    example = json.loads(json.dumps(draw(st.sampled_from(EXAMPLES))))
    slots = [("envelope", name) for name in ENVELOPE_PATTERNS if name in example or name == "subject"]
    slots += [("extension",)]
    slots += [("data", *p) for p in _string_paths(example["data"])]
    slot = draw(st.sampled_from(slots))
    value = draw(_around(_valid_values(example, slot)))
    where, *path = slot
    if where == "envelope":
        example[path[0]] = value
    elif where == "extension":
        if value in ENVELOPE_ATTRIBUTES:
            value += "x"
        example[value] = "ext-value"
    else:
        target = example["data"]
        for token in path[:-1]:
            target = target[token]
        target[path[-1]] = value
    return example


def _verdicts(doc: dict) -> tuple[bool, bool, bool]:
    decoded = decode(json.dumps(doc, ensure_ascii=False).encode())
    type_name = doc.get("type")
    validators = _validators(type_name) if type_name in EVENT_TYPES else ()
    python = any(py.is_valid(doc) for py, _ in validators)
    rust = any(rs.is_valid(doc) for _, rs in validators)
    return isinstance(decoded, Event), python, rust


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_decoder_and_json_schemas_never_disagree(doc):
    decoder, python, rust = _verdicts(doc)
    assert decoder == python == rust, (
        f"decoder={decoder} jsonschema={python} jsonschema_rs={rust}: "
        f"{msgspec.json.encode(doc).decode()}\n{decode(json.dumps(doc).encode())}"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("source", "//crm/salesforce\n"), ("id", "evt-1\n"), ("id", "evt\r1"), ("id", "evt\x001"),
     ("id", "evt-\u202e1"), ("subject", "deal-1\u2028"),
     ("dataschema", "https://schemas.teamflow.dev/deal.opened/v1\n"),
     ("time", "2025-03-04T09:30:00Z\n"), ("type", "teamflow.deal.opened\n"), ("currency", "USD\n"),
     ("currency", "USD\u200b"), ("owner", " p-1"), ("owner", "p-1 "), ("stage", "won\t")],
)
def test_known_tricks_are_refused_everywhere(field, value):
    """The cases of issue 12, written out: each refused by the decoder and by both schema validators."""
    doc = json.loads((ROOT / "examples" / "teamflow.deal.opened" / "valid.json").read_text("utf-8"))
    (doc if field in ENVELOPE_PATTERNS else doc["data"])[field] = value
    assert _verdicts(doc) == (False, False, False)


def test_the_valid_examples_are_accepted_everywhere():
    for doc in EXAMPLES:
        assert _verdicts(doc) == (True, True, True), doc
