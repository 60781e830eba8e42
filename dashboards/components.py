"""Building blocks shared by the pages: figure text, tiles, filters, periods, empty states.

Pure functions of their arguments (no store, no Flask), so layouts and texts are unit-testable.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from dash import dcc, html

from projections.metrics import parse_period, previous_period

EMPTY_STORE = ("No events yet — run `teamflow demo` (or `teamflow up`) to produce simulated events, "
               "or send events to the topic; see docs/ops-guide.md and docs/contract.md.")
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}
"""No Plotly toolbar: it sat over legends and bars. The executive page exports PNG with a button."""
KINDS = [("quarter", "Quarter"), ("month", "Month"), ("week", "Week")]


def fmt(fig: dict[str, Any] | None, kind: str = "pct") -> str:
    """A metric figure as text; below its minimum sample: 'not enough data (n=3, needs 5)'."""
    if not fig:
        return "—"
    if fig.get("insufficient"):
        return f"not enough data (n={_num(fig.get('sample'))}, needs {_num(fig.get('min_sample'))})"
    v = fig["value"]
    if kind == "pct":
        return f"{v * 100:.0f}%"
    if kind == "days":
        return f"{v:.1f} days"
    if kind == "int":
        return f"{int(v):,}"
    return f"{v:.2f}"


def _num(x: Any) -> str:
    if isinstance(x, float) and not x.is_integer():
        return f"{x:.1f}"
    return f"{int(x or 0):,}"


def change(cur: dict | None, prev: dict | None, kind: str = "pct") -> str:
    """Change from the previous period, rounded as the figures are shown ('±0 pts', never '-0 pts');
    'n/a' plus why when either side lacks data (see `change_reason`)."""
    reason = change_reason(cur, prev)
    if reason:
        return f"n/a ({reason})"
    d = cur["value"] - prev["value"]
    if kind == "pct":
        r = round(d * 100)
        return "±0 pts" if r == 0 else f"{r:+d} pts"
    if kind == "days":
        r = round(d, 1)
        return "±0.0 days" if r == 0 else f"{r:+.1f} days"
    if kind == "int":
        r = int(round(d))
        return "±0" if r == 0 else f"{r:+,}"
    r = round(d, 2)
    return "±0.00" if r == 0 else f"{r:+.2f}"


def change_reason(cur: dict | None, prev: dict | None) -> str:
    """Why a change cannot be shown ('' when it can): 'too few now: n=3, needs 5', 'no previous data'."""
    if not cur:
        return "no data now"
    if cur.get("insufficient") or cur.get("value") is None:
        return f"too few now: n={_num(cur.get('sample'))}, needs {_num(cur.get('min_sample'))}"
    if not prev:
        return "no previous data"
    if prev.get("insufficient") or prev.get("value") is None:
        return f"too few before: n={_num(prev.get('sample'))}, needs {_num(prev.get('min_sample'))}"
    return ""


def change_direction(cur: dict | None, prev: dict | None, better: str, kind: str = "pct") -> str:
    """'better', 'worse' or 'same' by what the measure means (`better`: 'up', 'down' or '' = neutral,
    then 'neutral' for any change), never by rank; '' when the change cannot be shown."""
    if change_reason(cur, prev):
        return ""
    d = cur["value"] - prev["value"]
    shown = round(d * 100) if kind == "pct" else round(d, 1 if kind == "days" else 2)
    if shown == 0:
        return "same"
    if not better:
        return "neutral"
    return "better" if (shown > 0) == (better == "up") else "worse"


def stat(label: str, fig: dict | None, kind: str = "pct", sample_label: str = "") -> html.Div:
    """One labelled figure with its sample size beside it."""
    n = "" if not fig else f"n={_num(fig.get('sample'))}" + (f" {sample_label}" if sample_label else "")
    cls = "stat insufficient" if fig and fig.get("insufficient") else "stat"
    return html.Div([html.Span(label, className="stat-label"), html.Span(fmt(fig, kind), className="stat-value"),
                     html.Span(n, className="stat-n")], className=cls)


def _utc(text: str) -> datetime:
    then = datetime.fromisoformat(text)
    return then if then.tzinfo else then.replace(tzinfo=timezone.utc)


STALE_FLOOR_SECONDS = 20.0
STALE_AFTER_SECONDS = 30.0
"""A tile's footer turns into a warning when its figures are older than this: a few refresh
intervals (create_app sets it to 3 × TEAMFLOW_DASH_REFRESH_MS, at least STALE_FLOOR_SECONDS: the
read model recomputes a changed snapshot as soon as it sees the change, plus its compute time)."""


def figures_time(summary: dict[str, Any], now: datetime) -> datetime:
    """When the figures were last known to match the store: computed (`as_of`), or confirmed
    unchanged since by the read model (`confirmed_at`: the data version had not moved)."""
    times = [_utc(summary[k]) for k in ("as_of", "confirmed_at") if summary.get(k)]
    return max(times) if times else now


def age_text(seconds: float) -> str:
    """'updated 12 s ago', 'updated 3 min ago', 'updated 2 h ago', 'updated just now'."""
    s = max(0, int(seconds))
    if s < 2:
        return "updated just now"
    if s < 120:
        return f"updated {s} s ago"
    if s < 7200:
        return f"updated {s // 60} min ago"
    return f"updated {s // 3600} h ago"


def freshness(basis: str, summary: dict[str, Any], now: datetime | None = None) -> str:
    """'rests on 53 ties · updated 12 s ago (12:03:05 UTC) · newest event 4 s before'.

    `summary` is the one read with the figures (dashboards.read_model): `as_of` is when they were
    computed, `confirmed_at` when they were last found to match the data, `last_ingested` the newest
    event they include.
    """
    now = now or datetime.now(timezone.utc)
    at = figures_time(summary, now)
    last_ingested = summary.get("last_ingested")
    as_of = _utc(summary["as_of"]) if summary.get("as_of") else at
    if not last_ingested:
        landed = "no events yet"
    else:
        landed = f"newest event landed {max(0, int((as_of - _utc(last_ingested)).total_seconds()))} s before"
    return f"rests on {basis} · {age_text((now - at).total_seconds())} ({at:%H:%M:%S} UTC) · {landed}"


def is_stale(summary: dict[str, Any], now: datetime | None = None, after: float | None = None) -> bool:
    now = now or datetime.now(timezone.utc)
    return (now - figures_time(summary, now)).total_seconds() > (STALE_AFTER_SECONDS if after is None else after)


def foot(basis: str, summary: dict[str, Any], now: datetime | None = None) -> html.Span:
    """A tile's freshness footer: the `freshness` text, turned into a warning when stale. Carries
    the figures' time (`data-at`) so assets/freshness.js keeps the age ticking in the browser even
    when no refresh arrives (a server that stopped answering shows up as a growing, red age)."""
    now = now or datetime.now(timezone.utc)
    text = freshness(basis, summary, now)
    stale = is_stale(summary, now)
    at = figures_time(summary, now)
    return html.Span([html.Span("⚠ older than expected: ", className="stale-flag") if stale else None,
                      html.Span(text, className="fresh-text")],
                     className="freshness stale" if stale else "freshness",
                     **{"data-at": at.isoformat(), "data-stale-after": str(int(STALE_AFTER_SECONDS))})


def tile(tid: str, title: str, *, graph: bool = True, wide: bool = False, help_text: str = "",
         fill: bool = False) -> html.Div:
    """A tile: title, figure texts (`{tid}-text`), graph (`{tid}-graph`), freshness footer (`{tid}-foot`).
    `fill`: the graph takes the tile's spare height (responsive; its CSS min-height keeps it readable),
    so tiles in one grid row end level without a blank band."""
    children: list[Any] = [html.H3(title)]
    if help_text:
        children.append(html.P(help_text, className="tile-help"))
    children.append(html.Div(id=f"{tid}-text", className="stats"))
    if graph:
        children.append(dcc.Graph(id=f"{tid}-graph", config=GRAPH_CONFIG, responsive=True, className="fill-graph")
                        if fill else dcc.Graph(id=f"{tid}-graph", config=GRAPH_CONFIG))
    children.append(html.Div(id=f"{tid}-foot", className="fresh"))
    return html.Div(children, id=f"{tid}-tile", className="tile wide" if wide else "tile")


TABLE_ROWS = 100
"""Rows a tile's table shows: more is unreadable on a laptop and costs a second of rendering per
thousand rows on every refresh tick."""


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], empty: str, *, tid: str | None = None,
          limit: int = TABLE_ROWS, more: str = "", total: int | None = None) -> html.Component:
    """A plain HTML table in the given row order (callers order by id or time, never by a figure);
    past `limit` rows, the first `limit` and a line saying how many are left out (and `more`: how to
    narrow the list). `total`: how many rows there are when the caller passed only the first ones."""
    total = len(rows) if total is None else total
    if not rows:
        return html.P(empty, className="empty")
    head = html.Thead(html.Tr([html.Th(label) for _, label in columns]))
    body = html.Tbody([html.Tr([html.Td(_cell(r.get(k))) for k, _ in columns]) for r in rows[:limit]])
    props = {"id": tid} if tid else {}
    grid = html.Table([head, body], className="grid", **props)
    if total <= limit:
        return grid
    note = f"Showing the first {limit:,} of {total:,} rows." + (f" {more}" if more else "")
    return html.Div([grid, html.P(note, className="table-more")])


def _cell(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x).replace("_", " ") for x in v) or "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d")
    return "" if v is None else str(v)


# ---- periods --------------------------------------------------------------------------------

def period_of(d: date | datetime, kind: str) -> str:
    if kind == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if kind == "month":
        return f"{d.year}-{d.month:02d}"
    if kind == "week":
        iso = d.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    raise ValueError(f"unknown period kind {kind!r}")


def period_options(span: tuple[datetime, datetime] | None, kind: str, now: datetime | None = None,
                   limit: int = 30) -> list[str]:
    """Periods of the kind that hold data, newest first (nothing after now), at most `limit`."""
    if span is None:
        return []
    now = now or datetime.now(timezone.utc)
    first, last = span
    last = min(last, now) if first <= now else last
    out: list[str] = []
    p = period_of(last, kind)
    while len(out) < limit:
        out.append(p)
        start, _ = parse_period(p)
        if start <= first:
            break
        p = previous_period(p)
    return out


def periods_between(start: date, end: date, kind: str, limit: int = 12) -> list[str]:
    """Periods of the kind from the one holding `start` to the one holding `end`, oldest first (last `limit`)."""
    if end < start:
        start, end = end, start
    out = [period_of(end, kind)]
    while len(out) < limit:
        s, _ = parse_period(out[-1])
        if s.date() <= start:
            break
        out.append(previous_period(out[-1]))
    return list(reversed(out))


def filters(*children: Any) -> html.Div:
    return html.Div(list(children), className="filters")


def labelled(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="filter")


def period_filter(prefix: str, span, kind: str = "quarter", kinds: list[tuple[str, str]] | None = None) -> list[Any]:
    """Period kind radio + period dropdown (`{prefix}-kind`, `{prefix}-period`)."""
    opts = period_options(span, kind)
    return [
        labelled("Period", dcc.RadioItems(id=f"{prefix}-kind", options=[{"label": l, "value": v}
                                                                       for v, l in (kinds or KINDS)],
                                          value=kind, inline=True, className="radio")),
        labelled("", dcc.Dropdown(id=f"{prefix}-period", options=opts, value=opts[0] if opts else None,
                                  clearable=False, className="dd-period")),
    ]


def empty_state(message: str = EMPTY_STORE) -> html.Div:
    return html.Div([html.H2("Nothing to show yet"), html.P(message, className="empty")], className="empty-state")


# ---- needs attention ------------------------------------------------------------------------

ATTENTION_KINDS = {"review": "Review the loss", "buyer": "Ask the buyer", "criterion": "Criterion due",
                   "ack": "Help not acknowledged"}
ATTENTION_EMPTY = "Nothing needs attention: no unreviewed loss, no deal heading to all give, no get, no criterion " \
                  "due within 14 days and no help waiting for an acknowledgement."


def deal_href(item: Any, link_to_deals: bool) -> str:
    """Where an item's deal opens: the Deals page with the deal selected (managers), otherwise the
    item's own anchor (reps have no Deals page)."""
    if not item.deal_id:
        return ""
    if link_to_deals:
        return f"/deals?team={item.team}&deal={item.deal_id}"
    return f"#deal-{item.deal_id}"


def attention_counts(items: list[Any]) -> str:
    """'12 items: 2 losses to review, 1 deal to ask the buyer, 0 criteria due, 9 help acts to acknowledge'."""
    n = {k: sum(1 for i in items if i.kind == k) for k in ATTENTION_KINDS}
    return (f"{len(items)} item{'s' if len(items) != 1 else ''}: {n['review']} loss{'es' if n['review'] != 1 else ''} "
            f"to review, {n['buyer']} deal{'s' if n['buyer'] != 1 else ''} to ask the buyer, {n['criterion']} "
            f"criteri{'a' if n['criterion'] != 1 else 'on'} due, {n['ack']} help act{'s' if n['ack'] != 1 else ''} "
            "waiting for an acknowledgement")


def attention_list(items: list[Any], *, names: dict[str, str] | None = None, link_to_deals: bool = False,
                   selected: str = "", empty: str = ATTENTION_EMPTY, limit: int = 30, me: str = "") -> html.Component:
    """The needs-attention items in the order given (by urgency, projections.metrics.attention),
    each with its days left, what it is, what to do, and a link to its deal. `names`: person id ->
    name when the viewer may see names (managers), otherwise nobody is named. `me`: whose own list
    it is (help they received reads "acknowledge it", help they gave "waiting for the recipient")."""
    from projections.metrics.attention import when

    if not items:
        return html.P(empty, className="empty attn-empty")
    rows = []
    for item in items[:limit]:
        href = deal_href(item, link_to_deals)
        kind = ATTENTION_KINDS[item.kind]
        if item.kind == "ack" and me:
            kind = "Acknowledge help you received" if item.people[0] == me else "Help you gave, not yet acknowledged"
        parts: list[Any] = [html.Span(when(item), className="attn-when overdue" if item.overdue else "attn-when"),
                            html.Span(kind, className="attn-kind")]
        if href:
            parts.append(html.A(f"deal {item.deal_id}", href=href, className="attn-deal"))
        parts.append(html.Span(item.what, className="attn-what"))
        if item.ask:
            parts.append(html.Span("ask for: " + ", ".join(a.replace("_", " ") for a in item.ask), className="attn-ask"))
        if names is not None:
            who = [names.get(p, p) for p in item.people if p]
            label = "recipient, helper" if item.kind == "ack" else "owner" if len(who) == 1 else "owner, handed to"
            parts.append(html.Span(f"{label}: {', '.join(who)}", className="attn-who"))
        cls = "attn-item selected" if selected and item.deal_id == selected else "attn-item"
        anchor = {"id": f"deal-{item.deal_id}"} if item.deal_id and not link_to_deals else {}
        rows.append(html.Li(parts, className=cls, **{"data-kind": item.kind}, **anchor))
    more = [html.P(f"Showing the {limit} most urgent of {len(items)} items.", className="table-more")] \
        if len(items) > limit else []
    return html.Div([html.Div(attention_counts(items), className="stat-line attn-counts"),
                     html.Ul(rows, className="attn-list")] + more, className="attn")
