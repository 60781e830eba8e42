"""The CloudEvents 1.0 envelope: wire shape, the decoded ``Event``, versions in ``dataschema``."""

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from .fields import Data
from .limits import EXTENSION_NAME_PATTERN, MAX_ATTRIBUTE_CHARS
from .text import DATASCHEMA_PATTERN, SOURCE_PATTERN, TYPE_PATTERN, is_id, is_source  # noqa: F401 (re-exported)

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
DATASCHEMA_BASE = "https://schemas.teamflow.dev/"

Attribute = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ATTRIBUTE_CHARS)]
ExtensionValue = str | int | float | bool


class WireEnvelope(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Structured-mode CloudEvent as it travels; ``data`` is kept raw until the type is known."""

    specversion: Literal["1.0"]
    id: Attribute  # id, source and subject rules (text.py) are checked in decoding: cheaper than msgspec patterns
    source: Attribute
    type: Attribute
    time: Annotated[datetime, msgspec.Meta(tz=True)]
    data: msgspec.Raw
    subject: Attribute | None = None
    dataschema: Attribute | None = None
    datacontenttype: Literal["application/json"] | None = None


ENVELOPE_ATTRIBUTES = frozenset(WireEnvelope.__struct_fields__)
"""Attribute names defined by the contract; any other top-level key is an extension attribute."""

_EXTENSION_NAME = re.compile(EXTENSION_NAME_PATTERN)


def is_extension_name(name: str) -> bool:
    """CloudEvents extension names: lowercase a-z and 0-9, 1..20 characters."""
    return _EXTENSION_NAME.match(name) is not None and name not in ENVELOPE_ATTRIBUTES


class Event(msgspec.Struct, frozen=True, gc=False):
    """A decoded, validated event. ``data`` is always the struct of the type's current version."""

    id: str
    source: str
    type: str
    time: datetime
    """When it happened; timezone-aware, in UTC."""
    subject: str | None
    dataschema: str | None
    version: int
    """The version the event arrived as (before upcasting)."""
    data: Data
    extensions: dict[str, ExtensionValue]

    @property
    def identity(self) -> tuple[str, str]:
        """``(source, id)``: equal for duplicates of the same event."""
        return (self.source, self.id)


def dataschema_uri(type_name: str, version: int) -> str:
    """The ``dataschema`` URI for a type and version, e.g. ``https://schemas.teamflow.dev/help.given/v1``."""
    if not type_name.startswith("teamflow.") or not _TYPE.match(type_name):
        raise ValueError(f"not a teamflow event type: {type_name!r}")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"version must be an integer >= 1, got {version!r}")
    return f"{DATASCHEMA_BASE}{type_name.removeprefix('teamflow.')}/v{version}"


def version_from_dataschema(dataschema: str | None) -> int | None:
    """1 when absent; N when the URI follows ``DATASCHEMA_PATTERN`` (ends in ``/v<N>``); None when it does not."""
    if dataschema is None:
        return 1
    if _DATASCHEMA.match(dataschema) is None:
        return None
    return int(dataschema.rpartition("/v")[2])


_TYPE = re.compile(TYPE_PATTERN)
_DATASCHEMA = re.compile(DATASCHEMA_PATTERN)  # its digits have no leading zero: int() of them is the version exactly
