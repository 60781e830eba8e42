"""Whole-value patterns and control-character rules of the contract, and why a string breaks them.

Every pattern here is written once and used by both sides: the Python decoder (msgspec ``Meta``
patterns and ``re``) and the exported JSON Schemas (ECMA-262 regular expressions). So each one
must mean the same in both dialects:

* It ends in ``END``. In ECMA-262 ``$`` is the end of the input; in Python (and so in msgspec and
  the ``jsonschema`` package) ``$`` also matches just before a final ``"\\n"``, which let
  ``"USD\\n"`` pass ``^[A-Z]{3}$``. ``(?!\\n)`` after ``$`` removes that one extra position, so the
  pattern matches the whole value in both.
* No ``\\s``, ``\\d`` or ``\\w``: they mean different sets in the two dialects (Python's are
  Unicode-aware, ECMA's ``\\d`` is ASCII and its ``\\s`` includes U+FEFF). Character sets are
  spelled out with ``\\uXXXX`` escapes, which both read alike.

Control characters: Unicode category Cc (C0, DEL, C1), the line and paragraph separators
(U+2028, U+2029) and the format characters of category Cf in the Basic Multilingual Plane
(soft hyphen, Arabic number signs, zero-width characters, bidi embeddings/overrides/isolates
such as U+202E, word joiner and invisible operators, U+FEFF, interlinear annotation). The
supplementary-plane Cf characters (tag characters U+E0000.., a few script-specific marks) cannot
be written in a pattern that ECMA-262 without the ``u`` flag and Python read alike, so they are
not refused; docs/contract.md says so.
"""

import re
import unicodedata

END = r"$(?!\n)"
"""End of the whole value, in both dialects (see the module docstring)."""

CONTROLS = (
    r"\u0000-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890\u0891\u08E2\u180E"
    r"\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB"
)
"""Refused characters (class body): Cc, U+2028/U+2029 and the BMP Cf characters."""

SPACES = r"\u0020\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000"
"""Unicode category Zs (class body); tab and the line breaks are already in ``CONTROLS``."""

ID_PATTERN = f"^[^{SPACES}{CONTROLS}](?:[^{CONTROLS}]*[^{SPACES}{CONTROLS}])?{END}"
"""Ids, person ids, subjects: no control character, no leading or trailing whitespace."""

SOURCE_PATTERN = f"^[^{SPACES}{CONTROLS}]+{END}"
"""``source``: a URI-reference as far as we check it: no whitespace and no control character."""

CURRENCY_PATTERN = f"^[A-Z]{{3}}{END}"
"""ISO 4217 currency code."""

TYPE_PATTERN = rf"^teamflow\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*{END}"
"""``teamflow.<area>.<verb>``."""

VERSION_DIGITS = "[1-9][0-9]{0,5}"
"""A version number in ``dataschema``: 1..999999, no leading zero."""

DATASCHEMA_PATTERN = f"^[^{SPACES}{CONTROLS}]+/v{VERSION_DIGITS}{END}"
"""``dataschema``: a URI (no whitespace or control character) ending in ``/v<N>``."""

EXTENSION_NAME_PATTERN = f"^[a-z0-9]{{1,20}}{END}"
"""CloudEvents extension attribute names."""

FIRST_YEAR, LAST_YEAR = 1971, 2148
"""Years a time or date may carry: what every store column can hold (ClickHouse's Date reaches
1970-01-01..2149-06-06), with a day to spare for any UTC offset. A year outside would be refused by
the store after the contract accepted it, and a batch the store refuses blocks the fold."""
YEAR = "(?:197[1-9]|19[89][0-9]|20[0-9]{2}|21[0-3][0-9]|214[0-8])"

TIME_PATTERN = (
    "^" + YEAR + "-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.][0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})" + END
)
"""RFC 3339 date-time with an offset or Z (the JSON Schema's form; the decoder parses it with msgspec)."""

ID_WORDS = "without control characters or leading/trailing whitespace"

DATE_PATTERN = f"^{YEAR}-[0-9]{{2}}-[0-9]{{2}}{END}"
"""A calendar date, YYYY-MM-DD, years FIRST_YEAR..LAST_YEAR (the JSON Schema's pattern beside ``format: date``)."""

WORDS = {
    ID_PATTERN: f"non-empty string {ID_WORDS}",
    SOURCE_PATTERN: "non-empty URI-reference without whitespace or control characters",
    CURRENCY_PATTERN: "3 uppercase letters (ISO 4217 currency code)",
    TYPE_PATTERN: "teamflow.<area>.<verb>",
    DATASCHEMA_PATTERN: "a URI without whitespace or control characters ending in /v<N>",
}
"""Each pattern in words, for reasons."""

_ID = re.compile(ID_PATTERN)
_SOURCE = re.compile(SOURCE_PATTERN)
_CONTROL = re.compile(f"[{CONTROLS}]")
_SPACE = re.compile(f"[{SPACES}]")
_NAMES = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x00": "NUL", "\x0b": "vertical tab",
          "\x0c": "form feed", "\x1b": "escape", "\x7f": "delete", "\x85": "next line"}


def is_id(value: str) -> bool:
    """True when ``value`` (non-empty) follows ``ID_PATTERN``; printable ASCII is answered without a regex."""
    if value.isascii() and value.isprintable():
        return value[:1] != " " and value[-1:] != " " and value != ""
    return _ID.match(value) is not None


def is_source(value: str) -> bool:
    """True when ``value`` follows ``SOURCE_PATTERN``."""
    return _SOURCE.match(value) is not None


def character(ch: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named for a reason, never shown raw."""
    name = _NAMES.get(ch) or unicodedata.name(ch, "").lower() or unicodedata.category(ch)
    return f"U+{ord(ch):04X} ({name})"


def flaw(value: str) -> str:
    """What makes ``value`` break the control-character or whitespace rules, or ``""`` when nothing does.

    Names the first control character (and where it is), else a leading, trailing or inner
    whitespace character. Which of these a field allows is its pattern's business; this only
    explains.
    """
    bad = _CONTROL.search(value)
    if bad:
        return f"control character {character(bad.group())} at position {bad.start()}"
    space = _SPACE.search(value)
    if space is None:
        return ""
    if space.start() == 0:
        return f"leading whitespace {character(space.group())}"
    if _SPACE.match(value[-1]):
        return f"trailing whitespace {character(value[-1])}"
    return f"whitespace {character(space.group())} at position {space.start()}"


def escape_controls(text: str) -> str:
    """``text`` with every refused character written as ``\\uXXXX``, so a reason never carries one raw."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
