"""The ingest API's OpenAPI 3.1 description, served at `/openapi.json` and committed as docs/openapi.json.

`python -m streams.ingest.openapi > docs/openapi.json` regenerates the committed copy; a unit
test fails when the two differ.
"""
from __future__ import annotations

import json
import sys
from typing import Any

ENVELOPE_REF = "https://schemas.teamflow.dev/envelope.json"


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


def openapi_document() -> dict[str, Any]:
    problem = {"$ref": "#/components/schemas/Problem"}
    results = {"$ref": "#/components/schemas/Results"}
    event = {"$ref": "#/components/schemas/CloudEvent"}

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
        "servers": [{"url": "http://127.0.0.1:8088"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a token from `teamflow tokens create`; it may only "
                                                          "write events whose `source` it owns"}},
            "schemas": {
                "CloudEvent": {"type": "object", "description": "A structured-mode CloudEvent; full rules in "
                               "schemas/json/envelope.json and the per-type schemas in schemas/json/",
                               "required": ["specversion", "id", "source", "type", "time", "data"],
                               "properties": {"specversion": {"const": "1.0"}, "id": {"type": "string"},
                                              "source": {"type": "string"}, "type": {"type": "string"},
                                              "time": {"type": "string", "format": "date-time"},
                                              "subject": {"type": "string"}, "dataschema": {"type": "string"},
                                              "data": {"type": "object"}}},
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
                    "parameters": [
                        {"name": "ce-specversion", "in": "header", "required": False, "schema": {"const": "1.0"},
                         "description": "binary mode: present together with ce-id, ce-source, ce-type, ce-time "
                                        "(and optional ce-subject, ce-dataschema, ce-<extension>); the body is `data`"},
                    ],
                    "requestBody": {"required": True, "content": {
                        "application/cloudevents+json": {"schema": event},
                        "application/cloudevents-batch+json": {"schema": {"type": "array", "items": event}},
                        "application/x-ndjson": {"schema": {"type": "string",
                                                            "description": "one CloudEvent JSON per line"}},
                        "application/json": {"schema": {"type": "object",
                                                        "description": "binary mode: the event's data"}},
                    }},
                    "responses": {
                        "200": resp("every event accepted (or a recent duplicate)", results),
                        "207": resp("some events accepted, some rejected or forbidden (see results)", results),
                        "400": resp("no event accepted; at least one rejected by the contract "
                                    "(rejected ones are on the dead-letter topic)", results),
                        "401": resp("missing or unknown token", problem),
                        "403": resp("every event's source is outside what the token owns", results),
                        "413": resp("body larger than TEAMFLOW_MAX_BODY_BYTES", problem),
                        "415": resp("content type is not a CloudEvents mode", problem),
                        "503": resp("Kafka did not acknowledge in time; retry the whole request", problem,
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
