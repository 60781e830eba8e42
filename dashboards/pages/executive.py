"""Executive (quarterly): each culture measure per team and quarter, the change from the previous
quarter, drill-down from the organisation to a team, CSV export and print-to-PDF.

No individual appears here. A team with fewer than 5 members in a quarter is hidden ("hidden:
fewer than 5 people"). The organisation column pools the visible teams: each measure is the
mean of the team values weighted by their samples (counts are summed); cross-team help ties are
not in any team's network, so the organisation's reciprocity is a pooled team figure.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from dash import Input, Output, State, dcc, html

from projections.metrics import previous_period, teams

from .. import access, auth, data_cache, figures, read_model
from ..components import change, empty_state, filters, fmt, freshness, labelled, period_options

PATH = "/executive"
ORG = "__organisation__"

MEASURES: list[tuple[str, str, str, str]] = [
    ("reciprocity", "reciprocity_index", "Reciprocity index", "pct"),
    ("reciprocity", "density", "Helping network density", "pct"),
    ("reciprocity", "isolates", "Members with no helping ties", "int"),
    ("buyer_reciprocity", "buyer_share", "Buyer share of exchanges", "pct"),
    ("buyer_reciprocity", "all_give_no_get_share", "Deals all give, no get", "pct"),
    ("information_sharing", "artifacts_per_person_month", "Artifacts per person-month", "num"),
    ("information_sharing", "reuse_rate", "Artifacts reused within 30 days", "pct"),
    ("information_sharing", "cross_team_reuse_share", "Cross-team reuse", "pct"),
    ("failure_transparency", "review_rate", "Lost deals reviewed within 14 days", "pct"),
    ("failure_transparency", "median_days_to_review", "Median days to review", "days"),
    ("failure_transparency", "lesson_reuse_rate", "Lessons reused", "pct"),
    ("proposal_rediscovery", "restart_rate", "Withdrawn deals restarting discovery", "pct"),
    ("collaboration", "collaborative_share", "Deals with collaborators", "pct"),
    ("customer_outcomes", "criteria_defined_before_close", "Success criteria before close", "pct"),
    ("customer_outcomes", "handed_off_with_criteria", "Handed off with criteria", "pct"),
    ("customer_outcomes", "criteria_met_by_due", "Criteria met by due date", "pct"),
    ("customer_outcomes", "referrals_made", "Referrals made", "int"),
    ("recognition", "helping_sharing_failure_share", "Recognition for helping, sharing, failures", "pct"),
]
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
        html.P("Each component on its own (no combined score), with the change from the previous quarter. "
               "Teams under 5 people are hidden; no individual is shown.", className="lede"),
        filters(
            labelled("Quarter", dcc.Dropdown(id="exec-period", options=quarters, value=quarters[0], clearable=False,
                                             className="dd-period")),
            labelled("Drill down", dcc.Dropdown(id="exec-scope", clearable=False, className="dd-team",
                                                options=[{"label": "Organisation", "value": ORG}]
                                                + [{"label": t, "value": t} for t in known], value=ORG)),
            labelled("Measure", dcc.Dropdown(id="exec-measure", clearable=False, className="dd-measure",
                                             options=[{"label": m[2], "value": f"{m[0]}.{m[1]}"} for m in MEASURES],
                                             value="reciprocity.reciprocity_index")),
            html.Button("Export CSV", id="exec-csv", className="btn"),
            html.Button("Print / save as PDF", id="exec-print", className="btn"),
            dcc.Download(id="exec-download"),
        ),
        html.Div([
            html.Div([html.H3(id="exec-chart-title"), dcc.Graph(id="exec-chart", config={"displaylogo": False}),
                      html.Div(id="exec-chart-foot", className="fresh")], className="tile wide"),
            html.Div([html.H3("All measures"), html.Div(id="exec-table", className="scroll"),
                      html.Div(id="exec-foot", className="fresh")], className="tile wide"),
        ], className="tiles"),
        html.Div(id="exec-print-done", hidden=True),
    ])


def fetch(store, quarter: str, team_list: list[str] | None = None) -> dict[str, Any]:
    """Every team's metrics for the quarter and the one before: the page's latest snapshot, kept
    current in the background (dashboards.read_model)."""
    key = ("executive", quarter, None if team_list is None else tuple(team_list))
    return read_model.page_data(store, key, lambda: _fetch(store, quarter, team_list))


def _fetch(store, quarter: str, team_list: list[str] | None) -> dict[str, Any]:
    prev = previous_period(quarter)
    names = team_list if team_list is not None else teams(store)
    return {"quarter": quarter, "previous": prev, "teams": names,
            "current": {t: data_cache.team_metrics(store, t, quarter) for t in names},
            "before": {t: data_cache.team_metrics(store, t, prev) for t in names}}


def fetch_trend(store, team: str, quarter: str, n: int = 4) -> dict[str, dict]:
    """One team's (or the organisation's) last n quarters, from the read model like the page."""
    qs = [quarter]
    while len(qs) < n:
        qs.append(previous_period(qs[-1]))
    snap = read_model.page_data(store, ("executive-trend", team, quarter, n),
                                lambda: {"by_quarter": {q: data_cache.team_metrics(store, team, q) for q in reversed(qs)}})
    return snap["by_quarter"]


def _visible(m: dict) -> bool:
    return access.group_visible(int(m["reciprocity"]["members"]["value"]))


def _pool(figs: list[dict], kind: str) -> dict[str, Any]:
    if kind == "int":  # counts add up; the sample is the teams' samples (members), not the sum of values
        ok = [f for f in figs if not f["insufficient"]]
        return {"value": sum(f["value"] or 0 for f in ok), "sample": sum(f["sample"] or 0 for f in figs),
                "min_sample": 0, "insufficient": not ok}
    ok = [f for f in figs if not f["insufficient"] and f["sample"]]
    sample = sum(f["sample"] for f in figs)
    if not ok:
        return {"value": None, "sample": sample, "min_sample": max((f["min_sample"] for f in figs), default=0),
                "insufficient": True}
    weight = sum(f["sample"] for f in ok)
    return {"value": sum(f["value"] * f["sample"] for f in ok) / weight, "sample": sample,
            "min_sample": 0, "insufficient": False}


def long_rows(data: dict[str, Any]) -> pd.DataFrame:
    """One row per (team or organisation, measure): value, sample, previous, change; hidden teams marked."""
    rows = []
    cur_vis = {t: _visible(data["current"][t]) for t in data["teams"]}
    prev_vis = {t: _visible(data["before"][t]) for t in data["teams"]}
    for area, key, label, kind in MEASURES:
        cur_figs, prev_figs = [], []
        for t in data["teams"]:
            c = data["current"][t][area][key]
            p = data["before"][t][area][key] if prev_vis[t] else None
            if cur_vis[t]:
                cur_figs.append(c)
                if p:
                    prev_figs.append(p)
            rows.append({"quarter": data["quarter"], "scope": t, "measure": label, "kind": kind,
                         "hidden": not cur_vis[t], "value": c["value"] if cur_vis[t] else None,
                         "sample": c["sample"] if cur_vis[t] else None,
                         "previous": p["value"] if (p and cur_vis[t]) else None,
                         "text": fmt(c, kind) if cur_vis[t] else HIDDEN,
                         "change": change(c, p, kind) if cur_vis[t] else ""})
        oc, op = _pool(cur_figs, kind), (_pool(prev_figs, kind) if prev_figs else None)
        rows.append({"quarter": data["quarter"], "scope": "Organisation", "measure": label, "kind": kind,
                     "hidden": not cur_figs, "value": oc["value"] if cur_figs else None, "sample": oc["sample"],
                     "previous": op["value"] if op else None,
                     "text": fmt(oc, kind) if cur_figs else HIDDEN, "change": change(oc, op, kind)})
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
                cells.append(html.Td(HIDDEN, className="hidden-group"))
            else:
                n = "" if r["sample"] is None or pd.isna(r["sample"]) else f" n={int(r['sample'])}"
                cells.append(html.Td([html.Span(r["text"]), html.Span(f" {r['change']}", className="delta"),
                                      html.Span(n, className="stat-n")]))
        body.append(html.Tr(cells))
    return html.Table([head, html.Tbody(body)], className="grid exec", id="exec-grid")


def render(data: dict[str, Any], scope: str, measure: str, trend: dict[str, dict] | None = None) -> tuple:
    df = long_rows(data)
    area, key, label, kind = MEASURE_KEYS[measure]
    last = data["summary"]
    if scope == ORG:
        scopes = sorted(data["teams"]) + ["Organisation"]
        rows = df[(df["measure"] == label) & (df["scope"] != "Organisation") & (~df["hidden"])]
        chart = figures.org_measure_figure(rows.rename(columns={"scope": "team"}), label, percent=kind == "pct")
        title = f"{label}: teams, {data['previous']} → {data['quarter']}"
        hidden = sorted(df[(df["hidden"]) & (df["scope"] != "Organisation")]["scope"].unique())
        foot = (f"hidden ({HIDDEN.split(': ')[1]}): {', '.join(hidden)} · " if hidden else "") + freshness(
            f"{len(data['teams'])} teams' metrics", last)
    else:
        scopes = [scope]
        visible_q = [q for q, m in (trend or {}).items() if _visible(m)]
        trend_df = pd.DataFrame([{"period": q, "value": (trend[q][area][key]["value"] if q in visible_q else None)}
                                 for q in (trend or {})])
        if trend_df.empty or trend_df["value"].isna().all():
            chart = figures.empty_figure(f"{scope}: {HIDDEN} or not enough data in these quarters.")
        else:
            chart = figures.trend_figure(trend_df.astype({"value": float}), [("value", label)],
                                         percent=kind == "pct", y_title=label)
        title = f"{label}: {scope}, last {len(trend or {})} quarters"
        foot = freshness(f"{scope}'s metrics for {len(trend or {})} quarters", last)
    table_foot = freshness(f"{len(data['teams'])} teams × 2 quarters ({data['previous']}, {data['quarter']}) "
                           "of metrics", last)
    return title, chart, foot, render_table(df, scopes), table_foot


def register(app, store) -> None:
    @app.callback(Output("exec-chart-title", "children"), Output("exec-chart", "figure"),
                  Output("exec-chart-foot", "children"), Output("exec-table", "children"),
                  Output("exec-foot", "children"),
                  Input("exec-period", "value"), Input("exec-scope", "value"), Input("exec-measure", "value"))
    def refresh(quarter, scope, measure):
        auth.require(PATH)
        if not quarter:
            return "", figures.empty_figure("Pick a quarter."), "", "", ""
        data = fetch(store, quarter)
        if scope != ORG and scope not in data["teams"]:
            scope = ORG
        trend = fetch_trend(store, scope, quarter) if scope != ORG else None
        return render(data, scope, measure or "reciprocity.reciprocity_index", trend)

    @app.callback(Output("exec-download", "data"), Input("exec-csv", "n_clicks"), State("exec-period", "value"),
                  prevent_initial_call=True)
    def export(_clicks, quarter):
        auth.require(PATH)
        df = long_rows(fetch(store, quarter))
        return dcc.send_string(csv_text(df), f"teamflow-culture-{quarter}.csv")

    app.clientside_callback("function(n) { if (n) { window.print(); } return ''; }",
                            Output("exec-print-done", "children"), Input("exec-print", "n_clicks"),
                            prevent_initial_call=True)
