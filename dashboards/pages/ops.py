"""The ops console (role `ops`): source health, dead letters (search, payload, resubmit), the worker's
state and consumer lag, tokens, and the raw activity feed.

Reads through `dashboards.ops_data` and the `OpsSources` the process hands in; resubmits through
them too (the rules of `teamflow dead-letters resubmit`: only payloads the contract now accepts,
never past a token's scope). The browser sends only the fingerprints of the selected dead letters; the payloads are
read again from the store, so nothing a browser makes up can reach the events topic.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from dash import Input, Output, State, dash_table, dcc, html

from .. import auth, ops_data
from ..components import table
from .activity import activity_tile

log = logging.getLogger(__name__)

PATH = "/ops"
STATE_TEXT = {"starting": "starting", "folding": "folding events", "retrying": "retrying after a fault",
              "stopped": "stopped"}


def layout(user, store, query: dict, refresh_ms: int) -> html.Div:
    return html.Div([
        html.H2("Operations"),
        html.P("Where events come from, what was refused and why, and whether the worker keeps up.",
               className="lede"),
        dcc.Interval(id="ops-tick", interval=refresh_ms),
        html.Div([
            html.Div([html.H3("Worker"), html.Div(id="ops-worker"),
                      html.H4("Consumer lag per partition"), html.Div(id="ops-lag")], className="tile"),
            # Tokens and Sources stacked beside the worker: the token list is often one line, and a tile
            # of its own left most of a row blank.
            html.Div([
                html.Div([html.H3("Tokens"), html.P("Names, sources and dates; the tokens themselves are never kept.",
                                                    className="tile-help"), html.Div(id="ops-tokens")],
                         className="tile"),
                html.Div([html.H3("Sources"),
                          html.P(f"Events per minute over the last {ops_data.WINDOW_MINUTES} minutes (by arrival), "
                                 "the last event to arrive, and dead letters by rejection code.",
                                 className="tile-help"),
                          html.Div(id="ops-sources", className="scroll")], className="tile grow"),
            ], className="stack"),
            _dead_letter_tile(),
            activity_tile(refresh_ms),
        ], className="tiles"),
    ], id="ops-page")


def _dead_letter_tile() -> html.Div:
    filters = html.Div([
        html.Label([html.Span("Source"), dcc.Input(id="ops-dl-source", placeholder="//crm/* or exact",
                                                   debounce=True, className="ops-input")], className="filter"),
        html.Div([html.Span("Code"), dcc.RadioItems(id="ops-dl-code", options=[{"label": "any", "value": ""}],
                                                    value="", inline=True, className="radio")], className="filter"),
        html.Label([html.Span("From"), dcc.Input(id="ops-dl-since", placeholder="2026-03-05 or ISO time",
                                                 debounce=True, className="ops-input")], className="filter"),
        html.Label([html.Span("Until"), dcc.Input(id="ops-dl-until", placeholder="(now)", debounce=True,
                                                  className="ops-input")], className="filter"),
        html.Button("Search", id="ops-dl-search", className="btn"),
    ], className="filters")
    columns = [{"name": n, "id": i} for i, n in (("received_at", "received"), ("door", "door"),
                                                 ("source", "source"), ("id", "id"), ("code", "code"),
                                                 ("reason", "reason"), ("raw", "raw payload"))]
    grid = dash_table.DataTable(
        id="ops-dl-table", columns=columns, data=[], row_selectable="multi", selected_rows=[], page_size=15,
        style_table={"overflowX": "auto"},
        style_cell={"fontSize": "0.78rem", "textAlign": "left", "whiteSpace": "normal", "height": "auto",
                    "maxWidth": "28rem", "fontFamily": "system-ui, sans-serif", "padding": "0.2rem 0.4rem"},
        style_data_conditional=[{"if": {"column_id": "raw"}, "fontFamily": "monospace", "wordBreak": "break-all"}],
        style_header={"backgroundColor": "#f0f4f8", "fontWeight": "600"})
    return html.Div([
        html.H3("Dead letters"),
        html.P("Search by source, code and time; select the ones a fix made valid and resubmit them. Resubmitting "
               "sends only payloads the contract accepts now, and only within a token's scope "
               "(like `teamflow dead-letters resubmit`).", className="tile-help"),
        filters, html.P(id="ops-dl-count", className="health"), grid,
        html.Div([html.Button("Resubmit selected", id="ops-dl-resubmit", className="btn"),
                  html.Span(id="ops-dl-result", className="ops-result")], className="ops-actions"),
    ], id="ops-dead-letters", className="tile wide")


# ------------------------------------------------------------------ render (pure)
def render_sources(rows: list[dict]) -> html.Component:
    shown = [{**r, "source": r["source"] or "(none: unreadable payload)",
              "rejects": ", ".join(f"{code} {n:,}" for code, n in sorted(r["rejects"].items())) or "none",
              "events": f"{r['events']:,}", "per_minute": f"{r['per_minute']:.1f}",
              "last_event": r["last_event"] or "—"} for r in rows]
    return table(shown, [("source", "source"), ("per_minute", "events/min"), ("last_event", "last event (UTC)"),
                         ("events", "events stored"), ("rejects", "rejects by code")],
                 "No events and no dead letters yet.", tid="ops-sources-table")


def render_worker(status: dict | None, now: float | None = None) -> html.Component:
    if status is None:
        return html.P("No worker has run on this data directory yet.", className="empty", id="ops-worker-state")
    now = now or datetime.now(timezone.utc).timestamp()
    state = status["state"]
    since = _ago(now - status["since"])
    parts = [html.Span(STATE_TEXT.get(state, state), className=f"ops-state ops-{state}", id="ops-worker-state"),
             html.Span(f" for {since}")]
    lines = [html.P(parts)]
    if status.get("detail"):
        lines.append(html.P(status["detail"], className="ops-detail", id="ops-worker-detail"))
    facts = [f"{status.get('events_folded', 0):,} events folded",
             f"{status.get('dead_letters', 0):,} dead letters",
             f"retries since last write: {status.get('retries', 0)}",
             "last commit " + (_ago(now - status["last_commit_at"]) + " ago" if status.get("last_commit_at")
                               else "none yet")]
    lines.append(html.P(" · ".join(facts), className="fresh"))
    return html.Div(lines)


def _ago(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h"


def render_lag(rows: list[dict] | None, error: str | None = None) -> html.Component:
    if error:
        return html.P(f"Kafka did not answer: {error}", className="error", id="ops-lag-error")
    shown = [{**r, "committed": "none yet" if r["committed"] is None else f"{r['committed']:,}",
              "end": f"{r['end']:,}", "lag": f"{r['lag']:,}"} for r in rows or []]
    total = sum(r["lag"] for r in rows or [])
    return html.Div([table(shown, [("partition", "partition"), ("committed", "committed"), ("end", "end offset"),
                                   ("lag", "lag")], "The events topic has no partitions yet.", tid="ops-lag-table"),
                     html.P(f"total lag {total:,} events", className="fresh", id="ops-lag-total")])


def render_tokens(rows: list[dict]) -> html.Component:
    return table(rows, [("name", "name"), ("sources", "sources"), ("state", "state"), ("created_at", "created")],
                 "No tokens yet: `teamflow tokens create NAME --source S`.", tid="ops-tokens-table")


def dead_letter_rows(rows: list[dict]) -> list[dict]:
    """Rows for the table: text only, the fingerprint kept as the row id."""
    return [{"id": r["id"] or "—", "row_id": r["fingerprint"], "fingerprint": r["fingerprint"],
             "received_at": ops_data._iso(r["received_at"]), "door": r["door"], "source": r["source"] or "—",
             "code": r["code"], "reason": r["reason"], "raw": _text(r["raw"])} for r in rows]


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def resubmit_message(result) -> str:
    plan = result.plan
    parts = [f"resubmitted {len(result.records)} event(s)"]
    if plan.still_invalid:
        parts.append(f"{len(plan.still_invalid)} still refused by the contract (left alone)")
    if result.out_of_scope:
        parts.append(f"{len(result.out_of_scope)} held back: " + "; ".join(sorted(result.scope_reasons)))
    if plan.not_events:
        parts.append(f"{len(plan.not_events)} import reject(s) skipped: re-import the fixed file")
    return "; ".join(parts) + "."


# ------------------------------------------------------------------ callbacks
def register(app, store, sources: ops_data.OpsSources | None = None) -> None:
    sources = sources or ops_data.OpsSources()

    @app.callback(Output("ops-worker", "children"), Output("ops-lag", "children"), Output("ops-tokens", "children"),
                  Output("ops-sources", "children"), Input("ops-tick", "n_intervals"))
    def refresh(_n):
        auth.require(PATH)
        try:
            lag = render_lag(sources.consumer_lag())
        except Exception as exc:  # the console must show the broker is down, not fail
            log.info("consumer lag unavailable: %s", type(exc).__name__)
            lag = render_lag(None, type(exc).__name__)
        return (render_worker(ops_data.worker_state(sources)), lag,
                render_tokens(ops_data.token_rows(sources.tokens())),
                render_sources(ops_data.source_health(store)))

    @app.callback(Output("ops-dl-code", "options"), Input("ops-tick", "n_intervals"))
    def codes(_n):
        auth.require(PATH)
        return [{"label": "any", "value": ""}] + [{"label": c, "value": c} for c in ops_data.reject_codes(store)]

    @app.callback(Output("ops-dl-table", "data"), Output("ops-dl-table", "selected_rows"),
                  Output("ops-dl-count", "children"),
                  Input("ops-dl-search", "n_clicks"), Input("ops-dl-source", "value"), Input("ops-dl-code", "value"),
                  Input("ops-dl-since", "value"), Input("ops-dl-until", "value"), Input("ops-dl-result", "children"))
    def search(_clicks, source, code, since, until, _result):
        auth.require(PATH)
        try:
            query = ops_data.Search(source=(source or "").strip() or None, code=code or None,
                                    since=ops_data.parse_time(since), until=ops_data.parse_time(until))
        except ValueError:
            return [], [], "Times: 2026-03-05, 2026-03-05 14:00 or an ISO 8601 time (UTC)."
        rows, total = ops_data.search_dead_letters(store, query)
        shown = f", the newest {len(rows):,} shown" if total > len(rows) else ""
        return dead_letter_rows(rows), [], f"{total:,} dead letter(s) match{shown}."

    @app.callback(Output("ops-dl-result", "children"), Input("ops-dl-resubmit", "n_clicks"),
                  State("ops-dl-table", "data"), State("ops-dl-table", "selected_rows"), prevent_initial_call=True)
    def resubmit(_clicks, data, selected):
        user = auth.require(PATH)
        fingerprints = [data[i]["fingerprint"] for i in (selected or []) if 0 <= i < len(data or [])]
        if not fingerprints:
            return "Select dead letters first."
        result = sources.resubmit(ops_data.dead_letters_by_fingerprint(store, fingerprints))
        log.info("ops console: %s resubmitted %d of %d selected dead letter(s)", user.username,
                 len(result.records), len(fingerprints))
        return resubmit_message(result)
