"""Generated events for the contract's fuzz test: valid ones, and malformed ones that must each be refused.

Pure (no I/O beyond reading the committed examples). Every event starts from a type's valid
example with a unique ``id``; a malformed one then gets exactly one defect: a string around its
pattern (whitespace or control/format characters appended, prepended or inserted, the classic
trailing ``"\\n"``), a missing or unknown field, a wrong JSON type, an unknown type or version, an
empty or over-long text, an impossible date, truncated JSON, a bad extension name, or a size
over the limit. Whether each event is valid is checked twice, independently, before anything is
sent: by ``schemas.decode`` and by ``jsonschema_rs`` (ECMA-262 regular expressions) on the
committed JSON Schemas (``check``).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jsonschema_rs
from msgspec import inspect as mi

from schemas import EVENT_TYPES, Event, decode, version_from_dataschema

ROOT = Path(__file__).resolve().parents[3] / "schemas"

CONTROLS = ["\n", "\r", "\r\n", "\t", "\x00", "\x0b", "\x1b", "\x7f", "\x85", "\u00ad", "\u061c", "\u200b",
            "\u200e", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\ufeff"]
"""Refused anywhere in ids, sources, subjects, codes and enumerations."""
SPACES = [" ", "\u00a0", "\u3000", "\u2009"]
"""Refused at either end of an id or subject, anywhere in a source."""


@dataclass
class Generated:
    value: bytes
    headers: list[tuple[str, bytes]] | None = None
    valid: bool = True
    defect: str = ""
    doc: dict = field(default_factory=dict)


@lru_cache(maxsize=None)
def _examples() -> tuple[str, ...]:
    return tuple(p.read_text("utf-8") for p in sorted((ROOT / "examples").glob("*/valid*.json")))


@lru_cache(maxsize=None)
def _validator(type_name: str, version: int):
    schema = json.loads((ROOT / "json" / f"{type_name}.v{version}.json").read_text("utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _unwrap(t: mi.Type) -> mi.Type:
    while isinstance(t, (mi.Metadata, mi.UnionType)):
        t = t.type if isinstance(t, mi.Metadata) else next(o for o in t.types if not isinstance(o, mi.NoneType))
    return t


def _kind(cls: type, path: tuple) -> str:
    """'strict' (pattern or enumeration), 'text', 'date' or 'other' for the string at ``path`` of data."""
    t = mi.type_info(cls)
    for token in path:
        t = _unwrap(t)
        t = t.item_type if isinstance(token, int) else next(f.type for f in t.fields if f.encode_name == token)
    t = _unwrap(t)
    if isinstance(t, mi.LiteralType) or (isinstance(t, mi.StrType) and t.pattern):
        return "strict"
    if isinstance(t, mi.DateType):
        return "date"
    return "text" if isinstance(t, mi.StrType) else "other"


def _strings(value, path=()):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, path + (i,))


def _set(doc: dict, path: tuple, value) -> None:
    for token in path[:-1]:
        doc = doc[token]
    doc[path[-1]] = value


def _get(doc: dict, path: tuple):
    for token in path:
        doc = doc[token]
    return doc


def _spoil_strict(rng: random.Random, value: str, spaces_inside: bool) -> tuple[str, str]:
    """``value`` with a control character anywhere, or whitespace where the rule refuses it."""
    where = rng.choice(["end", "start", "inside"])
    bad = rng.choice(CONTROLS + SPACES if where != "inside" or spaces_inside else CONTROLS)
    if where == "end":
        return value + bad, f"trailing {bad!r}"
    if where == "start":
        return bad + value, f"leading {bad!r}"
    k = rng.randrange(1, max(2, len(value)))
    return value[:k] + bad + value[k:], f"inner {bad!r}"


def make(rng: random.Random, source: str, ident: str, malformed: bool, *, source_defects: bool = True,
         binary: bool = False) -> Generated:
    """One event of a random type with ``(source, id)``; with exactly one defect when ``malformed``."""
    doc = json.loads(rng.choice(_examples()))
    doc["source"], doc["id"] = source, ident
    version = version_from_dataschema(doc.get("dataschema"))
    cls = EVENT_TYPES[doc["type"]][version]
    defect = ""
    if malformed:
        doc, defect = _defect(rng, doc, cls, source_defects=source_defects, binary=binary)
    if binary:
        headers = [(f"ce_{k}", str(v).encode("utf-8")) for k, v in doc.items() if k not in ("data", "datacontenttype")]
        return Generated(json.dumps(doc["data"], ensure_ascii=False).encode(), headers, not malformed, defect, doc)
    value = json.dumps(doc, ensure_ascii=False).encode()
    if defect == "truncated JSON":
        end = value.index(ident.encode()) + len(ident) + 2
        value = value[: rng.randrange(end, len(value) - 1)]
    elif defect == "too large":
        value = value[:-1] + b', "pad": "' + b"x" * (70 * 1024) + b'"}'
    return Generated(value, None, not malformed, defect, doc)


def _defect(rng: random.Random, doc: dict, cls: type, *, source_defects: bool, binary: bool) -> tuple[dict, str]:
    if binary:  # binary-mode data is shared by many events: a defect must show in the (unique) attributes
        name = rng.choice(["id", "source"] if source_defects else ["id"])
        doc[name], what = _spoil_strict(rng, doc[name], spaces_inside=name == "source")
        return doc, f"{name}: {what}"
    kinds = ["data string"] * 6 + ["id", "subject", "type", "time", "dataschema", "missing field",
                                   "unknown field", "wrong JSON type", "unknown type", "unknown version",
                                   "truncated JSON", "extension name", "datacontenttype"]
    if source_defects:
        kinds += ["source"] * 2
    kind = rng.choice(kinds)
    if rng.random() < 0.004:
        kind = "too large"
    if kind in ("id", "subject", "source"):
        doc[kind], what = _spoil_strict(rng, doc.get(kind, "deal-1"), spaces_inside=kind == "source")
        return doc, f"{kind}: {what}"
    if kind in ("type", "time", "dataschema"):
        bad = rng.choice(CONTROLS + SPACES)
        value = doc.get(kind, "https://schemas.teamflow.dev/x/v1")
        doc[kind] = value + bad if rng.random() < 0.7 else bad + value
        return doc, f"{kind}: affix {bad!r}"
    if kind == "data string":
        paths = list(_strings(doc["data"]))
        path = rng.choice(paths)
        what = _kind(cls, path)
        if what == "strict":
            value, how = _spoil_strict(rng, _get(doc["data"], path), spaces_inside=False)
        elif what == "date":
            value, how = rng.choice([("2025-02-30", "impossible date"), ("2025-09-30\n", "date + LF"),
                                     ("30/09/2025", "date format")])
        else:
            value, how = rng.choice([("", "empty text"), ("x" * 2001, "text too long")])
        _set(doc["data"], path, value)
        return doc, f"data.{'.'.join(map(str, path))}: {how}"
    if kind == "missing field":
        required = [f.encode_name for f in mi.type_info(cls).fields if f.required]
        doc["data"].pop(rng.choice(required))
        return doc, kind
    if kind == "unknown field":
        doc["data"]["unexpected_" + rng.choice("abc")] = "x"
        return doc, kind
    if kind == "wrong JSON type":
        key = rng.choice(list(doc["data"]))
        doc["data"][key] = rng.choice([[], {"x": 1}]) if not isinstance(doc["data"][key], (list, dict)) else 7
        return doc, kind
    if kind == "unknown type":
        doc["type"] = doc["type"] + rng.choice([".v1", "s", "_x"])
        return doc, kind
    if kind == "unknown version":
        doc["dataschema"] = doc.get("dataschema", "https://schemas.teamflow.dev/x/v1").rpartition("/v")[0] + "/v9"
        return doc, kind
    if kind == "extension name":
        doc[rng.choice(["Trace-Id", "trace_id", "trace\n", "tr\u202eace", "a" * 21])] = "x"
        return doc, kind
    if kind == "datacontenttype":
        doc["datacontenttype"] = rng.choice(["text/json", "application/json\n", " application/json"])
        return doc, kind
    return doc, kind  # truncated JSON / too large: applied to the bytes in make()


def check(g: Generated) -> str | None:
    """Why ``g`` is not what it claims (valid or malformed) by the decoder or the JSON Schema; None if it is."""
    decoded = decode(g.value, g.headers)
    if isinstance(decoded, Event) != g.valid:
        return f"decoder says {'valid' if isinstance(decoded, Event) else decoded.reason}: {g.defect}"
    if g.defect in ("truncated JSON", "too large"):
        return None  # not JSON / over the size limit: the schema has nothing to say
    type_name, versions = g.doc.get("type"), EVENT_TYPES.get(g.doc.get("type"), {})
    schema_ok = any(_validator(type_name, v).is_valid(g.doc) for v in versions)
    if schema_ok != g.valid:
        return f"JSON Schema says {'valid' if schema_ok else 'invalid'}: {g.defect}"
    return None
