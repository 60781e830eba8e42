"""Sources as the token scope sees them, pure: refuse the ones whose text hides another path, and
read an event's `source` before validating it.

A token owns sources by prefix (`//acc/a/*`, see tokens.py). A prefix check on text is only sound
when the text is canonical: `//acc/a/../b` starts with `//acc/a/` yet names `//acc/b` for anything
that resolves it (RFC 3986 section 5.2.4), and `%2F`, `%2E`, a backslash (read as `/` by WHATWG URL
parsers) or look-alike characters do the same in other readers. So a source is refused, with a
reason, when it holds (after the HTTP binding's percent-decoding of `ce-source`):

- a dot segment: a path segment that is `.` or `..`;
- a percent-encoded `/`, `.`, `\\` or `%` (`%2F`, `%2E`, `%5C`, `%25`, any case);
- a backslash, or `//` anywhere but at the start (`//host/...`) or right after `scheme:`;
- a control, format (bidi, zero-width) or whitespace character, or a character whose NFKC form
  contains `/`, `.`, `\\` or `%` (the full-width solidus and the like), or a known look-alike of
  them (division slash U+2215, fraction slash U+2044, ...).

Refusing instead of normalising keeps one spelling per source, so counts per source, the store's
`(source, id)` identity and the dead letters never split one producer in two.
"""
from __future__ import annotations

import re
import unicodedata

import msgspec

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ENCODED = re.compile(r"%(2[fFeE5]|5[cC])")
_SEPARATORS = set("/.\\%")
# look-alikes NFKC keeps as they are (Unicode confusables of "/", "\\" and ".")
_LOOK_ALIKES = set("\u2215\u2044\u29f8\u29f5\u29f9\u2216\u2027\u00b7\u2219\u30fb")


def source_problem(source: str) -> str | None:
    """Why this source cannot be scoped safely, or None when it is canonical."""
    if "\\" in source:
        return "a backslash is not allowed (some URL readers take it for '/')"
    if _ENCODED.search(source):
        return "percent-encoded '/', '.', '\\' or '%' is not allowed (write the character itself, or another name)"
    for c in source:
        cat = unicodedata.category(c)
        if cat[0] in "CZ":
            return f"character U+{ord(c):04X} ({cat}) is not allowed"
        if not c.isascii() and (c in _LOOK_ALIKES or _SEPARATORS & set(unicodedata.normalize("NFKC", c))):
            return f"character U+{ord(c):04X} reads as a separator ('/', '.', '\\' or '%') and is not allowed"
    rest = source
    m = _SCHEME.match(rest)
    if m:
        rest = rest[m.end():]
    if rest.startswith("//"):
        rest = rest[2:]
    path = rest  # query and fragment included: a prefix check reads them as text, so do some resolvers
    if "//" in path:
        return "an empty path segment ('//') is not allowed after the start"
    if any(seg in (".", "..") for seg in path.split("/")):
        return "dot segments ('.' or '..') are not allowed"
    return None


class _Peek(msgspec.Struct):
    source: object = None  # any JSON value: only a string is a claim to check


_PEEK = msgspec.json.Decoder(_Peek)


def peek_source(value: bytes, headers: list[tuple[str, bytes]] | None) -> str | None:
    """The `source` an event claims, read without validating it; None when there is none to read.

    Binary mode: the `ce_source` header (the last one, as `schemas.decode` reads headers into a dict).
    Structured: the top-level `source` string (msgspec keeps the last of duplicate keys, like the
    decoder). The caller re-checks the decoder's own `source` afterwards, so a disagreement here can
    only refuse more, never let a foreign source through.
    """
    if headers is not None:
        found = None
        for name, raw in headers:
            if name == "ce_source":
                found = raw
        if found is None:
            return None
        try:
            return found.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        claimed = _PEEK.decode(value).source
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return claimed if isinstance(claimed, str) else None
