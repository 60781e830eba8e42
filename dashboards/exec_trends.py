"""Culture trends for the executive page: each measure per team across up to 8 quarters.

Pure functions of the metrics already computed (no store, no Dash), so the shaping, the privacy
floor and the direction colours are unit-tested on their own.

- Privacy floor per team and quarter: a team with fewer than `access.MIN_GROUP` members in a
  quarter is hidden in that quarter ("hidden: too few people: n=3, needs 5") and left out of the
  organisation's figure for it; the same team may show in other quarters.
- Each figure below its own minimum sample is "too few: n=3, needs 5"; a quarter with nobody on
  the team's roster is "no data: nobody in the team this quarter". Nothing is dropped: every (team, quarter) has a
  row with its reason.
- The change from the team's previous quarter is coloured by what the measure means (`BETTER`):
  more reviewed losses is better, more "all give, no get" deals is worse. Never by rank: teams
  stay in alphabetical order and no position is computed.
- The quarter that has not ended yet is marked partial (figures to date).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from projections.metrics import parse_period, previous_period

from . import access
from .components import _num, change, change_direction, fmt

N_QUARTERS = 8
NO_DATA = "no data: nobody in the team this quarter"
ORGANISATION = "Organisation"

MEASURES: list[tuple[str, str, str, str, str]] = [
    # (area, key, label, kind, better: 'up' | 'down' | '')
    ("reciprocity", "reciprocity_index", "Reciprocity index", "pct", "up"),
    ("reciprocity", "density", "Helping network density", "pct", "up"),
    ("reciprocity", "isolates", "Members with no helping ties", "int", "down"),
    ("buyer_reciprocity", "buyer_share", "Buyer share of exchanges", "pct", "up"),
    ("buyer_reciprocity", "all_give_no_get_share", "Deals all give, no get", "pct", "down"),
    ("information_sharing", "artifacts_per_person_month", "Artifacts per person-month", "num", "up"),
    ("information_sharing", "reuse_rate", "Artifacts reused within 30 days", "pct", "up"),
    ("information_sharing", "cross_team_reuse_share", "Cross-team reuse", "pct", "up"),
    ("failure_transparency", "review_rate", "Lost deals reviewed within 14 days", "pct", "up"),
    ("failure_transparency", "median_days_to_review", "Median days to review", "days", "down"),
    ("failure_transparency", "lesson_reuse_rate", "Lessons reused", "pct", "up"),
    ("proposal_rediscovery", "restart_rate", "Withdrawn deals restarting discovery", "pct", "up"),
    ("collaboration", "collaborative_share", "Deals with collaborators", "pct", "up"),
    ("customer_outcomes", "criteria_defined_before_close", "Success criteria before close", "pct", "up"),
    ("customer_outcomes", "handed_off_with_criteria", "Handed off with criteria", "pct", "up"),
    ("customer_outcomes", "criteria_met_by_due", "Criteria met by due date", "pct", "up"),
    ("customer_outcomes", "referrals_made", "Referrals made", "int", "up"),
    ("recognition", "helping_sharing_failure_share", "Recognition for helping, sharing, failures", "pct", "up"),
]
KEYS = {f"{a}.{k}": (a, k, label, kind, better) for a, k, label, kind, better in MEASURES}
BETTER = {key: m[4] for key, m in KEYS.items()}

ARROWS = {"better": "▲", "worse": "▼", "same": "", "neutral": "", "": ""}
"""A shape beside each colour, so the direction reads without colour too."""


def quarters_ending(quarter: str, n: int = N_QUARTERS, first: str | None = None) -> list[str]:
    """Up to n quarters ending at `quarter`, oldest first; none before `first` (the data's start)."""
    out = [quarter]
    floor = parse_period(first)[0] if first else None
    while len(out) < n:
        before = previous_period(out[-1])
        if floor is not None and parse_period(before)[0] < floor:
            break
        out.append(before)
    return list(reversed(out))


def is_partial(quarter: str, now: datetime | None = None) -> bool:
    """The quarter has not ended yet: its figures are to date."""
    return parse_period(quarter)[1] > (now or datetime.now(timezone.utc))


def compact(metrics: dict[str, Any]) -> dict[str, Any]:
    """Of one team_metrics result, only what the trends show: members and the measures' figures."""
    return {"members": int(metrics["reciprocity"]["members"]["value"] or 0),
            **{key: metrics[a][k] for key, (a, k, *_rest) in KEYS.items()}}


def _status(members: int, fig: dict | None) -> tuple[str, str]:
    """(status, reason) of one cell: 'ok', 'no_data', 'hidden' or 'too_few'."""
    if members == 0:
        return "no_data", NO_DATA
    if not access.group_visible(members):
        return "hidden", f"hidden: too few people: n={members}, needs {access.MIN_GROUP}"
    if not fig or fig.get("insufficient") or fig.get("value") is None:
        sample = _num(fig.get("sample")) if fig else "0"
        need = _num(fig.get("min_sample")) if fig else "?"
        return "too_few", f"too few: n={sample}, needs {need}"
    return "ok", ""


def pool(cells: list[tuple[int, dict]], kind: str) -> dict[str, Any]:
    """The organisation's figure from the visible teams' (members, figure): counts summed, other
    measures the sample-weighted mean; the sample of a count is the members, never the summed values."""
    members = sum(m for m, _ in cells)
    ok = [(m, f) for m, f in cells if not f.get("insufficient") and f.get("value") is not None]
    if kind == "int":
        if not ok:
            return {"value": None, "sample": members, "min_sample": 0, "insufficient": True}
        return {"value": sum(f["value"] for _, f in ok), "sample": members, "min_sample": 0, "insufficient": False}
    sample = sum(f.get("sample") or 0 for _, f in cells)
    weighted = [(f["sample"], f["value"]) for _, f in ok if f.get("sample")]
    if not weighted:
        return {"value": None, "sample": sample, "min_sample": max((f.get("min_sample") or 0 for _, f in cells),
                                                                  default=0), "insufficient": True}
    weight = sum(s for s, _ in weighted)
    return {"value": sum(s * v for s, v in weighted) / weight, "sample": sample, "min_sample": 0,
            "insufficient": False}


def _organisation(cells: dict[str, dict[str, dict]], teams: list[str], quarter: str, key: str, kind: str) -> tuple:
    visible = [(cells[t][quarter]["members"], cells[t][quarter][key]) for t in teams
               if access.group_visible(cells[t][quarter]["members"])]
    if not visible:
        hidden = sum(1 for t in teams if cells[t][quarter]["members"])
        return None, (NO_DATA if not hidden else
                      f"hidden: no team with {access.MIN_GROUP} or more people")
    fig = pool(visible, kind)
    return fig, ("" if not fig["insufficient"] else f"too few: n={_num(fig['sample'])}, needs {_num(fig['min_sample'])}")


def rows(cells: dict[str, dict[str, dict]], teams: list[str], quarters: list[str],
         now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per (measure, team or organisation, quarter), teams alphabetical, quarters oldest first.

    `cells[team][quarter]` is `compact(team_metrics)`. A row: measure key and label, kind, better,
    scope, quarter, partial, status, reason, value, text, n (the sample: members for counts),
    change (from the scope's previous quarter) and direction ('better', 'worse', 'same',
    'neutral' or '' when the change cannot be shown).
    """
    teams = sorted(teams)
    partial = {q: is_partial(q, now) for q in quarters}
    out: list[dict[str, Any]] = []
    for key, (_a, _k, label, kind, better) in KEYS.items():
        for scope in teams + [ORGANISATION]:
            prev_fig = None
            for q in quarters:
                if scope == ORGANISATION:
                    fig, reason = _organisation(cells, teams, q, key, kind)
                    status = "ok" if fig is not None and not reason else (
                        "too_few" if fig is not None else ("no_data" if reason.startswith("no data") else "hidden"))
                    members = sum(cells[t][q]["members"] for t in teams if access.group_visible(cells[t][q]["members"]))
                else:
                    members = cells[scope][q]["members"]
                    fig = cells[scope][q][key]
                    status, reason = _status(members, fig)
                shown = fig if status in ("ok", "too_few") else None
                n = members if kind == "int" else (shown or {}).get("sample")
                ok = status == "ok"
                out.append({
                    "measure_key": key, "measure": label, "kind": kind, "better": better, "scope": scope,
                    "quarter": q, "partial": partial[q], "status": status, "reason": reason,
                    "value": shown["value"] if ok else None, "text": fmt(shown, kind) if ok else reason,
                    "n": None if shown is None else n,
                    "min_sample": None if shown is None else shown.get("min_sample"),
                    "change": change(fig, prev_fig, kind) if ok and prev_fig else "",
                    "direction": change_direction(fig, prev_fig, better, kind) if ok and prev_fig else "",
                })
                prev_fig = fig if ok else None  # a change spans adjacent shown quarters only
    return out


CSV_COLUMNS = ["measure", "scope", "quarter", "partial", "status", "value", "n", "min_sample", "reason",
               "change", "direction"]


def csv_text(trend_rows: list[dict[str, Any]]) -> str:
    """The trend rows as CSV: per measure, team (and organisation) and quarter, with n and the reasons."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in trend_rows:
        w.writerow({**r, "value": "" if r["value"] is None else round(float(r["value"]), 4),
                    "n": "" if r["n"] is None else int(r["n"]),
                    "min_sample": "" if r["min_sample"] is None else r["min_sample"]})
    return buf.getvalue()


def of_measure(trend_rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [r for r in trend_rows if r["measure_key"] == key]


def of_scope(trend_rows: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    return [r for r in trend_rows if r["scope"] == scope]
