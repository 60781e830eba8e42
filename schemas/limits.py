"""Size and shape limits of the event contract (one place, referenced by code and docs)."""

MAX_EVENT_BYTES = 64 * 1024
"""Whole event (structured mode) or data payload (binary mode); checked before parsing."""

MAX_DEPTH = 8
"""Maximum nesting depth of JSON objects/arrays, counting the envelope object as 1."""

MAX_ATTRIBUTE_CHARS = 256
"""CloudEvents attributes id, source, subject, dataschema."""

MAX_ID_CHARS = 128
"""Identifiers and person ids inside data."""

MAX_NAME_CHARS = 256
"""Display names."""

MAX_TEXT_CHARS = 2000
"""Free text: title, topic, description, target, reason, observed, lessons."""

MAX_LIST_ITEMS = 50
"""lessons, criteria."""

MAX_AMOUNT = 1e15
"""Upper bound for monetary amounts (guards against inf / absurd values)."""

MAX_MINUTES = 1440
"""help.given minutes: one day."""

from .text import EXTENSION_NAME_PATTERN  # noqa: E402,F401  (CloudEvents extension attribute names; whole value)
