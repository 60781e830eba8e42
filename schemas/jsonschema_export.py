"""JSON Schema (draft 2020-12) documents derived from the structs. Pure: no file access.

One document for the envelope and one per event type and version. Each event document is
self-contained (envelope rules + that type's data); its data schema is an embedded resource
whose ``$id`` is the ``dataschema`` URI, so binary-mode data can be validated on its own.
"""

import json
from typing import Any

import msgspec

from .catalog import CURRENT_VERSIONS, EVENT_TYPES
from .envelope import CONTENT_TYPE, DATASCHEMA_BASE, ENVELOPE_ATTRIBUTES, SPECVERSION, dataschema_uri
from .limits import MAX_ATTRIBUTE_CHARS
from .text import (
    CONTROLS,
    DATASCHEMA_PATTERN,
    END,
    EXTENSION_NAME_PATTERN,
    ID_PATTERN,
    SOURCE_PATTERN,
    SPACES,
    TIME_PATTERN,
    TYPE_PATTERN,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "envelope.json"


def _attribute(**extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": MAX_ATTRIBUTE_CHARS, **extra}


def _extension_pattern() -> str:
    reserved = "|".join(sorted(ENVELOPE_ATTRIBUTES))
    return f"^(?!(?:{reserved}){END}){EXTENSION_NAME_PATTERN.removeprefix('^')}"


def envelope_schema() -> dict[str, Any]:
    """The CloudEvents 1.0 structured-mode envelope as Teamflow restricts it (any type, any data object)."""
    return {
        "$schema": DIALECT,
        "$id": f"{DATASCHEMA_BASE}envelope.json",
        "title": "Teamflow event envelope (CloudEvents 1.0, structured JSON mode)",
        "type": "object",
        "properties": {
            "specversion": {"const": SPECVERSION},
            "id": _attribute(
                pattern=ID_PATTERN,
                description="Unique per source; (source, id) is the event's identity. "
                "No control characters, no leading/trailing whitespace.",
            ),
            "source": _attribute(
                pattern=SOURCE_PATTERN,
                description="URI-reference without whitespace or control characters.",
            ),
            "type": {"type": "string", "pattern": TYPE_PATTERN, "description": "teamflow.<area>.<verb>, no version."},
            "time": {
                "type": "string",
                "format": "date-time",
                "pattern": TIME_PATTERN,
                "description": "RFC 3339 with offset or Z.",
            },
            "subject": _attribute(
                pattern=ID_PATTERN, description="No control characters, no leading/trailing whitespace."
            ),
            "dataschema": _attribute(
                pattern=DATASCHEMA_PATTERN,
                description="Ends in /v<N>; absent means version 1.",
            ),
            "datacontenttype": {"const": CONTENT_TYPE},
            "data": {"type": "object"},
        },
        "required": ["specversion", "id", "source", "type", "time", "data"],
        "patternProperties": {
            _extension_pattern(): {
                "type": ["string", "number", "boolean"],
                "description": "Extension attribute.",
            }
        },
        "additionalProperties": False,
    }


def data_schema(type_name: str, version: int) -> dict[str, Any]:
    """Schema of ``data`` alone for one type and version; ``$id`` is the dataschema URI."""
    cls = EVENT_TYPES[type_name][version]
    (_,), components = msgspec.json.schema_components([cls], ref_template="#/$defs/{name}")
    schema = {"$id": dataschema_uri(type_name, version), **components.pop(cls.__name__)}
    if components:
        schema["$defs"] = components
    return schema


def event_schema(type_name: str, version: int) -> dict[str, Any]:
    """A whole structured-mode event of one type and version."""
    uri = dataschema_uri(type_name, version)
    envelope = envelope_schema()
    properties = dict(envelope["properties"])
    properties["type"] = {"const": type_name}
    properties["dataschema"] = _attribute(
        pattern=f"^[^{SPACES}{CONTROLS}]+/v{version}{END}",
        description=f"Canonical: {uri}. Any URI ending in /v{version} is read as version {version}.",
    )
    properties["data"] = {"$ref": uri}
    required = list(envelope["required"])
    if version != 1:
        required.append("dataschema")
    current = CURRENT_VERSIONS[type_name]
    note = "current version" if version == current else f"superseded; upcast on read to v{current}"
    cls = EVENT_TYPES[type_name][version]
    return {
        "$schema": DIALECT,
        "$id": f"{DATASCHEMA_BASE}events/{file_name(type_name, version)}",
        "title": f"{type_name} v{version} ({note})",
        "description": (cls.__doc__ or "").strip(),
        "type": "object",
        "properties": properties,
        "required": required,
        "patternProperties": envelope["patternProperties"],
        "additionalProperties": False,
        "$defs": {"data": data_schema(type_name, version)},
    }


def file_name(type_name: str, version: int) -> str:
    return f"{type_name}.v{version}.json"


def all_schemas() -> dict[str, dict[str, Any]]:
    """file name -> schema document, for every file under ``schemas/json/``."""
    out = {ENVELOPE_FILE: envelope_schema()}
    for type_name, versions in EVENT_TYPES.items():
        for version in versions:
            out[file_name(type_name, version)] = event_schema(type_name, version)
    return out


def dumps(schema: dict[str, Any]) -> str:
    """Stable text form of a schema document (what is committed)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
