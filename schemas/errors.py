"""Rejections: what ``decode`` returns instead of an event, with a machine code and a readable reason."""

import msgspec

TOO_LARGE = "too_large"
"""The event (or binary-mode data) is larger than MAX_EVENT_BYTES; not parsed."""
TOO_DEEP = "too_deep"
"""JSON nesting deeper than MAX_DEPTH; not parsed."""
MALFORMED_JSON = "malformed_json"
"""Not valid JSON (or not UTF-8)."""
INVALID_ENVELOPE = "invalid_envelope"
"""CloudEvents attributes missing or wrong, bad extension attribute, data not an object, bad headers."""
UNKNOWN_TYPE = "unknown_type"
"""``type`` is not in the catalog."""
UNKNOWN_VERSION = "unknown_version"
"""The version in ``dataschema`` is not known for this type."""
INVALID_DATA = "invalid_data"
"""``data`` does not match the schema of its type and version."""
INTERNAL_ERROR = "internal_error"
"""A bug in the decoder; never expected. Report it with the raw bytes."""

CODES = (
    TOO_LARGE,
    TOO_DEEP,
    MALFORMED_JSON,
    INVALID_ENVELOPE,
    UNKNOWN_TYPE,
    UNKNOWN_VERSION,
    INVALID_DATA,
    INTERNAL_ERROR,
)


class Rejection(msgspec.Struct, frozen=True, kw_only=True):
    """An event that could not be accepted. Send it to the dead-letter topic with ``code`` and ``reason``."""

    code: str
    """Short machine code, one of ``CODES``."""
    reason: str
    """Human-readable: event type, field path, what was expected and what arrived."""
    source: str | None = None
    id: str | None = None
    type: str | None = None
    raw: bytes = b""
    """The bytes as received (the data only, in binary mode)."""


class InvalidEvent(ValueError):
    """Raised by ``encode_event`` when the event it would produce would be rejected."""

    def __init__(self, rejection: Rejection):
        super().__init__(f"{rejection.code}: {rejection.reason}")
        self.rejection = rejection
