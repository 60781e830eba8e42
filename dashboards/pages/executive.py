"""Executive (quarterly): each culture measure per team across up to 8 quarters (small multiples),
the chosen quarter's table with the change from the quarter before, drill-down from the
organisation to a team, and exports (CSV of the trends, PNG of the small multiples, a PDF for a
quarterly review, print).

No individual appears here. The privacy floor applies per team and quarter: a team with fewer
than 5 members in a quarter is hidden in that quarter ("hidden: too few people: n=3, needs 5")
and left out of the organisation's figure for it. The organisation pools the visible teams: each
measure is the mean of the team values weighted by their samples; counts are summed with the
members as their sample; cross-team help ties are not in any team's network, so the
organisation's reciprocity is a pooled team figure. Trend shaping: dashboards.exec_trends.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pandas as pd
from dash import Input, Output, State, dcc, html

from projections.metrics import previous_period, teams
from projections.metrics.trends import quarterly

from .. import access, auth, exec_trends, figures, read_model
from ..components import GRAPH_CONFIG, change, change_direction, empty_state, filters, fmt, freshness, labelled, period_of, period_options

PATH = "/executive"
ORG = "__organisation__"

MEASURES: list[tuple[str, str, str, str]] = [(a, k, label, kind) for a, k, label, kind, _b in exec_trends.MEASURES]
MEASURE_KEYS = {f"{a}.{b}": (a, b, label, kind) for a, b, label, kind in MEASURES}
HIDDEN = "hidden: fewer than 5 people"
def layout(user, store, query: dict[str, str], refresh_ms: int) -> html.Div:
    span = read_model.shape(store)["span"]
    if span is None:
        return empty_state()
    quarters = period_options(span, "quarter")
    known = read_model.shape(store)["teams"]
    return html.Div([
        html.H2("Executive: culture by team and quarter"),
        html.P("Each component on its own (no combined score), per team across up to 8 quarters. A team under "
               "5 people in a quarter is hidden for that quarter; no individual is shown. Colours follow what "
               "each measure means (green better, vermillion worse); teams stay in alphabetical order.", className="lede"),
        filters(
            labelled("Quarter", dcc.Dropdown(id="exec-period", options=quarters, value=quarters[0], clearable=False,
                                             className="dd-period")),
            labelled("Drill down", dcc.Dropdown(id="exec-scope", clearable=False, className="dd-team",
                                                options=[{"label": "Organisation", "value": ORG}]
                                                + [{"label": t, "value": t} for t in known], value=ORG)),
            labelled("Measure", dcc.Dropdown(id="exec-measure", clearable=False, className="dd-measure",
                                             options=[{"label": m[2], "value": f"{m[0]}.{m[1]}"} for m in MEASURES],
                                             value="reciprocity.reciprocity_index")),
            labelled("Export", html.Span([
                html.Button("CSV", id="exec-csv", className="btn", title="The trends per team and quarter, with n"),
                html.Button("PNG", id="exec-png", className="btn", title="Every measure per team, as a picture"),
                html.Button("PDF", id="exec-pdf", className="btn", title="For a quarterly review"),
                html.Button("Print", id="exec-print", className="btn")],
                style={"display": "inline-flex", "gap": "0.4rem"})),
            dcc.Download(id="exec-download"), dcc.Download(id="exec-download-png"),
            dcc.Download(id="exec-download-pdf"),
        ),
        html.Div([
            html.Div([html.H3(id="exec-chart-title"),
                      dcc.Graph(id="exec-chart", config=GRAPH_CONFIG),
                      html.Div(id="exec-legend", className="legend-note"),
                      html.Div(id="exec-chart-foot", className="fresh")], className="tile wide"),
            html.Div([html.H3(id="exec-trend-title"), html.Div(id="exec-trend-table", style={"overflowX": "auto"})],
                     className="tile wide"),
            html.Div([html.H3(id="exec-table-title"), html.Div(id="exec-table", style={"overflowX": "auto"}),
                      html.Div(id="exec-foot", className="fresh")], className="tile wide"),
        ], className="tiles"),
        html.Div(id="exec-print-done", hidden=True),
    ])


REFRESH_SECONDS = 60.0
"""The page's snapshots are recomputed in the background at most this often: quarterly trends need
no second-by-second refresh, the page does not poll, and kept current after every event one visit's
snapshot took the watched pages' turns (docs/benchmarks.md, "Visited pages leave the refresher to
watched ones")."""


def fetch(store, quarter: str, team_list: list[str] | None = None, n: int = exec_trends.N_QUARTERS) -> dict[str, Any]:
    """Every team's measures for up to n quarters ending at `quarter` (none before the data's first
    quarter): the page's snapshot, kept current in the background (dashboards.read_model) at most
    every REFRESH_SECONDS."""
    key = ("executive", quarter, n, None if team_list is None else tuple(team_list))
    return read_model.page_data(store, key, lambda: _fetch(store, quarter, team_list, n), every=REFRESH_SECONDS)


def _fetch(store, quarter: str, team_list: list[str] | None, n: int) -> dict[str, Any]:
    span = read_model.shape(store)["span"]
    first = period_of(span[0], "quarter") if span else None
    names = team_list if team_list is not None else teams(store)
    quarters = exec_trends.quarters_ending(quarter, n, first)
    cells = quarterly(store, quarters, names)  # one query per area, all teams and quarters
    return {"quarter": quarter, "previous": previous_period(quarter), "teams": names, "quarters": quarters,
            "first": first, "cells": cells}


def quarter_data(snap: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as the quarter table reads it: per team, the quarter's and the previous quarter's
    figures nested as team_metrics nests them (a previous quarter before the data holds nothing)."""
    def nested(cell: dict | None) -> dict:
        out: dict = {"reciprocity": {"members": {"value": (cell or {}).get("members", 0)}}}
        for key, (area, k, *_r) in exec_trends.KEYS.items():
            out.setdefault(area, {})[k] = (cell or {}).get(key)
        return out
    q, p = snap["quarter"], snap["previous"]
    return {**snap, "current": {t: nested(snap["cells"][t].get(q)) for t in snap["teams"]},
            "before": {t: nested(snap["cells"][t].get(p)) for t in snap["teams"]}}


def _visible(m: dict) -> bool:
    return access.group_visible(int(m["reciprocity"]["members"]["value"] or 0))


def _members(m: dict) -> int:
    return int(m["reciprocity"]["members"]["value"] or 0)


def _hidden(m: dict) -> str:
    """Why a team's quarter is not shown: nobody in it, or fewer people than the floor."""
    n = _members(m)
    return exec_trends.NO_DATA if n == 0 else f"hidden: too few people: n={n}, needs {access.MIN_GROUP}"


def long_rows(data: dict[str, Any]) -> pd.DataFrame:
    """One row per (team or organisation, measure) of the quarter: value, sample, previous, change;
    hidden teams marked. The organisation pools the visible teams (`exec_trends.pool`)."""
    rows = []
    cur_vis = {t: _visible(data["current"][t]) for t in data["teams"]}
    prev_vis = {t: _visible(data["before"][t]) for t in data["teams"]}
    for area, key, label, kind in MEASURES:
        cur_figs, prev_figs = [], []
        for t in data["teams"]:
            c = data["current"][t][area][key]
            p = data["before"][t][area][key] if prev_vis[t] else None
            if cur_vis[t]:
                cur_figs.append((_members(data["current"][t]), c))
                if p:
                    prev_figs.append((_members(data["before"][t]), p))
            sample = (_members(data["current"][t]) if kind == "int" else c["sample"]) if cur_vis[t] else None
            rows.append({"quarter": data["quarter"], "scope": t, "measure": label, "kind": kind,
                         "hidden": not cur_vis[t], "value": c["value"] if cur_vis[t] else None,
                         "sample": sample,
                         "previous": p["value"] if (p and cur_vis[t]) else None,
                         "text": fmt(c, kind) if cur_vis[t] else _hidden(data["current"][t]),
                         "change": change(c, p, kind) if cur_vis[t] else "",
                         "direction": change_direction(c, p, exec_trends.BETTER[f"{area}.{key}"], kind)
                         if cur_vis[t] else ""})
        oc = exec_trends.pool(cur_figs, kind)
        op = exec_trends.pool(prev_figs, kind) if prev_figs else None
        rows.append({"quarter": data["quarter"], "scope": "Organisation", "measure": label, "kind": kind,
                     "hidden": not cur_figs, "value": oc["value"] if cur_figs else None, "sample": oc["sample"],
                     "previous": op["value"] if op else None,
                     "text": fmt(oc, kind) if cur_figs else HIDDEN, "change": change(oc, op, kind),
                     "direction": change_direction(oc, op, exec_trends.BETTER[f"{area}.{key}"], kind)})
    return pd.DataFrame(rows)


def csv_text(df: pd.DataFrame) -> str:
    cols = ["quarter", "scope", "measure", "value", "sample", "previous", "change", "hidden"]
    return df[cols].to_csv(index=False)


def render_table(df: pd.DataFrame, scopes: list[str]) -> html.Table:
    head = html.Thead(html.Tr([html.Th("measure")] + [html.Th(s) for s in scopes]))
    body = []
    by_cell = {(r["measure"], r["scope"]): r for r in df.to_dict("records")}  # one pass, not a filter per cell
    for label in dict.fromkeys(df["measure"]):
        cells = [html.Td(label)]
        for s in scopes:
            r = by_cell[(label, s)]
            if r["hidden"]:
                cells.append(html.Td(r["text"], className="hidden-group"))
            else:
                n = "" if r["sample"] is None or pd.isna(r["sample"]) else f" n={int(r['sample'])}"
                cells.append(html.Td([html.Span(r["text"]), _delta(r["change"], r["direction"]),
                                      html.Span(n, className="stat-n")]))
        body.append(html.Tr(cells))
    return html.Table([head, html.Tbody(body)], className="grid exec", id="exec-grid")


def render(data: dict[str, Any], scope: str) -> tuple:
    """The chosen quarter's table (every measure; the organisation and its teams, or one team) and its
    footer, which names exactly what the table shows."""
    df = long_rows(data)
    scopes = sorted(data["teams"]) + ["Organisation"] if scope == ORG else [scope, "Organisation"]
    hidden = sorted(df[(df["hidden"]) & (df["scope"] != "Organisation")]["scope"].unique())
    shown = [s for s in scopes if s != "Organisation"]
    what = (f"{len(shown)} team{'s' if len(shown) != 1 else ''} and the organisation"
            + f", {data['quarter']} with the change from {data['previous']}")
    note = f"hidden ({HIDDEN.split(': ')[1]}): {', '.join(h for h in hidden if h in scopes)} · " if \
        any(h in scopes for h in hidden) else ""
    title = f"All measures, {data['quarter']}" + ("" if scope == ORG else f": {scope}")
    return title, render_table(df, scopes), note + freshness(what, data["summary"])


TEXT_COLOURS = {"better": "#00704f", "worse": "#b34700", "same": "#52606d", "neutral": "#52606d", "": "#52606d"}
"""Change text coloured by what the measure means (darker than the chart colours, for contrast)."""


def _delta(text: str, direction: str) -> html.Span:
    arrow = exec_trends.ARROWS[direction] if text and not text.startswith("n/a") else ""
    return html.Span(f" {arrow}{text}" if text else "", className=f"delta dir-{direction or 'none'}",
                     style={"color": TEXT_COLOURS[direction]})


def _trend_cell(r: dict[str, Any]) -> html.Td:
    if r["value"] is None:
        return html.Td(r["reason"] or "n/a", className="na-reason")
    n = f" n={int(r['n'])}" if r["n"] is not None else ""
    return html.Td([html.Span(r["text"]), _delta(r["change"], r["direction"]), html.Span(n, className="stat-n")],
                   className="partial" if r["partial"] else None)


def trend_table(rs: list[dict[str, Any]], quarters: list[str], rows_by: str) -> html.Table:
    """Quarters as columns; rows are the scopes (one measure) or the measures (one team), in fixed order."""
    keys = list(dict.fromkeys(r[rows_by] for r in rs))
    by = {(r[rows_by], r["quarter"]): r for r in rs}
    head = html.Thead(html.Tr([html.Th("team" if rows_by == "scope" else "measure")]
                              + [html.Th(q + (" (partial)" if by.get((keys[0], q), {}).get("partial") else ""))
                                 for q in quarters]))
    body = [html.Tr([html.Td(k)] + [_trend_cell(by[(k, q)]) for q in quarters]) for k in keys]
    return html.Table([head, html.Tbody(body)], className="grid exec trends", id="exec-trend-grid")


LEGEND = ("Green ▲: better by what the measure means; vermillion ▼: worse; grey: no change. "
          "Grey × at the foot: no figure that quarter (hover or see the table for why). "
          "Open marker and *: the current quarter, not ended (figures to date).")


def render_trends(snap: dict[str, Any], scope: str, measure: str, now: datetime | None = None) -> tuple:
    """(title, small multiples, legend, table title, trend table, footer) for the organisation's teams
    on one measure, or one team on every measure."""
    quarters = snap["quarters"]
    rs = exec_trends.rows(snap["cells"], snap["teams"], quarters, now)
    span = f"{quarters[0]} – {quarters[-1]}"
    if scope == ORG:
        key = measure
        mine = exec_trends.of_measure(rs, key)
        label = exec_trends.KEYS[key][2]
        scopes = list(dict.fromkeys(r["scope"] for r in mine))
        panels = [(s, [r for r in mine if r["scope"] == s]) for s in scopes]
        chart = figures.trend_multiples(panels, quarters, cols=3 if len(panels) > 4 else len(panels) or 1)
        title, table_title = f"{label}: each team, {span}", f"{label} per team and quarter"
        table = trend_table(mine, quarters, "scope")
        what = f"{len(snap['teams'])} teams × {len(quarters)} quarters of {label.lower()}"
    else:
        mine = exec_trends.of_scope(rs, scope)
        panels = [(label, [r for r in mine if r["measure_key"] == k]) for k, (_a, _k, label, *_r)
                  in exec_trends.KEYS.items()]
        chart = figures.trend_multiples(panels, quarters, cols=4, shared_y=False)
        title, table_title = f"{scope}: every measure, {span}", f"{scope}: every measure per quarter"
        table = trend_table(mine, quarters, "measure")
        what = f"{scope}'s {len(exec_trends.KEYS)} measures × {len(quarters)} quarters"
    earlier = (f" · data begins {snap['first']}: no earlier quarters" if len(quarters) < exec_trends.N_QUARTERS
               else "")
    return title, chart, LEGEND, table_title, table, freshness(what, snap["summary"]) + earlier


def _exportable(snap: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    return exec_trends.rows(snap["cells"], snap["teams"], snap["quarters"], now)


def register(app, store) -> None:
    @app.callback(Output("exec-chart-title", "children"), Output("exec-chart", "figure"),
                  Output("exec-legend", "children"), Output("exec-trend-title", "children"),
                  Output("exec-trend-table", "children"), Output("exec-chart-foot", "children"),
                  Output("exec-table-title", "children"), Output("exec-table", "children"),
                  Output("exec-foot", "children"),
                  Input("exec-period", "value"), Input("exec-scope", "value"), Input("exec-measure", "value"))
    def refresh(quarter, scope, measure):
        auth.require(PATH)
        if not quarter:
            return "", figures.empty_figure("Pick a quarter."), "", "", "", "", "", "", ""
        snap = fetch(store, quarter)
        if scope != ORG and scope not in snap["teams"]:
            scope = ORG
        trends = render_trends(snap, scope, measure or "reciprocity.reciprocity_index")
        return (*trends, *render(quarter_data(snap), scope))

    @app.callback(Output("exec-download", "data"), Input("exec-csv", "n_clicks"), State("exec-period", "value"),
                  prevent_initial_call=True)
    def export(_clicks, quarter):
        auth.require(PATH)
        snap = fetch(store, quarter)
        return dcc.send_string(exec_trends.csv_text(_exportable(snap)), f"teamflow-culture-trends-{quarter}.csv")

    @app.callback(Output("exec-download-png", "data"), Input("exec-png", "n_clicks"),
                  State("exec-period", "value"), prevent_initial_call=True)
    def export_png(_clicks, quarter):
        auth.require(PATH)
        from .. import exec_export  # matplotlib loads on the first export, not with the dashboards

        snap = fetch(store, quarter)
        png = exec_export.png_bytes(_exportable(snap), snap["quarters"])
        return dcc.send_bytes(png, f"teamflow-culture-trends-{quarter}.png")

    @app.callback(Output("exec-download-pdf", "data"), Input("exec-pdf", "n_clicks"),
                  State("exec-period", "value"), prevent_initial_call=True)
    def export_pdf(_clicks, quarter):
        auth.require(PATH)
        from .. import exec_export

        snap = fetch(store, quarter)
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        pdf = exec_export.pdf_bytes(_exportable(snap), snap["quarters"], stamp)
        return dcc.send_bytes(pdf, f"teamflow-culture-review-{quarter}.pdf")

    app.clientside_callback("function(n) { if (n) { window.print(); } return ''; }",
                            Output("exec-print-done", "children"), Input("exec-print", "n_clicks"),
                            prevent_initial_call=True)
