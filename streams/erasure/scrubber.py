"""Erasing a person from raw bytes: Kafka record values and headers, dead-letter payloads and reasons.

Pure (no I/O). A `Scrubber` knows the erased person's clear id (with its token) and display names
for the length of one `teamflow erase` run, never longer. It replaces:
- every JSON string literal whose decoded text is the id (by the token) or a name (by "erased");
- inside any other text (a literal's decoded text, or bytes that are not JSON at all: a refused
  payload), each occurrence of the id or a name standing as a whole word (`person-0002` inside
  `person-00021` is another person's id, and left alone).
A literal is decoded before it is compared, so a JSON escape (`"\\u0070erson-0002"`) does not hide
the id; everything outside the literals that changed is kept byte for byte, so a record that does
not mention the person comes back unchanged (`None`), and one that does differs only there.
"""
from __future__ import annotations

import json
import re
from typing import Iterable, Mapping, Sequence

from projections.erasure import ERASED_NAME, NAME_FIELDS, PERSON_FIELDS

_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NAME_KEYS = {"display_name"} | {f for fields in NAME_FIELDS.values() for f in fields}
_PERSON_KEYS = {f for fields in PERSON_FIELDS.values() for f in fields}

Headers = Sequence[tuple[str, bytes]]


class Scrubber:
    def __init__(self, ids: Mapping[str, str], names: Iterable[str] = ()) -> None:
        """`ids`: clear person id -> erasure token; `names`: their display names."""
        self.replacements: dict[str, str] = {n: ERASED_NAME for n in names if n}
        self.replacements.update({i: t for i, t in ids.items() if i})
        words = sorted(self.replacements, key=len, reverse=True)  # the longer of two overlapping first
        self._words = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None
        self._needles = [w.encode("utf-8") for w in words]

    def mentions(self, raw: bytes | None) -> bool:
        """Cheap first look: could these bytes name the person (a needle, or a JSON escape)?"""
        return bool(raw) and (b"\\u" in raw or any(n in raw for n in self._needles))

    def text(self, text: str) -> str:
        """Text with every whole-word occurrence of the id or a name replaced."""
        if self._words is None:
            return text
        exact = self.replacements.get(text)
        if exact is not None:
            return exact
        return self._words.sub(lambda m: self.replacements[m.group(0)], text)

    def _literal(self, m: re.Match) -> str:
        literal = m.group(0)
        try:
            decoded = json.loads(literal)
        except ValueError:
            return literal  # not a JSON string after all: the whole-text pass below sees it
        scrubbed = self.text(decoded)
        return literal if scrubbed == decoded else json.dumps(scrubbed, ensure_ascii=False)

    def value(self, raw: bytes | None) -> bytes | None:
        """The bytes without the person, or None when they do not mention them."""
        if not self.mentions(raw):
            return None
        text = raw.decode("utf-8", "surrogateescape")
        out = self.text(_LITERAL.sub(self._literal, text)) if self._words is not None else text
        return None if out == text else out.encode("utf-8", "surrogateescape")

    def headers(self, headers: Headers | None) -> list[tuple[str, bytes]] | None:
        """The headers with scrubbed values, or None when none mentions the person."""
        if not headers:
            return None
        changed, out = False, []
        for k, v in headers:
            new = self.value(v) if v is not None else None
            changed |= new is not None
            out.append((k, v if new is None else new))
        return out if changed else None

    def record(self, key: bytes | None, value: bytes | None, headers: Headers | None):
        """A Kafka record without the person: (key, value, headers), or None when it does not mention them."""
        k, v, h = self.value(key), self.value(value), self.headers(headers)
        if k is None and v is None and h is None:
            return None
        return (key if k is None else k, value if v is None else v,
                list(headers or []) if h is None else h)


def names_in(raw: bytes | None, person: str) -> set[str]:
    """Display names a record gives the person: the name fields of a JSON object (the event's `data`,
    or the record itself) in which a person field holds their id. Anything unparsable: none."""
    if not raw or person.encode("utf-8") not in raw and b"\\u" not in raw:
        return set()
    try:
        doc = json.loads(raw)
    except ValueError:
        return set()
    found: set[str] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(node.get(k) == person for k in _PERSON_KEYS):
                found.update(v for k, v in node.items() if k in _NAME_KEYS and isinstance(v, str) and v)
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return found
