"""Pure figure builders: DataFrames and metric dicts in, plotly figures out as plain dicts
({"data": [trace, ...], "layout": {...}}, what `dcc.Graph` draws). No store, no Dash.

Built as dicts, not `plotly.graph_objects.Figure`: graph objects validate and copy every property
on every update, which was 50-100 ms a tile and most of a redraw's time once many pages are open
(docs/dashboards.md). The tests pass every builder's output through `go.Figure`, which validates it.

Colours: the Okabe-Ito palette (safe for the common colour-vision deficiencies), and every
distinction carried by colour is also carried by shape, dash or a label. Nothing here sorts
people by a figure: people appear in person-id order (network) or not at all (histograms).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

Figure = dict[str, Any]
"""{"data": [trace dict, ...], "layout": {...}}: plotly's figure schema, as plotly.js reads it."""

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
SEQUENCE = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]
GREY = "#8a97a6"
OUTCOME_COLOURS = {"won": OKABE_ITO["green"], "lost": OKABE_ITO["vermillion"],
                   "no_decision": OKABE_ITO["orange"], "open": OKABE_ITO["sky"]}
REASON_COLOURS = {"helping": OKABE_ITO["blue"], "sharing": OKABE_ITO["sky"],
                  "failure_transparency": OKABE_ITO["purple"], "customer_outcome": OKABE_ITO["green"],
                  "result": OKABE_ITO["orange"]}


_GRID = "#e5ebf2"
_AXIS_LOOK = dict(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID, ticks="")
TEMPLATE = {"layout": dict(paper_bgcolor="white", plot_bgcolor="white", hovermode="closest",
                           xaxis=_AXIS_LOOK, yaxis=_AXIS_LOOK)}
"""plotly_white's look in the few properties we use: the full template travels with every figure."""


def _template() -> dict[str, Any]:
    """TEMPLATE, a copy per figure (a figure is a plain dict that may be changed later)."""
    return {"layout": {**TEMPLATE["layout"], "xaxis": dict(_AXIS_LOOK), "yaxis": dict(_AXIS_LOOK)}}


def merge(into: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`update` merged into `into` in place, nested dicts key by key (plotly's `update`); returns `into`."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value
    return into


def figure(traces: list[dict[str, Any]] | None = None, **layout: Any) -> Figure:
    return {"data": list(traces or []), "layout": layout}


def axes(fig: Figure, letter: str) -> list[dict[str, Any]]:
    """The layout's axes of one letter ("x": xaxis, xaxis2, ...), `{letter}axis` made when there is none."""
    lay = fig["layout"]
    found = [v for k, v in lay.items() if k.startswith(letter + "axis") and isinstance(v, dict)]
    return found or [lay.setdefault(letter + "axis", {})]


def update_axes(fig: Figure, letter: str, *, name: str | None = None, **props: Any) -> Figure:
    """Merge `props` into every axis of `letter`, or only the layout's axis `name` ("yaxis3")."""
    for axis in ([fig["layout"].setdefault(name, {})] if name else axes(fig, letter)):
        merge(axis, props)
    return fig


def _base(fig: Figure, *, height: int = 260, legend: bool = True, **layout: Any) -> Figure:
    layout.setdefault("margin", dict(l=40, r=10, t=10, b=36))
    update_axes(fig, "x", automargin=True)  # long category labels ("failure transparency") push the margin, never clip
    update_axes(fig, "y", automargin=True)
    merge(fig["layout"], dict(
        height=height, template=_template(),
        font=dict(size=11), colorway=SEQUENCE, showlegend=legend,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), **layout,
    ))
    return fig


def count_axis(fig: Figure, top: float, *, axis: str = "y", name: str | None = None) -> Figure:
    """A count axis ticks at whole numbers only: up to 6 a tick per unit, beyond that plotly's own
    steps (whole numbers there), and a range of 0-1 when every count is 0 (no 0.5 tick). `name`:
    only that axis of a figure with several ("yaxis3")."""
    top = 0 if top is None or (isinstance(top, float) and math.isnan(top)) else top
    if top <= 6:
        update_axes(fig, axis, name=name, tick0=0, dtick=1, rangemode="tozero")
    else:
        update_axes(fig, axis, name=name, tickformat=",d", rangemode="tozero")
    if top <= 0:
        update_axes(fig, axis, name=name, range=[0, 1])
    return fig


def _values(column: Any) -> list[Any]:
    """A column (Series, array, list) as a plain list for a trace."""
    return column.tolist() if hasattr(column, "tolist") else list(column)


def _top(*values: Any) -> float:
    """The largest finite value among numbers and sequences (0 if none)."""
    flat: list[float] = []
    for v in values:
        items = v.tolist() if hasattr(v, "tolist") else (list(v) if isinstance(v, (list, tuple)) else [v])
        flat += [float(x) for x in items if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return max(flat, default=0.0)


def wrap_label(name: str) -> str:
    """A category name on up to two lines ("failure<br>transparency") so tick labels stay level
    instead of rotating into the plot."""
    words = name.replace("_", " ").split()
    return words[0] if len(words) == 1 else " ".join(words[:1]) + "<br>" + " ".join(words[1:])


def _whole(frame: pd.DataFrame) -> bool:
    """Every finite value is a whole number (a count)."""
    vals = pd.to_numeric(frame.stack(), errors="coerce").dropna()
    return bool(((vals % 1) == 0).all())


def empty_figure(message: str, height: int = 220) -> Figure:
    """A blank figure carrying an explanation instead of an empty plot."""
    fig = figure(annotations=[dict(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                   font=dict(size=12, color="#52606d"))],
                 xaxis=dict(visible=False), yaxis=dict(visible=False))
    return _base(fig, height=height, legend=False)


def circle_layout(nodes: list[str]) -> dict[str, tuple[float, float]]:
    """Deterministic positions on a circle, in the given order (starting at the top, clockwise)."""
    n = max(len(nodes), 1)
    return {p: (math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n)) for i, p in enumerate(nodes)}


def label_position(x: float, y: float) -> str:
    """Where a node's name goes on the circle: outward, so names never sit on nodes or ties."""
    vertical = "top" if y > 0.35 else ("bottom" if y < -0.35 else "middle")
    horizontal = "right" if x > 0.35 else ("left" if x < -0.35 else "center")
    return "middle right" if (vertical, horizontal) == ("middle", "center") else f"{vertical} {horizontal}"


def network_figure(members: pd.DataFrame, edges: pd.DataFrame, *, show_names: bool, me: str | None = None
                   ) -> Figure:
    """Who helps whom: reciprocated ties solid blue, one-way ties dashed grey, isolates as open diamonds.

    `members`: person, display_name (the team in the period); `edges`: helper, recipient, acts.
    Nodes sit on a circle in person-id order; without `show_names` nobody is named except "you".
    """
    names = {str(p): str(n or p) for p, n in zip(members.get("person", []), members.get("display_name", []))}
    ties = {(str(h), str(r)): int(a) for h, r, a in zip(edges.get("helper", []), edges.get("recipient", []),
                                                       edges.get("acts", []))}
    nodes = sorted(set(names) | {p for t in ties for p in t})
    if not nodes:
        return empty_figure("No team members in this period.")
    pos = circle_layout(nodes)
    fig = figure()
    drawn: set[tuple[str, str]] = set()
    for style in ("one_way", "reciprocated"):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for (h, r) in sorted(ties):
            pair = tuple(sorted((h, r)))
            mutual = (r, h) in ties
            if (style == "reciprocated") != mutual or pair in drawn:
                continue
            drawn.add(pair)
            (x0, y0), (x1, y1) = pos[h], pos[r]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        if xs:
            fig["data"].append(dict(
                type="scatter", x=xs, y=ys, mode="lines", hoverinfo="skip",
                name="reciprocated tie" if style == "reciprocated" else "one-way tie",
                line=dict(color=OKABE_ITO["blue"] if style == "reciprocated" else GREY,
                          width=2.5 if style == "reciprocated" else 1.2,
                          dash="solid" if style == "reciprocated" else "dot")))
    # One-way ties get an arrow head near the recipient, so direction is visible without colour.
    arrows = []
    for (h, r) in sorted(ties):
        if (r, h) in ties:
            continue
        (x0, y0), (x1, y1) = pos[h], pos[r]
        arrows.append(dict(x=x0 + 0.85 * (x1 - x0), y=y0 + 0.85 * (y1 - y0), ax=x0 + 0.7 * (x1 - x0),
                           ay=y0 + 0.7 * (y1 - y0), xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowsize=1, arrowwidth=1, arrowcolor=GREY, text=""))
    if arrows:
        fig["layout"]["annotations"] = arrows
    tied = {p for t in ties for p in t}
    for group in ("tied", "isolate"):
        ps = [p for p in nodes if (p in tied) == (group == "tied")]
        if not ps:
            continue
        labels = [names.get(p, p) if show_names else ("you" if p == me else "") for p in ps]
        hover = []
        for p in ps:
            gives = sum(1 for (h, _) in ties if h == p)
            gets = sum(1 for (_, r) in ties if r == p)
            who = names.get(p, p) if show_names else ("you" if p == me else "a colleague")
            hover.append(f"{who}: helps {gives}, helped by {gets}" if group == "tied" else f"{who}: no ties")
        fig["data"].append(dict(
            type="scatter", x=[pos[p][0] for p in ps], y=[pos[p][1] for p in ps], mode="markers+text", text=labels,
            textposition=[label_position(*pos[p]) for p in ps], hovertext=hover, hoverinfo="text",
            name="with ties" if group == "tied" else "no ties (isolate)",
            marker=dict(size=16, symbol="circle" if group == "tied" else "diamond-open",
                        color=OKABE_ITO["sky"] if group == "tied" else OKABE_ITO["vermillion"],
                        line=dict(width=2, color=OKABE_ITO["black"] if group == "tied" else OKABE_ITO["vermillion"]))))
    update_axes(fig, "x", visible=False, range=[-1.9, 1.9])  # room for names placed outward (label_position)
    update_axes(fig, "y", visible=False, range=[-1.3, 1.35], scaleanchor="x")
    return _base(fig, height=330)


def balance_histogram(balance: pd.DataFrame) -> Figure:
    """Distribution of give/get balance (acknowledged help given minus received) over members, no names."""
    if balance.empty:
        return empty_figure("No members in this period.")
    diff = (balance["given"] - balance["received"]).astype(int).tolist()
    fig = figure([dict(type="histogram", x=diff, xbins=dict(size=max(1, (max(diff) - min(diff)) // 12 or 1)),
                       marker=dict(color=OKABE_ITO["blue"], line=dict(color="white", width=1)),
                       hovertemplate="balance %{x}: %{y} people<extra></extra>")],
                 shapes=[dict(type="line", x0=0, x1=0, xref="x", y0=0, y1=1, yref="y domain",
                              line=dict(color=OKABE_ITO["black"], dash="dash", width=1))],
                 xaxis=dict(title=dict(text="help given − received (acknowledged)")),
                 yaxis=dict(title=dict(text="people"), dtick=1))
    return _base(fig, legend=False, bargap=0.05)


def _bar(name: str | None, x: Any, y: Any, colour: Any, pattern: Any = None, **props: Any) -> dict[str, Any]:
    """A bar trace; `pattern`: its fill pattern ("/", "x", "."; per bar when a list)."""
    marker: dict[str, Any] = {"color": colour}
    if pattern is not None:
        marker["pattern"] = {"shape": pattern}
    bar = dict(type="bar", x=_values(x), y=_values(y), marker=marker, **props)
    return bar if name is None else {"name": name, **bar}


def knowledge_figure(by_kind: pd.DataFrame) -> Figure:
    """Artifacts shared per kind and how many were reused by colleagues (and across teams)."""
    if by_kind.empty:
        return empty_figure("Nothing shared in this period.")
    kinds = [wrap_label(str(k)) for k in by_kind["kind"]]
    fig = figure([
        _bar("shared", kinds, by_kind["shared"], OKABE_ITO["blue"]),
        _bar("reused within 30 days", kinds, by_kind["reused"], OKABE_ITO["orange"], "/"),
        _bar("cross-team reuses", kinds, by_kind["cross_team_reuses"], OKABE_ITO["green"], "."),
    ], yaxis=dict(title=dict(text="artifacts / reuses")), xaxis=dict(tickangle=0))
    count_axis(fig, _top(by_kind["shared"], by_kind["reused"], by_kind["cross_team_reuses"]))
    return _base(fig, barmode="group")


def failure_figure(failed: pd.DataFrame) -> Figure:
    """Lost and no-decision deals: reviewed within 14 days, reviewed later, or not reviewed."""
    if failed.empty:
        return empty_figure("No lost or no-decision deals closed in this period.")
    status = ["reviewed ≤ 14 days" if w else ("reviewed later" if not math.isnan(d) else "no review")
              for w, d in zip(failed["reviewed_in_window"], failed["days_to_review"])]
    outcomes = [str(o) for o in failed["outcome"]]
    order = ["reviewed ≤ 14 days", "reviewed later", "no review"]
    colours = [OKABE_ITO["green"], OKABE_ITO["sky"], OKABE_ITO["vermillion"]]
    patterns = ["", "/", "x"]
    traces = []
    for s, c, pat in zip(order, colours, patterns):
        counts = [sum(1 for st, o in zip(status, outcomes) if st == s and o == want)
                  for want in ("lost", "no_decision")]
        traces.append(_bar(s, ["lost", "no decision"], counts, c, pat))
    fig = figure(traces, yaxis=dict(title=dict(text="deals")))
    count_axis(fig, len(status))
    return _base(fig, barmode="stack")


def share_bars(items: list[tuple[str, dict[str, Any]]], *, title: str = "share") -> Figure:
    """Horizontal bars of share figures; an insufficient figure shows 'not enough data (n, needs m)'."""
    if items and all(f["insufficient"] for _, f in items):
        return empty_figure("Not enough data in this period for any of these shares: "
                            + "; ".join(f"{label} n={f['sample']}, needs {f['min_sample']}" for label, f in items)
                            .replace("; ", "<br>"), height=60 + 45 * len(items))
    labels = [label for label, _ in items]
    values = [f["value"] * 100 if not f["insufficient"] else 0 for _, f in items]
    texts = [f"{f['value'] * 100:.0f}% (n={f['sample']})" if not f["insufficient"]
             else f"not enough data (n={f['sample']}, needs {f['min_sample']})" for _, f in items]
    fig = figure([_bar(None, values, labels, OKABE_ITO["blue"], orientation="h", text=texts, textposition="auto",
                       insidetextanchor="start", hovertemplate="%{y}: %{text}<extra></extra>")],
                 xaxis=dict(range=[0, 100], title=dict(text=f"{title} (%)")), yaxis=dict(autorange="reversed"))
    # bargap: in a tile that grows (responsive) the bars stay bars, not blocks
    return _base(fig, legend=False, height=60 + 45 * len(items), margin=dict(l=190, r=10, t=10, b=36), bargap=0.55)


def recognition_figure(by_reason: dict[str, int]) -> Figure:
    """Recognition given by reason (after the per-pair cap): collaboration reasons vs results."""
    if not sum(by_reason.values()):
        return empty_figure("No recognition given in this period.")
    reasons = list(by_reason)
    counts = [by_reason[r] for r in reasons]
    fig = figure([_bar(None, [wrap_label(r) for r in reasons], counts, [REASON_COLOURS.get(r, GREY) for r in reasons],
                       ["" if r != "result" else "x" for r in reasons], text=[str(c) for c in counts],
                       textposition="outside")],
                 yaxis=dict(title=dict(text="recognitions")), xaxis=dict(tickangle=0))
    count_axis(fig, _top(counts) * 1.15)  # room for the value labels above the bars
    return _base(fig, legend=False)


def buyer_scatter(deals: pd.DataFrame) -> Figure:
    """Open deals by seller gives (x) and buyer gives (y); "all give, no get" deals as red crosses."""
    if deals.empty:
        return empty_figure("No open deals at the end of this period.")
    groups = deals.groupby(["seller_gave", "buyer_gave", "all_give_no_get"]).size().reset_index(name="deals")
    fig = figure()
    for flag, name, colour, symbol in ((False, "balanced or early", OKABE_ITO["blue"], "circle"),
                                       (True, "all give, no get", OKABE_ITO["vermillion"], "x")):
        g = groups[groups["all_give_no_get"] == flag]
        if g.empty:
            continue
        fig["data"].append(dict(
            type="scatter", x=_values(g["seller_gave"]), y=_values(g["buyer_gave"]), mode="markers", name=name,
            marker=dict(size=[8 + 4 * math.sqrt(n) for n in g["deals"]], color=colour, symbol=symbol,
                        line=dict(width=1, color="white")), cliponaxis=False,
            text=_values(g["deals"]), hovertemplate="seller gave %{x}, buyer gave %{y}: %{text} deals<extra></extra>"))
    top = int(max(deals["seller_gave"].max(), deals["buyer_gave"].max(), 3)) + 1
    fig["data"].append(dict(type="scatter", x=[0, top], y=[0, top], mode="lines", name="symmetric",
                            line=dict(color=GREY, dash="dash", width=1), hoverinfo="skip"))
    # A little room below 0: "all give, no get" deals sit at buyer gave = 0 and were cut in half there.
    update_axes(fig, "x", title=dict(text="seller gave (demos, proposals, time ...)"), range=[-0.5, top + 0.5])
    update_axes(fig, "y", title=dict(text="buyer gave (commitments ...)"), range=[-0.5, top + 0.5])
    return _base(fig, height=300)


def rediscovery_figure(ends: dict[str, dict[str, int]]) -> Figure:
    """Deals with a withdrawn proposal: restarted discovery or not, and how they ended."""
    if not sum(sum(v.values()) for v in ends.values()):
        return empty_figure("No proposal was withdrawn in this period.")
    groups = ["restarted", "not_restarted"]
    fig = figure([_bar(outcome.replace("_", " "), [g.replace("_", " ") for g in groups],
                       [ends.get(g, {}).get(outcome, 0) for g in groups], OUTCOME_COLOURS[outcome])
                  for outcome in ("won", "lost", "no_decision", "open")],
                 yaxis=dict(title=dict(text="deals")))
    count_axis(fig, max(sum(ends.get(g, {}).values()) for g in groups))
    return _base(fig, barmode="stack")


def roles_figure(roles: pd.DataFrame) -> Figure:
    """Collaborators brought onto the deals closed in the period, by role."""
    if roles.empty:
        return empty_figure("No collaborators on deals closed in this period.")
    fig = figure([_bar(None, [str(r).replace("_", " ") for r in roles["role"]], roles["deals"], OKABE_ITO["green"],
                       text=_values(roles["deals"]), textposition="outside",
                       hovertemplate="%{x}: on %{y} deals<extra></extra>")],
                 yaxis=dict(title=dict(text="deals")))
    count_axis(fig, _top(roles["deals"]) * 1.15)
    return _base(fig, legend=False)


def _numbers(column: Any) -> list[Any]:
    """A numeric column as a list with NaN as None (a gap in a line)."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in _values(column)]


def trend_figure(trend: pd.DataFrame, series: list[tuple[str, str]], *, percent: bool = False,
                 y_title: str = "") -> Figure:
    """Lines over periods: `trend` has a `period` column and one column per series (NaN = not enough data)."""
    if trend.empty:
        return empty_figure("No periods with data yet.")
    symbols = ["circle", "square", "diamond", "triangle-up", "x", "cross"]
    fig = figure([dict(type="scatter", x=_values(trend["period"]), y=_numbers(trend[col] * (100 if percent else 1)),
                       mode="lines+markers", name=label, connectgaps=False,
                       marker=dict(symbol=symbols[i % len(symbols)], size=8),
                       line=dict(color=SEQUENCE[i % len(SEQUENCE)], dash=["solid", "dash", "dot"][i % 3]))
                  for i, (col, label) in enumerate(series)],
                 xaxis=dict(type="category"),
                 yaxis=dict(title=dict(text=y_title + (" (%)" if percent else "")), rangemode="tozero"),
                 legend=dict(font=dict(size=10), itemwidth=30, tracegroupgap=0))
    if not percent and _whole(trend[[c for c, _ in series]]):
        count_axis(fig, _top(*(trend[c] for c, _ in series)))
    return _base(fig, height=240)


DIRECTION_COLOURS = {"better": OKABE_ITO["green"], "worse": OKABE_ITO["vermillion"], "same": GREY,
                     "neutral": GREY, "": OKABE_ITO["blue"]}
"""Executive trends: a change coloured by what the measure means (never by rank); the marker
shape says the same (up/down triangle, circle for no change or the first shown quarter)."""
DIRECTION_SYMBOLS = {"better": "triangle-up", "worse": "triangle-down", "same": "circle", "neutral": "circle",
                     "": "circle"}


def _grid(rows: int, cols: int, titles: list[str], vertical_spacing: float) -> dict[str, Any]:
    """The layout of a grid of subplots (axes domains and anchors, titles as annotations), from
    plotly's make_subplots; its default template left out (ours is set by _base)."""
    from plotly.subplots import make_subplots

    layout = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=False, horizontal_spacing=0.06,
                           vertical_spacing=vertical_spacing).to_plotly_json()["layout"]
    layout.pop("template", None)
    return layout


def trend_multiples(panels: list[tuple[str, list[dict[str, Any]]]], quarters: list[str], *, cols: int = 3,
                    shared_y: bool = True) -> Figure:
    """Small multiples of the executive trends: one panel per (title, rows of one scope and measure),
    quarters oldest first. A quarter without a shown figure is a gap with a grey × at the foot of the
    panel whose hover names the reason; the partial current quarter has an open marker."""
    if not panels:
        return empty_figure("No team in these quarters.")
    n_rows = math.ceil(len(panels) / cols)
    fig = figure(**_grid(n_rows, cols, [t for t, _ in panels], min(0.3, 90 / (200 * n_rows))))
    top = 0.0
    for i, (_title, rs) in enumerate(panels):
        cell = dict(xaxis=f"x{i + 1 if i else ''}", yaxis=f"y{i + 1 if i else ''}")
        k = 100 if rs and rs[0]["kind"] == "pct" else 1
        by_q = {x["quarter"]: x for x in rs}
        ys = [None if by_q.get(q, {}).get("value") is None else by_q[q]["value"] * k for q in quarters]
        top = max([top] + [y for y in ys if y is not None])
        shown = [q for q, y in zip(quarters, ys) if y is not None]
        colours = [DIRECTION_COLOURS[by_q[q]["direction"]] for q in shown]
        fig["data"].append(dict(type="scatter", x=list(quarters), y=ys, mode="lines", connectgaps=False,
                                showlegend=False, line=dict(color=OKABE_ITO["blue"], width=2), hoverinfo="skip",
                                **cell))
        fig["data"].append(dict(
            type="scatter", x=shown, y=[y for y in ys if y is not None], mode="markers", showlegend=False,
            marker=dict(size=9, color=colours,
                        symbol=[DIRECTION_SYMBOLS[by_q[q]["direction"]] + ("-open" if by_q[q]["partial"] else "")
                                for q in shown], line=dict(width=2, color=list(colours))),
            text=[f"{by_q[q]['text']} (n={by_q[q]['n']}) {by_q[q]['change']}"
                  + (" · partial quarter, to date" if by_q[q]["partial"] else "") for q in shown],
            hovertemplate="%{x}: %{text}<extra></extra>", **cell))
        missing = [q for q, y in zip(quarters, ys) if y is None]
        if missing:
            fig["data"].append(dict(type="scatter", x=missing, y=[0] * len(missing), mode="markers", showlegend=False,
                                    marker=dict(symbol="x", size=8, color=GREY),
                                    text=[by_q.get(q, {}).get("reason") or "no data" for q in missing],
                                    hovertemplate="%{x}: %{text}<extra></extra>", **cell))
    ticks = [q + "*" if any(x["quarter"] == q and x["partial"] for _, rs in panels for x in rs) else q
             for q in quarters]
    update_axes(fig, "x", type="category", categoryorder="array", categoryarray=list(quarters), tickangle=-45,
                tickfont=dict(size=9), tickvals=list(quarters), ticktext=ticks)
    if shared_y:
        update_axes(fig, "y", range=[0, top * 1.12 if top else 1])
    else:
        update_axes(fig, "y", rangemode="tozero")
    for i, (_title, rs) in enumerate(panels):
        if rs and rs[0]["kind"] == "int":
            vals = [x["value"] for x in rs if x.get("value") is not None]
            count_axis(fig, top if shared_y else _top(vals), name=f"yaxis{i + 1 if i else ''}")
    for note in fig["layout"].get("annotations", []):
        merge(note, {"font": {"size": 11}})
    return _base(fig, height=max(240, 200 * n_rows), legend=False, margin=dict(l=36, r=10, t=30, b=40))


def trend_with_partial(trend: pd.DataFrame, series: list[tuple[str, str]], *, partial: str | None = None,
                       percent: bool = False, y_title: str = "") -> Figure:
    """`trend_figure` whose last period, when it is still running (`partial`), is drawn apart: its
    points hollow and unconnected, its label '… so far', so a month two days old does not read as a
    drop. A trend with no figure at all says why instead of drawing empty axes."""
    if trend.empty:
        return empty_figure("No periods with data yet.")
    cols = [c for c, _ in series]
    if trend[cols].isna().all().all():
        return empty_figure("Not enough data in any of these periods to draw a line.")
    if not partial or str(trend["period"].iloc[-1]) != partial:
        return trend_figure(trend, series, percent=percent, y_title=y_title)
    label = f"{partial} so far"
    done = trend.iloc[:-1]
    fig = trend_figure(done, series, percent=percent, y_title=y_title) if not done.empty else _base(figure(),
                                                                                                   height=240)
    last = trend.iloc[-1]
    symbols = ["circle-open", "square-open", "diamond-open", "triangle-up-open", "x-open", "cross-open"]
    for i, (col, name) in enumerate(series):
        value = _numbers([last[col] * (100 if percent else 1)])
        fig["data"].append(dict(type="scatter", x=[label], y=value, mode="markers", name=f"{name} ({label})",
                                showlegend=False, cliponaxis=False,
                                marker=dict(symbol=symbols[i % len(symbols)], size=9,
                                            color=SEQUENCE[i % len(SEQUENCE)]),
                                hovertemplate=f"{name}, {label} (period not over): %{{y}}<extra></extra>"))
    update_axes(fig, "x", type="category", categoryorder="array",
                categoryarray=[str(p) for p in done["period"]] + [label],
                title=dict(text=f"hollow: {partial} is not over yet", font=dict(size=10, color=GREY)))
    if not percent and _whole(trend[cols]):
        count_axis(fig, _top(*(trend[c] for c in cols)))
    return fig
