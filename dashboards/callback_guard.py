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
or person is the callback's own check (`auth.require`, 403). Pure functions except `install`.
"""
from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from typing import Any, Callable

import flask

UPDATE_PATH = "/_dash-update-component"
MAX_TEXT = 2048
MAX_ID = 128
MAX_ROWS = 10_000
MIN_YEAR, MAX_YEAR = 1970, 2100
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(T[0-9:.]{0,15})?$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")


class BadInput(ValueError):
    """A callback request that must not reach the callback (HTTP 400)."""


Rule = Callable[[Any], None]


def _optional(rule: Rule) -> Rule:
    def check(value: Any) -> None:
        if value is not None:
            rule(value)
    return check


def _printable(value: Any, limit: int, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit or not value.isprintable():
        raise BadInput(f"not a {what} (1..{limit} printable characters)")
    return value


def text(value: Any) -> None:
    """URL parts (pathname, search): a string of at most MAX_TEXT printable characters."""
    if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
        raise BadInput(f"not a URL part (at most {MAX_TEXT} printable characters)")


def identifier(value: Any) -> None:
    """A team or person id as the contract allows them (1..128 printable characters)."""
    _printable(value, MAX_ID, "team or person id")


def period(value: Any) -> None:
    """A period the dashboards name (2026-Q1, 2026-03, 2026-W09, 2026-03-05) within sane years."""
    from projections.metrics.periods import parse_period

    _printable(value, 16, "period")
    try:
        start, _ = parse_period(value)
    except ValueError:
        raise BadInput("not a period (2026-Q1, 2026-03, 2026-W09 or 2026-03-05)") from None
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise BadInput(f"period outside {MIN_YEAR}..{MAX_YEAR}")


def quarter(value: Any) -> None:
    period(value)
    if not _QUARTER.match(value):
        raise BadInput("not a quarter (2026-Q1)")


def iso_date(value: Any) -> None:
    m = _ISO_DATE.match(value) if isinstance(value, str) else None
    try:
        day = date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadInput("not a date (YYYY-MM-DD)")


def count(value: Any) -> None:
    """Interval ticks and button clicks: a non-negative integer (JSON booleans are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 53:
        raise BadInput("not a count")


def row_indexes(value: Any) -> None:
    """Selected table rows: a list of at most MAX_ROWS counts."""
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        raise BadInput(f"not a list of at most {MAX_ROWS} row numbers")
    for v in value:
        count(v)


def table_rows(value: Any) -> None:
    """A table's rows sent back by the browser: a list of at most MAX_ROWS objects (the server reads
    what it acts on again from the store, by the rows' fingerprints)."""
    if not isinstance(value, list) or len(value) > MAX_ROWS or not all(isinstance(r, dict) for r in value):
        raise BadInput(f"not a list of at most {MAX_ROWS} table rows")


def server_text(value: Any) -> None:
    """A component's children written by a server callback and fed back as an input (any JSON value)."""


def snapshot_time(value: Any) -> None:
    """When a snapshot was computed, as the news poll saw it (dashboards/news.py): a short text."""
    _printable(value, 40, "snapshot time")


def shown_stamp(value: Any) -> None:
    """The stamp of the snapshot a page shows (dashboards.read_model.stamp), sent back by the browser:
    at most two short texts and, on Team live, the digest of each tile it shows (`tiles`: at most 16
    short texts by tile id), on Deals the digest of what its tiles are drawn from (`drawn`). A forged
    one only makes the page send its figures again, or not."""
    if value is None:
        return
    if not isinstance(value, dict) or len(value) > 3 or not set(value) <= {"as_of", "confirmed_at", "tiles", "drawn"}:
        raise BadInput("not a snapshot stamp")
    for k, v in value.items():
        if k == "tiles":
            if not isinstance(v, dict) or len(v) > 16:
                raise BadInput("not a snapshot stamp")
            for tile, digest in v.items():
                _printable(tile, 40, "tile id")
                _printable(digest, 40, "tile digest")
        elif v is not None:
            _printable(v, 40, "snapshot time")


def one_of(*allowed: str) -> Rule:
    choices = frozenset(allowed)

    def check(value: Any) -> None:
        if not isinstance(value, str) or value not in choices:
            raise BadInput(f"not one of the {len(choices)} choices")
    return check


def subset_of(*allowed: str) -> Rule:
    choices = frozenset(allowed)

    def check(value: Any) -> None:
        if not isinstance(value, list) or len(value) > len(choices) or not all(
                isinstance(v, str) and v in choices for v in value):
            raise BadInput("not a selection of the allowed choices")
    return check


@lru_cache(maxsize=1)
def rules() -> dict[tuple[str, str], Rule]:
    """(component id, property) -> rule, for every input and state of the server callbacks.
    Built on first use: the choices come from the page modules themselves."""
    from .components import KINDS
    from .pages import executive, my_view

    kinds = one_of(*(v for v, _ in KINDS))
    opt = _optional
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
