"""CloudEvents HTTP binding, pure: a request's content type, headers and body -> the events it carries.

Modes (chosen by `Content-Type`, parameters such as `; charset=utf-8` ignored):

| content type | mode | body |
|---|---|---|
| `application/cloudevents+json` | structured | one CloudEvent |
| `application/cloudevents-batch+json` | batch | a JSON array of CloudEvents |
| `application/x-ndjson` | NDJSON (bulk loads) | one CloudEvent per line, blank lines skipped |
| `application/json` with a `ce-specversion` header | binary | the `data` object; attributes in `ce-*` headers |

Each item is `(value, headers)` in the shape `schemas.decode` reads: binary-mode `ce-` HTTP
headers become Kafka-style `ce_` headers (values percent-decoded, as the HTTP binding requires;
values that are not UTF-8 raise `headers.BadHeader`, checked by the HTTP layer before splitting)
plus `content-type`. Anything else is `UnsupportedMediaType` (415); a batch body that is not a
JSON array is one malformed item, so it reaches the dead-letter topic like any refused input.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping
import msgspec

from .headers import ce_value

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
NDJSON = "application/x-ndjson"
JSON = "application/json"
ACCEPTED_TYPES = (STRUCTURED, BATCH, NDJSON, f"{JSON} (binary mode, with ce-* headers)")

_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])

Headers = list[tuple[str, bytes]]


class UnsupportedMediaType(ValueError):
    """The request's content type is not one of the CloudEvents modes we read (415)."""


@dataclass(frozen=True)
class Item:
    value: bytes
    headers: Headers | None = None
    problem: str | None = None  # set when the body could not even be split into events


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def binary_headers(headers: Iterable[tuple[str, str]], content_type: str | None) -> Headers:
    out: Headers = []
    for name, value in headers:
        low = name.lower()
        if low.startswith("ce-"):
            out.append(("ce_" + low[3:], ce_value(name, value)))  # checked first: see headers.py
    if content_type:
        out.append(("content-type", content_type.encode("utf-8")))
    return out


def mode_of(content_type: str | None, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """'structured', 'batch', 'ndjson' or 'binary'; raises UnsupportedMediaType."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    has_ce = any(k.lower() == "ce-specversion" for k, _ in items)
    mt = media_type(content_type)
    if has_ce and mt not in (STRUCTURED, BATCH, NDJSON):
        return "binary"
    if mt == STRUCTURED:
        return "structured"
    if mt == BATCH:
        return "batch"
    if mt == NDJSON:
        return "ndjson"
    raise UnsupportedMediaType(
        f"content type {content_type or '(none)'!r} is not a CloudEvents mode; send one of: "
        + ", ".join(ACCEPTED_TYPES))


def split(mode: str, body: bytes, headers: Iterable[tuple[str, str]] = (), content_type: str | None = None) -> list[Item]:
    """The events of a request body, in order."""
    if mode == "structured":
        return [Item(body)]
    if mode == "binary":
        return [Item(body, binary_headers(headers, content_type))]
    if mode == "ndjson":
        return [Item(line.strip()) for line in body.split(b"\n") if line.strip()]
    if mode == "batch":
        try:
            return [Item(bytes(raw)) for raw in _ARRAY.decode(body)]
        except msgspec.DecodeError as exc:
            return [Item(body, problem=f"batch: expected a JSON array of CloudEvents: {exc}")]
    raise ValueError(f"unknown mode {mode!r}")
