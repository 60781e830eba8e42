"""Teamflow event contract: CloudEvents 1.0 envelope, typed data per event type and version.

    from schemas import decode, Event, Rejection
    result = decode(message_value, message_headers)   # Event | Rejection, never raises

This package imports nothing else of the project.
"""

from .catalog import CURRENT_MODELS, CURRENT_VERSIONS, EVENT_TYPES
from .decoding import decode
from .encoding import encode_event
from .envelope import Event, dataschema_uri, version_from_dataschema
from .errors import CODES, InvalidEvent, Rejection
from .fields import Data
from .limits import MAX_DEPTH, MAX_EVENT_BYTES
from .upcasters import UPCASTERS, upcast

__all__ = [
    "CODES",
    "CURRENT_MODELS",
    "CURRENT_VERSIONS",
    "Data",
    "EVENT_TYPES",
    "Event",
    "InvalidEvent",
    "MAX_DEPTH",
    "MAX_EVENT_BYTES",
    "Rejection",
    "UPCASTERS",
    "dataschema_uri",
    "decode",
    "encode_event",
    "upcast",
    "version_from_dataschema",
]
