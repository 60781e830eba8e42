"""Every Dash callback request is checked here, in one place, before any callback runs.

A browser only ever sends the values its dropdowns, pickers and timers hold, but anyone signed in
can POST `/_dash-update-component` with anything. A `before_request` hook refuses with **400** and a
reason (never the value: it may be personal) when:

- the body is not a JSON object, names no known server callback, or its outputs, inputs and state
  are not exactly the (component id, property) pairs that callback declares (Dash itself answers a
  wrong output list with a 500);
- a value fails the rule of its (component id, property) in `RULES`: periods must parse (and be a
  quarter where the page is quarterly), measures and period kinds must be the page's own, team and
  person ids are short printable strings, timers and clicks are small counts, dates are ISO dates.

An input with no rule is refused too (fail closed): a new callback must add its inputs here, and
`tests/unit/dashboards/test_callback_guard.py` fails until it does. Whether the user may see a team
or person is the callback's own check (`auth.require`, 403). The rules themselves are in
`dashboards/input_rules.py`. Pure functions except `install`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import flask

from .input_rules import (MAX_TEXT, BadInput, Rule, count, identifier, iso_date, one_of, optional, period, quarter,
                          row_indexes, server_text, shown_stamp, snapshot_time, subset_of, table_rows, text)

UPDATE_PATH = "/_dash-update-component"


@lru_cache(maxsize=1)
def rules() -> dict[tuple[str, str], Rule]:
    """(component id, property) -> rule, for every input and state of the server callbacks.
    Built on first use: the choices come from the page modules themselves."""
    from .components import KINDS
    from .pages import executive, my_view

    kinds = one_of(*(v for v, _ in KINDS))
    opt = optional
    return {
        ("url", "pathname"): opt(text), ("url", "search"): opt(text),
        ("team-kind", "value"): opt(kinds), ("deals-kind", "value"): opt(kinds),
        ("team-period", "value"): opt(period), ("deals-period", "value"): opt(period),
        ("team-team", "value"): identifier, ("deals-team", "value"): identifier,
        ("team-tick", "n_intervals"): opt(count), ("deals-tick", "n_intervals"): opt(count),
        ("live-tick", "n_intervals"): opt(count),
        ("team-shown", "data"): shown_stamp, ("deals-shown", "data"): shown_stamp,
        ("team-news", "data"): opt(snapshot_time), ("deals-news", "data"): opt(snapshot_time),
        ("deals-flagged", "value"): opt(subset_of("flagged")),
        ("exec-period", "value"): quarter,  # never empty in the page; the CSV export needs one
        ("exec-scope", "value"): opt(lambda v: None if v == executive.ORG else identifier(v)),
        ("exec-measure", "value"): opt(one_of(*executive.MEASURE_KEYS)),
        ("exec-csv", "n_clicks"): opt(count), ("exec-print", "n_clicks"): opt(count),
        ("exec-png", "n_clicks"): opt(count), ("exec-pdf", "n_clicks"): opt(count),
        ("me-person", "value"): opt(identifier),
        ("me-gran", "value"): opt(one_of(*(v for v, _ in my_view.GRANULARITIES))),
        ("me-range", "start_date"): opt(iso_date), ("me-range", "end_date"): opt(iso_date),
        ("ops-tick", "n_intervals"): opt(count), ("ops-dl-search", "n_clicks"): opt(count),
        ("ops-dl-resubmit", "n_clicks"): opt(count),
        ("ops-dl-source", "value"): opt(text), ("ops-dl-code", "value"): opt(text),
        ("ops-dl-since", "value"): opt(text), ("ops-dl-until", "value"): opt(text),
        ("ops-dl-result", "children"): server_text,
        ("ops-dl-table", "data"): opt(table_rows), ("ops-dl-table", "selected_rows"): opt(row_indexes),
    }


def _pairs(items: Any, what: str) -> list[tuple[str, str, Any]]:
    if not isinstance(items, list):
        raise BadInput(f"{what} must be a list")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("property"), str):
            raise BadInput(f"each of {what} needs a string id and property")  # pattern-matching ids: none here
        out.append((item["id"], item["property"], item.get("value")))
    return out


def declared_outputs(output: str) -> list[tuple[str, str]]:
    """(id, property) of each output named by a callback id: `a.b` or `..a.b...c.d..`."""
    parts = output[2:-2].split("...") if output.startswith("..") and output.endswith("..") else [output]
    return [tuple(p.rsplit(".", 1)) for p in parts]  # type: ignore[misc]


def _output_pairs(outputs: Any) -> list[tuple[str, str]] | None:
    items = [outputs] if isinstance(outputs, dict) else outputs
    if not isinstance(items, list) or not all(
            isinstance(o, dict) and isinstance(o.get("id"), str) and isinstance(o.get("property"), str)
            for o in items):
        return None
    return [(o["id"], o["property"]) for o in items]


def check_body(body: Any, callback_map: dict[str, dict]) -> None:
    """Raise BadInput unless `body` is a well-formed request for one of `callback_map`'s server
    callbacks whose every input and state value passes its rule."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise BadInput("not a callback request")
    spec = callback_map.get(body["output"])
    if spec is None or "callback" not in spec:
        raise BadInput("no such server callback")
    if _output_pairs(body.get("outputs")) != declared_outputs(body["output"]):
        raise BadInput("outputs do not match the callback")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) and len(c) <= MAX_TEXT for c in changed):
        raise BadInput("changedPropIds must be a list of strings")
    table = rules()
    for what, declared in (("inputs", spec["inputs"]), ("state", spec["state"])):
        sent = _pairs(body.get(what, []), what)
        if [(i, p) for i, p, _ in sent] != [(d["id"], d["property"]) for d in declared]:
            raise BadInput(f"{what} do not match the callback")
        for cid, prop, value in sent:
            rule = table.get((cid, prop))
            if rule is None:
                raise BadInput(f"no rule for input {cid}.{prop}")
            try:
                rule(value)
            except BadInput as exc:
                raise BadInput(f"{cid}.{prop}: {exc}") from None


def install(app) -> None:
    """Check every callback request of the Dash `app` (call once its callbacks are registered)."""
    server: flask.Flask = app.server

    @server.before_request
    def check_callback_request():
        if flask.request.path != UPDATE_PATH or flask.request.method != "POST":
            return None
        try:
            body = json.loads(flask.request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError):
            return flask.jsonify({"error": "the body is not JSON"}), 400
        try:
            check_body(body, app.callback_map)
        except BadInput as exc:
            return flask.jsonify({"error": str(exc)}), 400
        return None
