"""Header checks of the ingest API, pure: which header bytes a request may carry, with a reason when not.

aiohttp decodes header values as UTF-8 with `surrogateescape`, so bytes that are not UTF-8 reach
us as lone surrogates, and encoding them again (hashing a token, copying a `ce-*` header to Kafka)
raised `UnicodeEncodeError`: a 500 with a traceback. These checks run first and turn every such
header into a 400 that names the header and what is allowed (never the value: it may be a secret
or personal data).

- `Authorization`: printable ASCII only (RFC 6750 `b64token` is ASCII); checked before the token.
- `Content-Type`: printable ASCII and tab (RFC 9110 media types are ASCII tokens).
- `ce-*` (binary mode, CloudEvents HTTP binding 3.1.3.2): the value must be UTF-8 both as sent and
  after percent-decoding; control characters are refused (the binding percent-encodes them).
"""
from __future__ import annotations

from typing import Iterable
from urllib.parse import unquote_to_bytes


class BadHeader(ValueError):
    """A header that cannot be read; the message is the 400's reason."""


def _printable_ascii(value: str, tab: bool = False) -> bool:
    return all(" " <= c <= "~" or (tab and c == "\t") for c in value)


def check_authorization(value: str | None) -> None:
    if value is not None and not _printable_ascii(value):
        raise BadHeader("header Authorization: only printable ASCII is allowed "
                        "(send 'Authorization: Bearer <token>')")


def check_content_type(value: str | None) -> None:
    if value is not None and not _printable_ascii(value, tab=True):
        raise BadHeader("header Content-Type: only printable ASCII is allowed (a media type such as "
                        "application/cloudevents+json)")


def ce_value(name: str, value: str) -> bytes:
    """The UTF-8 bytes of a binary-mode `ce-*` header value, percent-decoded; raises BadHeader."""
    try:
        raw = value.encode("utf-8")  # lone surrogates (bytes that were not UTF-8) fail here
    except UnicodeEncodeError:
        raise BadHeader(f"header {name}: not valid UTF-8") from None
    decoded = unquote_to_bytes(raw)
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise BadHeader(f"header {name}: not valid UTF-8 after percent-decoding") from None
    if any(c < " " or c == "\x7f" for c in text):
        raise BadHeader(f"header {name}: control characters are not allowed")
    return decoded


def check_request_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Content-Type and every `ce-*` header (Authorization is checked on its own, before the token)."""
    for name, value in headers:
        low = name.lower()
        if low == "content-type":
            check_content_type(value)
        elif low.startswith("ce-"):
            ce_value(name, value)
