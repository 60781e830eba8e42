"""The ingest API's OpenAPI 3.1 description, served at `/openapi.json` and committed as docs/openapi.json.

The request schemas are the contract's own JSON Schema (schemas/jsonschema_export.py): one
component per event type and version (envelope rules + that type's data) and one per data schema,
so the OpenAPI accepts exactly what the contract describes. The export's absolute `$id`/`$ref`
URIs are rewritten to local `#/components/schemas/...` references (no tool has to fetch
schemas.teamflow.dev). Every answer is documented with the body the API actually sends.
`servers` names the host and port of the given settings.

`python -m streams.ingest.openapi > docs/openapi.json` regenerates the committed copy (default
settings); a unit test fails when the two differ.
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any

from schemas.catalog import EVENT_TYPES
from schemas.jsonschema_export import event_schema

from .settings import IngestSettings

_REF = "#/components/schemas/"


def _name(type_name: str, version: int) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", type_name.removeprefix("teamflow.")) + f"_v{version}"


def _rewrite(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("$schema", "$id", "$defs"):
                continue
            out[k] = refs.get(v, v) if k == "$ref" else _rewrite(v, refs)
        return out
    if isinstance(node, list):
        return [_rewrite(v, refs) for v in node]
    return node


def contract_components() -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Components for every event type and version, and a `$ref` to each event schema."""
    components: dict[str, Any] = {}
    events: list[dict[str, str]] = []
    for type_name, versions in EVENT_TYPES.items():
        for version in sorted(versions):
            doc = event_schema(type_name, version)
            name = _name(type_name, version)
            data = doc["$defs"]["data"]
            refs = {data["$id"]: f"{_REF}Data_{name}"}
            for sub in data.get("$defs", {}):
                refs[f"#/$defs/{sub}"] = f"{_REF}Data_{name}_{sub}"
            for sub, sub_schema in data.get("$defs", {}).items():
                components[f"Data_{name}_{sub}"] = _rewrite(sub_schema, refs)
            components[f"Data_{name}"] = _rewrite(data, refs)
            components[f"Event_{name}"] = _rewrite(doc, refs)
            events.append({"$ref": f"{_REF}Event_{name}"})
    return components, events


def _result_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["index", "status"],
        "properties": {
            "index": {"type": "integer", "description": "position of the event in the request (0-based)"},
            "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected", "forbidden"]},
            "source": {"type": ["string", "null"]},
            "id": {"type": ["string", "null"]},
            "code": {"type": "string", "description": "rejection code (docs/contract.md section 5)"},
            "reason": {"type": "string", "description": "why it was rejected or forbidden"},
        },
    }


def openapi_document(settings: IngestSettings | None = None) -> dict[str, Any]:
    settings = settings or IngestSettings()
    problem = {"$ref": "#/components/schemas/Problem"}
    results = {"$ref": "#/components/schemas/Results"}
    event = {"$ref": "#/components/schemas/CloudEvent"}
    contract, events = contract_components()

    def resp(desc: str, schema: dict, headers: dict | None = None) -> dict:
        r: dict[str, Any] = {"description": desc, "content": {"application/json": {"schema": schema}}}
        if headers:
            r["headers"] = headers
        return r

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Teamflow ingest API",
            "version": "1.0.0",
            "description": (
                "CloudEvents 1.0 over HTTP (structured, batch and binary modes of the HTTP binding, plus NDJSON "
                "for bulk loads). Every event is validated against the Teamflow contract (docs/contract.md); "
                "a request is answered only after the Kafka broker acknowledged every accepted event "
                "(acks=all) and every refused one on the dead-letter topic. Duplicates of recently accepted "
                "(source, id) are answered `duplicate` without producing; the store deduplicates anyway."),
        },
        "servers": [{"url": f"http://{settings.ingest_host}:{settings.ingest_port}",
                     "description": "TEAMFLOW_INGEST_HOST and TEAMFLOW_INGEST_PORT of this process"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a token from `teamflow tokens create`; it may only "
                                                          "write events whose `source` it owns"}},
            "schemas": {
                "CloudEvent": {"description": "A structured-mode CloudEvent of one of the contract's types "
                                              "(schemas/json/)", "anyOf": events},
                **contract,
                "Result": _result_schema(),
                "Results": {
                    "type": "object",
                    "required": ["accepted", "duplicate", "rejected", "forbidden", "results"],
                    "properties": {
                        "accepted": {"type": "integer"}, "duplicate": {"type": "integer"},
                        "rejected": {"type": "integer"}, "forbidden": {"type": "integer"},
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
                    },
                },
                "Problem": {"type": "object", "required": ["status", "title", "detail"],
                            "properties": {"status": {"type": "integer"}, "title": {"type": "string"},
                                           "detail": {"type": "string"}}},
            },
        },
        "paths": {
            "/events": {
                "post": {
                    "summary": "Send one event, a batch, or NDJSON",
                    "security": [{"bearer": []}],
                    "description": (
                        "Binary mode (CloudEvents HTTP binding 3.1) is served too but not described by this "
                        "schema, which cannot tie headers to a content type: `Content-Type: application/json` "
                        "with `ce-specversion: 1.0`, `ce-id`, `ce-source`, `ce-type`, `ce-time` (optional "
                        "`ce-subject`, `ce-dataschema`, `ce-<extension>`), values percent-encoded; the body is "
                        "the event's `data`, with the schema of that type (components `Data_*`). Without "
                        "`ce-specversion` such a request gets 415. Each event's `source` is scoped before it is "
                        "validated: a source the token does not own, or one that is not canonical (dot "
                        "segments, `%2F`, `%2E`, backslashes, `//` after the start), is `forbidden` and never "
                        "dead-lettered."),
                    "requestBody": {"required": True, "content": {
                        "application/cloudevents+json": {"schema": event},
                        "application/cloudevents-batch+json": {"schema": {"type": "array", "minItems": 1,
                                                                          "items": event}},
                        "application/x-ndjson": {"schema": {"type": "string", "description": (
                            "one CloudEvent JSON per line (each as CloudEvent), blank lines skipped")}},
                    }},
                    "responses": {
                        "200": resp("every event accepted (or a recent duplicate)", results),
                        "207": resp("some events accepted, some rejected or forbidden (see results)", results),
                        "400": resp("no event accepted and at least one rejected by the contract (Results; "
                                    "rejected ones are on the dead-letter topic), or a request that carries "
                                    "no events or a header that cannot be read (Problem)",
                                    {"oneOf": [results, problem]}),
                        "401": resp("missing or unknown token", problem,
                                    {"WWW-Authenticate": {"schema": {"type": "string"},
                                                          "description": "Bearer realm=\"teamflow-ingest\""}}),
                        "403": resp("no event accepted; every one forbidden (a source the token does not own, "
                                    "or not canonical)", results),
                        "408": resp("the body did not arrive within TEAMFLOW_BODY_TIMEOUT_SECONDS", problem),
                        "413": resp("body larger than TEAMFLOW_MAX_BODY_BYTES", problem),
                        "415": resp("content type is not a CloudEvents mode", problem),
                        "503": resp("Kafka did not acknowledge in time (retry the whole request), or the API "
                                    "holds TEAMFLOW_MAX_CONNECTIONS open connections", problem,
                                    {"Retry-After": {"schema": {"type": "integer"},
                                                     "description": "seconds to wait"}}),
                    },
                }
            },
            "/healthz": {"get": {"summary": "Liveness, with the broker connection state", "responses": {
                "200": resp("the process serves", {"type": "object", "properties": {
                    "status": {"const": "ok"}, "broker": {"enum": ["connected", "unavailable"]},
                    "detail": {"type": ["string", "null"]}, "recent_identities": {"type": "integer"}}})}}},
            "/openapi.json": {"get": {"summary": "This description",
                                      "responses": {"200": resp("OpenAPI 3.1", {"type": "object"})}}},
        },
    }


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
