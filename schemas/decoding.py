"""``decode``: bytes (+ Kafka headers) -> ``Event`` or ``Rejection``. Never raises.

Fast path: one typed msgspec decode of the envelope (``data`` kept raw), one typed decode of
``data`` into the struct of its type/version, upcast if older. Anything unusual (extension
attributes, any error) takes the slow path, which re-parses generically to explain the error.
"""

import re
from datetime import timezone
from difflib import get_close_matches
from typing import Any, Iterable

import msgspec

from . import errors as E
from . import ids
from .catalog import CURRENT_VERSIONS, EVENT_TYPES
from .envelope import (
    CONTENT_TYPE,
    ENVELOPE_ATTRIBUTES,
    Event,
    ExtensionValue,
    WireEnvelope,
    is_extension_name,
    is_id,
    is_source,
    version_from_dataschema,
)
from .errors import Rejection
from .limits import MAX_DEPTH, MAX_EVENT_BYTES, MAX_ID_CHARS
from .messages import explain, render
from .text import DATASCHEMA_PATTERN, FIRST_YEAR, ID_PATTERN, ID_WORDS, LAST_YEAR, SOURCE_PATTERN, WORDS, flaw
from .upcasters import upcast

Headers = Iterable[tuple[str | bytes, bytes | str | None]]

_UTC = timezone.utc
_ENVELOPE = msgspec.json.Decoder(WireEnvelope)
_RAW_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_EXTENSION_VALUE = msgspec.json.Decoder(ExtensionValue)
_ANY = msgspec.json.Decoder()
_SINGLE_VALUE = msgspec.json.Decoder(msgspec.Raw)
_DATA: dict[str, dict[int, msgspec.json.Decoder]] = {
    name: {v: msgspec.json.Decoder(cls) for v, cls in versions.items()} for name, versions in EVENT_TYPES.items()
}
_CURRENT = dict(CURRENT_VERSIONS)
_ID_PLANS: dict[str, dict[int, ids.Plan]] = {
    name: {v: ids.plan(cls) for v, cls in versions.items()} for name, versions in EVENT_TYPES.items()
}
_FAST_PATH_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
_VERSION_CACHE: dict[str | None, int | None] = {}
_GOOD_SOURCES: set[str] = set()

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_INNERMOST = re.compile(rb"\{[^{}\[\]]*\}|\[[^{}\[\]]*\]")


def nesting_exceeds(value: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests objects/arrays deeper than ``limit`` (C-speed regex passes, no parsing)."""
    if value.count(b"{") + value.count(b"[") <= limit:
        return False
    text = _JSON_STRING.sub(b'""', value)
    for _ in range(limit):
        text, n = _INNERMOST.subn(b"0", text)
        if not n:
            return False
    return b"{" in text or b"[" in text


def decode(value: bytes, headers: Headers | None = None) -> Event | Rejection:
    """Decode and validate one event.

    Structured mode (default): ``value`` is the CloudEvent JSON. Binary mode (Kafka): when
    ``headers`` contain ``ce_specversion``, attributes come from ``ce_*`` headers and ``value``
    is the ``data`` JSON only. Returns an ``Event`` or a ``Rejection``; never raises.
    """
    try:
        if not isinstance(value, bytes):
            if isinstance(value, (bytearray, memoryview)):
                value = bytes(value)
            else:
                return Rejection(
                    code=E.MALFORMED_JSON,
                    reason=f"event: expected bytes, got {type(value).__name__}",
                    raw=value.encode() if isinstance(value, str) else b"",
                )
        if headers:
            return _decode_binary(value, headers)
        return _decode(value, value)
    except Exception as exc:  # the contract: never raise
        return Rejection(
            code=E.INTERNAL_ERROR,
            reason=f"event: internal decoder error ({type(exc).__name__}: {exc}); please report",
            raw=value if isinstance(value, bytes) else b"",
        )


def _decode(value: bytes, raw: bytes, header_extensions: bool = False) -> Event | Rejection:
    size = len(raw)
    if size > MAX_EVENT_BYTES:
        return Rejection(
            code=E.TOO_LARGE, reason=f"event: {size} bytes exceeds the limit of {MAX_EVENT_BYTES} bytes", raw=raw
        )
    # Depth: a successful typed decode implies depth <= 4 (the structs allow no more), and msgspec
    # guards its own recursion, so the explicit depth check runs only on the failure paths.
    extensions: dict[str, ExtensionValue]
    try:
        env = _ENVELOPE.decode(value)
        extensions = {}
    except _FAST_PATH_ERRORS:
        slow = _decode_envelope_slowly(value, raw)
        if isinstance(slow, Rejection):
            return slow
        env, extensions = slow
    source = env.source
    if source not in _GOOD_SOURCES:
        if not is_source(source):
            return _attribute_rejection("source", source, SOURCE_PATTERN, env, raw)
        if len(_GOOD_SOURCES) < 4096:
            _GOOD_SOURCES.add(source)
    ident, subject = env.id, env.subject  # non-empty (min_length); printable ASCII answered without a call
    if not (ident.isascii() and ident.isprintable() and ident[0] != " " and ident[-1] != " ") and not is_id(ident):
        return _attribute_rejection("id", ident, ID_PATTERN, env, raw)
    if subject is not None and not (
        subject.isascii() and subject.isprintable() and subject[0] != " " and subject[-1] != " "
    ) and not is_id(subject):
        return _attribute_rejection("subject", subject, ID_PATTERN, env, raw)

    type_name = env.type
    decoders = _DATA.get(type_name)
    if decoders is None:
        return _reject(E.UNKNOWN_TYPE, _unknown_type_reason(type_name), env, raw)
    ds = env.dataschema
    try:
        version = _VERSION_CACHE[ds]
    except KeyError:
        version = version_from_dataschema(ds)
        if len(_VERSION_CACHE) < 4096:
            _VERSION_CACHE[ds] = version
    if version is None:
        return _reject(
            E.INVALID_ENVELOPE,
            f"{type_name} dataschema: expected {WORDS[DATASCHEMA_PATTERN]}, got {render(ds)}{_why(ds)}",
            env,
            raw,
        )
    decoder = decoders.get(version)
    if decoder is None:
        known = ", ".join(f"v{v}" for v in decoders)
        return _reject(
            E.UNKNOWN_VERSION,
            f"{type_name} dataschema: unknown version v{version} (known: {known}), got {render(ds)}",
            env,
            raw,
        )
    try:
        data = decoder.decode(env.data)
    except _FAST_PATH_ERRORS as exc:
        if nesting_exceeds(value):
            return _reject(E.TOO_DEEP, f"{type_name} data: JSON nesting deeper than {MAX_DEPTH} levels", env, raw)
        return _data_rejection(exc, type_name, version, env, raw)
    bad = ids.first_bad(data, _ID_PLANS[type_name][version])
    if bad is not None:
        path, value = bad
        return _reject(
            E.INVALID_DATA,
            f"{type_name} data.{path}: expected non-empty string of at most {MAX_ID_CHARS} characters, "
            f"{ID_WORDS}, got {render(value)}{_why(value)}",
            env,
            raw,
        )
    time = env.time
    if not FIRST_YEAR <= time.year <= LAST_YEAR:
        return _reject(E.INVALID_ENVELOPE, f"{type_name} time: year {time.year} is outside {FIRST_YEAR}..{LAST_YEAR} "
                       "(the years the store can hold)", env, raw)
    if type_name == _CRITERIA_DEFINED:
        for i, criterion in enumerate(data.criteria):
            if not FIRST_YEAR <= criterion.due.year <= LAST_YEAR:
                return _reject(E.INVALID_DATA, f"{type_name} data.criteria[{i}].due: year {criterion.due.year} is "
                               f"outside {FIRST_YEAR}..{LAST_YEAR} (the years the store can hold)", env, raw)
    if version != _CURRENT[type_name]:
        data = upcast(type_name, version, data)
    if time.tzinfo is not _UTC:
        time = time.astimezone(_UTC)
    return Event(env.id, env.source, type_name, time, env.subject, ds, version, data, extensions)


_CRITERIA_DEFINED = "teamflow.outcome.criteria_defined"
"""The one type with a date in its data (`Criterion.due`); a test keeps this true."""


def _reject(code: str, reason: str, env: WireEnvelope, raw: bytes) -> Rejection:
    if flaw(env.type) and reason.startswith(env.type):  # a reason never carries a raw control character
        reason = render(env.type) + reason[len(env.type):]
    return Rejection(code=code, reason=reason, source=env.source, id=env.id, type=env.type, raw=raw)


def _why(value: str | None) -> str:
    """`` (control character U+000A (line feed) at position 3)`` or ``""``: the specific flaw, if any."""
    text = flaw(value) if isinstance(value, str) else ""
    return f" ({text})" if text else ""


def _attribute_rejection(name: str, value: str, pattern: str, env: WireEnvelope, raw: bytes) -> Rejection:
    return _reject(
        E.INVALID_ENVELOPE, f"{env.type} {name}: expected {WORDS[pattern]}, got {render(value)}{_why(value)}", env, raw
    )


def _unknown_type_reason(type_name: str) -> str:
    hint = ""
    close = get_close_matches(type_name, list(EVENT_TYPES), n=1, cutoff=0.75)
    if close:
        hint = f"; did you mean {close[0]}?"
    if re.search(r"\.v\d+$", type_name):
        hint += " (the version goes in dataschema, not in type)"
    return f"{type_name} type: unknown event type{hint}{_why(type_name)}"


def _data_rejection(
    exc: msgspec.DecodeError, type_name: str, version: int, env: WireEnvelope, raw: bytes
) -> Rejection:
    try:
        generic = _ANY.decode(env.data)
    except (msgspec.DecodeError, UnicodeDecodeError) as bad:  # typed decode stopped before the syntax error
        return _reject(E.MALFORMED_JSON, f"{type_name} data: malformed JSON: {bad}", env, raw)
    if not isinstance(generic, dict):
        return _reject(E.INVALID_ENVELOPE, f"{type_name} data: expected JSON object, got {render(generic)}", env, raw)
    if not isinstance(exc, msgspec.ValidationError):  # pragma: no cover - syntax errors caught above
        return _reject(E.MALFORMED_JSON, f"{type_name} data: {exc}", env, raw)
    cls = EVENT_TYPES[type_name][version]
    text, _ = explain(exc, cls, generic, "data")
    return _reject(E.INVALID_DATA, f"{type_name} {text}", env, raw)


def _decode_envelope_slowly(value: bytes, raw: bytes) -> tuple[WireEnvelope, dict] | Rejection:
    """Separate extension attributes from the envelope, or explain why the envelope is invalid.

    Events with extension attributes pass here (about 4x the cost of the fast path); the generic
    parse used to explain errors only runs when something is actually wrong.
    """
    if nesting_exceeds(value):
        return Rejection(code=E.TOO_DEEP, reason=f"event: JSON nesting deeper than {MAX_DEPTH} levels", raw=raw)
    try:
        fields = _RAW_OBJECT.decode(value)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return _explain_envelope(value, raw)
    extensions: dict[str, ExtensionValue] = {}
    known: list[bytes] = []
    for name, item in fields.items():
        if name in ENVELOPE_ATTRIBUTES:
            known.append(b'"' + name.encode() + b'":' + bytes(item))
        elif not is_extension_name(name):
            return _explain_envelope(value, raw)
        else:
            try:
                extensions[name] = _EXTENSION_VALUE.decode(item)
            except (msgspec.DecodeError, UnicodeDecodeError):
                return _explain_envelope(value, raw)
    try:
        return _ENVELOPE.decode(b"{" + b",".join(known) + b"}"), extensions
    except (msgspec.DecodeError, UnicodeDecodeError):
        return _explain_envelope(value, raw)


def _explain_envelope(value: bytes, raw: bytes) -> Rejection:
    """Why the envelope is invalid: parse generically, then name the first problem."""
    try:
        generic = _ANY.decode(value)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return Rejection(code=E.MALFORMED_JSON, reason=f"event: malformed JSON: {exc}", raw=raw)
    if not isinstance(generic, dict):
        return Rejection(
            code=E.INVALID_ENVELOPE, reason=f"event: expected a JSON object, got {render(generic)}", raw=raw
        )

    def pick(name: str) -> str | None:
        v = generic.get(name)
        return v if isinstance(v, str) else None

    ident: dict[str, Any] = {"source": pick("source"), "id": pick("id"), "type": pick("type"), "raw": raw}
    label = ident["type"] or "event"
    known = {}
    for name, item in generic.items():
        if name in ENVELOPE_ATTRIBUTES:
            known[name] = item
        elif not is_extension_name(name):
            return Rejection(
                code=E.INVALID_ENVELOPE,
                reason=f"{label} {render(name)}: unknown attribute; extension attribute names must match "
                "[a-z0-9]{1,20}",
                **ident,
            )
        elif isinstance(item, (dict, list)) or item is None:
            return Rejection(
                code=E.INVALID_ENVELOPE,
                reason=f"{label} {name}: extension attribute value must be a string, number or boolean, "
                f"got {render(item)}",
                **ident,
            )
    try:
        _ENVELOPE.decode(msgspec.json.encode(known))
    except msgspec.ValidationError as exc:
        text, _ = explain(exc, WireEnvelope, generic, "", what="attribute")
        return Rejection(code=E.INVALID_ENVELOPE, reason=f"{label} {text}", **ident)
    # Reaching here means the fast path failed for a reason the generic view cannot see
    # (e.g. duplicate keys); report it plainly rather than guess.
    return Rejection(code=E.INVALID_ENVELOPE, reason=f"{label}: invalid envelope", **ident)


def _binary_rejection(code: str, what: str, attributes: dict, value: bytes) -> Rejection:
    """A binary-mode refusal, named by the attributes the headers carried."""
    return Rejection(code=code, reason=f"{attributes.get('type', 'event')} {what}", source=attributes.get("source"),
                     id=attributes.get("id"), type=attributes.get("type"), raw=value)


def _decode_binary(value: bytes, headers: Headers) -> Event | Rejection:
    attributes: dict[str, str] = {}
    content_type: str | None = None
    binary = False
    for key, header_value in headers:
        if isinstance(key, (bytes, bytearray)):
            key = key.decode("utf-8", "replace")
        if key == "ce_specversion":
            binary = True
        if not key.startswith("ce_") and key.lower() != "content-type":
            continue
        try:
            text = header_value.decode("utf-8") if isinstance(header_value, (bytes, bytearray)) else header_value
        except UnicodeDecodeError:
            return Rejection(code=E.INVALID_ENVELOPE, reason=f"event header {key}: value is not UTF-8", raw=value)
        if not isinstance(text, str):
            return Rejection(code=E.INVALID_ENVELOPE, reason=f"event header {key}: value missing", raw=value)
        if key.lower() == "content-type":
            content_type = text
            continue
        name = key[3:]
        if name in attributes:
            return Rejection(code=E.INVALID_ENVELOPE, reason=f"event header {key}: appears more than once", raw=value)
        if name in ("data", "data_base64", "datacontenttype"):
            return Rejection(
                code=E.INVALID_ENVELOPE,
                reason=f"event header {key}: not allowed in binary mode (data is the message value; "
                "its media type is the content-type header)",
                raw=value,
            )
        attributes[name] = text
    if not binary:
        return _decode(value, value)
    if content_type is not None and content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        return _binary_rejection(E.INVALID_ENVELOPE,
                                 f"content-type: expected {CONTENT_TYPE}, got {render(content_type)}", attributes, value)
    if len(value) > MAX_EVENT_BYTES:
        return _decode(value, value)  # rejected as too_large before any parsing
    try:  # exactly one JSON value, so the data cannot smuggle extra attributes into the envelope
        _SINGLE_VALUE.decode(value)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return _binary_rejection(E.MALFORMED_JSON, f"data: malformed JSON: {exc}", attributes, value)
    structured = msgspec.json.encode(attributes)[:-1] + b',"data":' + value + b"}"
    result = _decode(structured, value)
    if isinstance(result, Rejection) and result.raw is not value:
        result = msgspec.structs.replace(result, raw=value)
    return result
