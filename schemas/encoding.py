"""``encode_event``: build structured-mode CloudEvent JSON bytes (producers, tests, simulator)."""

from datetime import datetime
from typing import Any, Mapping

import msgspec

from .catalog import CURRENT_VERSIONS, EVENT_TYPES
from .decoding import decode
from .envelope import SPECVERSION, dataschema_uri
from .errors import UNKNOWN_TYPE, UNKNOWN_VERSION, InvalidEvent, Rejection


def encode_event(
    type: str,
    data: Mapping[str, Any] | msgspec.Struct,
    *,
    source: str,
    id: str,
    time: datetime | str,
    subject: str | None = None,
    version: int | None = None,
    extensions: Mapping[str, str | int | float | bool] | None = None,
) -> bytes:
    """Return the structured-mode JSON of one event, validated by ``decode``.

    ``version`` defaults to the type's current version; ``dataschema`` is always set. ``time``
    must be timezone-aware (or an RFC 3339 string with offset). Raises ``InvalidEvent`` (a
    ``ValueError``) carrying the ``Rejection`` if consumers would reject the event.
    """
    if type not in EVENT_TYPES:
        raise InvalidEvent(Rejection(code=UNKNOWN_TYPE, reason=f"{type} type: unknown event type", type=type))
    if version is None:
        version = CURRENT_VERSIONS[type]
    if version not in EVENT_TYPES[type]:
        raise InvalidEvent(
            Rejection(code=UNKNOWN_VERSION, reason=f"{type}: unknown version {version!r}", type=type, source=source, id=id)
        )
    if isinstance(time, datetime) and time.tzinfo is None:
        raise ValueError(f"{type} time: expected a timezone-aware datetime, got naive {time.isoformat()}")
    event: dict[str, Any] = dict(extensions or {})
    event.update(
        specversion=SPECVERSION,
        id=id,
        source=source,
        type=type,
        time=time,
        dataschema=dataschema_uri(type, version),
    )
    if subject is not None:
        event["subject"] = subject
    event["data"] = data
    raw = msgspec.json.encode(event)
    result = decode(raw)
    if isinstance(result, Rejection):
        raise InvalidEvent(result)
    return raw
