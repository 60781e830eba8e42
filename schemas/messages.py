"""Turn msgspec validation errors into contract-level reasons.

A reason names the event type, the field path and what was expected, e.g.
``teamflow.help.given data.minutes: expected integer 0..1440, got "ten"``.
Only used on the error path, so clarity beats speed here.
"""

import re
from functools import lru_cache
from typing import Any

import msgspec
from msgspec import inspect as mi

from .text import ID_PATTERN, ID_WORDS, WORDS, escape_controls, flaw

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]*)`")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`")
_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_MAX_SHOWN = 60
_PATTERN_WORDS = WORDS


def render(value: Any) -> str:
    """A short JSON rendering of a received value, for reasons; control characters are shown escaped."""
    try:
        text = msgspec.json.encode(value).decode()
    except Exception:  # pragma: no cover - generic JSON values always encode
        text = repr(value)
    text = escape_controls(text)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
        if isinstance(value, str):
            text += f" ({len(value)} characters)"
        elif isinstance(value, list):
            text += f" ({len(value)} items)"
    return text


def _unwrap(t: mi.Type) -> mi.Type:
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        options = [o for o in t.types if not isinstance(o, mi.NoneType)]
        if len(options) == 1:
            return _unwrap(options[0])
    return t


def _number(x: float) -> str:
    return f"{x:g}".replace("e+", "e")


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{_number(low)}..{_number(high)}"
    if low is not None:
        return f">= {_number(low)}"
    if high is not None:
        return f"<= {_number(high)}"
    return ""


def _id_like(t: mi.Type) -> bool:
    while isinstance(t, (mi.Metadata, mi.UnionType)):
        if isinstance(t, mi.Metadata) and (t.extra_json_schema or {}).get("pattern") == ID_PATTERN:
            return True
        if isinstance(t, mi.UnionType):
            options = [o for o in t.types if not isinstance(o, mi.NoneType)]
            if len(options) != 1:
                return False
            t = options[0]
        else:
            t = t.type
    return False


def describe(t: mi.Type) -> str:
    """What a value of this msgspec type must look like, in words."""
    if _id_like(t):
        inner = _unwrap(t)
        return f"non-empty string of at most {inner.max_length} characters, {ID_WORDS}"
    t = _unwrap(t)
    if isinstance(t, mi.StrType):
        if t.pattern:
            words = _PATTERN_WORDS.get(t.pattern, f"string matching {t.pattern}")
            return words + (f" of at most {t.max_length} characters" if t.max_length else "")
        if t.min_length == 1 and t.max_length:
            return f"non-empty string of at most {t.max_length} characters"
        if t.max_length:
            return f"string of at most {t.max_length} characters"
        return "non-empty string" if t.min_length == 1 else "string"
    if isinstance(t, mi.IntType):
        return " ".join(filter(None, ["integer", _range(t.ge, t.le)]))
    if isinstance(t, mi.FloatType):
        return " ".join(filter(None, ["number", _range(t.ge, t.le)]))
    if isinstance(t, mi.BoolType):
        return "boolean (true or false)"
    if isinstance(t, mi.LiteralType):
        if len(t.values) == 1:
            return render(t.values[0])
        return "one of " + ", ".join(str(v) for v in t.values)
    if isinstance(t, mi.DateType):
        return "date YYYY-MM-DD"
    if isinstance(t, mi.DateTimeType):
        return "RFC 3339 date-time with offset or Z, e.g. 2024-05-01T09:30:00Z"
    if isinstance(t, (mi.VarTupleType, mi.ListType)):
        n = _range(t.min_length, t.max_length).replace(">= ", "at least ").replace("<= ", "at most ")
        return f"array of {n + ' ' if n else ''}items, each {describe(t.item_type)}"
    if isinstance(t, mi.StructType):
        return "object with fields " + ", ".join(f.encode_name for f in t.fields)
    if isinstance(t, mi.RawType):
        return "JSON object"
    if isinstance(t, mi.UnionType):
        return " or ".join(describe(o) for o in t.types)
    if isinstance(t, mi.NoneType):
        return "null"
    return type(t).__name__.removesuffix("Type").lower()


def _strict(t: mi.Type) -> bool:
    """A pattern-bound string, an enumeration or a date: a control character or stray space may be why it fails."""
    t = _unwrap(t)
    if isinstance(t, (mi.LiteralType, mi.DateTimeType, mi.DateType)):
        return True
    return isinstance(t, mi.StrType) and t.pattern is not None


@lru_cache(maxsize=None)
def _type_info(cls: type) -> mi.Type:
    return mi.type_info(cls)


def _walk(t: mi.Type, tokens: list) -> mi.Type | None:
    for token in tokens:
        t = _unwrap(t)
        if isinstance(token, int):
            if not isinstance(t, (mi.VarTupleType, mi.ListType)):
                return None
            t = t.item_type
        else:
            if not isinstance(t, mi.StructType):
                return None
            match = [f for f in t.fields if f.encode_name == token]
            if not match:
                return None
            t = match[0].type
    return t


def _lookup(value: Any, tokens: list) -> tuple[bool, Any]:
    for token in tokens:
        try:
            value = value[token]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, value


def _tokens(path: str) -> list:
    return [name if index == "" else int(index) for name, index in _TOKEN.findall(path)]


def _join(prefix: str, tokens: list) -> str:
    out = prefix
    for token in tokens:
        if isinstance(token, int):
            out += f"[{token}]"
        else:
            out = f"{out}.{token}" if out else token
    return out


def explain(error: msgspec.ValidationError, cls: type, value: Any, prefix: str, what: str = "field") -> tuple[str, list]:
    """Explain ``error`` (raised decoding into ``cls``) given the generically-decoded ``value``.

    Returns (text without the event type, tokens of the failing path relative to ``cls``).
    ``prefix`` is prepended to paths ("data" for data, "" for envelope attributes).
    """
    message = str(error)
    at = _AT.search(message)
    tokens = _tokens(at.group("path")) if at else []
    head = message[: at.start()] if at else message
    root = _type_info(cls)

    missing = _MISSING.match(head)
    if missing:
        full = tokens + [missing.group("name")]
        expected = _walk(root, full)
        hint = f" (expected {describe(expected)})" if expected is not None else ""
        return f"{_join(prefix, full)}: required {what} missing{hint}", full

    unknown = _UNKNOWN.match(head)
    if unknown:
        full = tokens + [unknown.group("name")]
        parent = _unwrap(_walk(root, tokens)) if _walk(root, tokens) is not None else None
        allowed = ", ".join(f.encode_name for f in parent.fields) if isinstance(parent, mi.StructType) else ""
        return f"{_join(prefix, full)}: unknown {what}; allowed: {allowed}", full

    expected = _walk(root, tokens)
    found, received = _lookup(value, tokens)
    got = f", got {render(received)}" if found else ""
    if found and isinstance(received, str) and _strict(expected) and flaw(received):
        got += f" ({flaw(received)})"  # the specific reason an id, code or enum value is refused
    if expected is None:  # pragma: no cover - msgspec paths always map onto the struct
        return f"{_join(prefix, tokens) or prefix or 'event'}: {head}", tokens
    return f"{_join(prefix, tokens) or prefix or 'event'}: expected {describe(expected)}{got}", tokens
