"""Executive trends (pure): quarters, the privacy floor per team and quarter, n/a reasons,
direction colours by what a measure means, the organisation's samples, CSV, figures, files."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import plotly.graph_objects as go
import pytest

from dashboards import exec_export, exec_trends, figures, guard
from dashboards.exec_trends import KEYS, ORGANISATION

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)


def fig(v, n=10, m=5):
    return {"value": v if n >= m else None, "sample": n, "min_sample": m, "insufficient": n < m}


def cell(members, **figs):
    """A compact cell: every measure 0.5 with n=10 unless given."""
    out = {"members": members, **{k: fig(0.5) for k in KEYS}}
    out.update({k.replace("__", "."): v for k, v in figs.items()})
    return out


REVIEW, AGNG, DAYS, ISOL = ("failure_transparency__review_rate", "buyer_reciprocity__all_give_no_get_share",
                            "failure_transparency__median_days_to_review", "reciprocity__isolates")


def pick(rows, key, scope, quarter=None):
    out = [r for r in rows if r["measure_key"] == key.replace("__", ".") and r["scope"] == scope]
    return out if quarter is None else next(r for r in out if r["quarter"] == quarter)


def test_quarters_end_at_the_chosen_one_and_start_no_earlier_than_the_data():
    assert exec_trends.quarters_ending("2026-Q2", 8) == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3",
                                                         "2025-Q4", "2026-Q1", "2026-Q2"]
    assert exec_trends.quarters_ending("2026-Q2", 8, first="2025-Q4") == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert exec_trends.is_partial("2026-Q4", NOW) and not exec_trends.is_partial("2026-Q3", NOW)


def test_the_floor_applies_per_team_and_quarter_and_every_n_a_says_why():
    qs = ["2026-Q1", "2026-Q2", "2026-Q3"]
    cells = {"atlas": {"2026-Q1": cell(7), "2026-Q2": cell(3), "2026-Q3": cell(8, **{REVIEW: fig(None, 3)})},
             "borealis": {"2026-Q1": cell(0), "2026-Q2": cell(6, **{REVIEW: fig(0.9)}), "2026-Q3": cell(6)}}
    rows = exec_trends.rows(cells, ["borealis", "atlas"], qs, NOW)
    atlas = pick(rows, REVIEW, "atlas")
    assert [r["status"] for r in atlas] == ["ok", "hidden", "too_few"]
    assert atlas[1]["reason"] == "hidden: too few people: n=3, needs 5" and atlas[1]["value"] is None
    assert atlas[1]["n"] is None, "nothing of a hidden team, not even its sample"
    assert atlas[2]["reason"] == "too few: n=3, needs 5" and atlas[2]["text"] == "too few: n=3, needs 5"
    assert pick(rows, REVIEW, "borealis", "2026-Q1")["reason"] == exec_trends.NO_DATA
    org = pick(rows, REVIEW, ORGANISATION, "2026-Q2")
    assert org["value"] == pytest.approx(0.9), "the hidden team is left out of the organisation's quarter"
    assert [r["scope"] for r in rows[:9:3]] == ["atlas", "borealis", ORGANISATION], "alphabetical, never by value"


def test_direction_follows_what_the_measure_means():
    qs = ["2026-Q1", "2026-Q2"]
    cells = {"atlas": {"2026-Q1": cell(7, **{REVIEW: fig(0.4), AGNG: fig(0.2), DAYS: fig(6.0), ISOL: fig(2, 7, 3)}),
                       "2026-Q2": cell(7, **{REVIEW: fig(0.6), AGNG: fig(0.3), DAYS: fig(4.0), ISOL: fig(2, 7, 3)})}}
    rows = exec_trends.rows(cells, ["atlas"], qs, NOW)
    assert pick(rows, REVIEW, "atlas", "2026-Q2")["direction"] == "better", "more reviewed losses is better"
    assert pick(rows, AGNG, "atlas", "2026-Q2")["direction"] == "worse", "more all give, no get is worse"
    assert pick(rows, DAYS, "atlas", "2026-Q2")["direction"] == "better", "fewer days to review is better"
    assert pick(rows, ISOL, "atlas", "2026-Q2")["direction"] == "same"
    assert pick(rows, REVIEW, "atlas", "2026-Q2")["change"] == "+20 pts"
    assert pick(rows, REVIEW, "atlas", "2026-Q1")["direction"] == "", "no change for the first quarter"
    assert all(exec_trends.BETTER[k] in ("up", "down") for k in KEYS)


def test_a_change_spans_adjacent_shown_quarters_only():
    qs = ["2026-Q1", "2026-Q2", "2026-Q3"]
    cells = {"atlas": {"2026-Q1": cell(7), "2026-Q2": cell(2), "2026-Q3": cell(7, **{REVIEW: fig(0.9)})}}
    q3 = pick(exec_trends.rows(cells, ["atlas"], qs, NOW), REVIEW, "atlas", "2026-Q3")
    assert q3["change"] == "" and q3["direction"] == ""


def test_the_organisation_counts_members_as_the_sample_of_a_count():
    cells = {"atlas": {"2026-Q1": cell(6, **{ISOL: fig(2, 6, 3)})}, "borealis": {"2026-Q1": cell(8, **{ISOL: fig(0, 8, 3)})},
             "cirrus": {"2026-Q1": cell(4, **{ISOL: fig(4, 4, 3)})}}
    rows = exec_trends.rows(cells, list(cells), ["2026-Q1"], NOW)
    org = pick(rows, ISOL, ORGANISATION, "2026-Q1")
    assert org["value"] == 2 and org["n"] == 14, "members of the visible teams, never the summed values"
    refs = pick(rows, "customer_outcomes__referrals_made", "atlas", "2026-Q1")
    assert refs["n"] == 6


def test_csv_holds_n_and_reasons_and_nothing_of_a_hidden_team():
    cells = {"atlas": {"2026-Q1": cell(7), "2026-Q2": cell(3)}}
    text = exec_trends.csv_text(exec_trends.rows(cells, ["atlas"], ["2026-Q1", "2026-Q2"], NOW))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == exec_trends.CSV_COLUMNS and len(rows) == len(KEYS) * 2 * 2
    hidden = [r for r in rows if r["scope"] == "atlas" and r["quarter"] == "2026-Q2"]
    assert all(r["value"] == "" and r["n"] == "" and r["reason"].startswith("hidden: too few people") for r in hidden)
    assert next(r for r in rows if r["scope"] == "atlas" and r["quarter"] == "2026-Q1")["n"] == "10"


def _rows():
    qs = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    cells = {"atlas": {q: cell(7, **{REVIEW: fig(0.2 * (i + 1))}) for i, q in enumerate(qs)},
             "borealis": {q: cell(3 if i == 1 else 6) for i, q in enumerate(qs)}}
    return qs, exec_trends.rows(cells, list(cells), qs, NOW)


def test_the_small_multiples_colour_each_change_and_mark_gaps():
    from dashboards.pages import executive

    qs, rows = _rows()
    mine = exec_trends.of_measure(rows, REVIEW.replace("__", "."))
    panels = [(s, [r for r in mine if r["scope"] == s]) for s in ("atlas", "borealis", ORGANISATION)]
    f = go.Figure(figures.trend_multiples(panels, qs))
    markers = [t for t in f.data if t.mode == "markers" and not isinstance(t.marker.symbol, str)]
    atlas = markers[0]
    assert list(atlas.marker.color[1:]) == [figures.DIRECTION_COLOURS["better"]] * 3
    assert str(atlas.marker.symbol[-1]).endswith("-open"), "the partial quarter has an open marker"
    gaps = [t for t in f.data if t.marker.symbol == "x"]
    assert gaps and "hidden: too few people: n=3, needs 5" in gaps[0].text
    table = executive.trend_table(mine, qs, "scope")
    assert guard.layout_violations(table) == []
    assert table.children[0].children.children[-1].children == "2026-Q4 (partial)"


def test_png_and_pdf_are_real_files():
    qs, rows = _rows()
    png = exec_export.png_bytes(rows, qs)
    pdf = exec_export.pdf_bytes(rows, qs, "2026-11-15 10:00 UTC")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert pdf[:5] == b"%PDF-" and b"Teamflow culture trends 2026-Q1 to 2026-Q4" in pdf
    assert pdf.count(b"/Type /Page ") == 3, "title and privacy note, small multiples, the quarter's table"


def test_the_quarter_table_colours_changes_by_meaning_and_names_what_it_shows():
    from dashboards.pages import executive

    snap = {"quarter": "2026-Q2", "previous": "2026-Q1", "teams": ["atlas", "tiny"], "quarters": ["2026-Q1", "2026-Q2"],
            "first": "2026-Q1", "summary": {"as_of": NOW.isoformat(), "last_ingested": None},
            "cells": {"atlas": {"2026-Q1": cell(7, **{AGNG: fig(0.2), REVIEW: fig(0.4)}),
                                "2026-Q2": cell(7, **{AGNG: fig(0.3), REVIEW: fig(0.6)})},
                      "tiny": {"2026-Q1": cell(2), "2026-Q2": cell(3)}}}
    df = executive.long_rows(executive.quarter_data(snap))
    by = {(r["scope"], r["measure"]): r for r in df.to_dict("records")}
    assert by[("atlas", "Deals all give, no get")]["direction"] == "worse"
    assert by[("atlas", "Lost deals reviewed within 14 days")]["direction"] == "better"
    assert by[("tiny", "Reciprocity index")]["text"] == "hidden: too few people: n=3, needs 5"
    title, table, foot = executive.render(executive.quarter_data(snap), executive.ORG)
    assert title == "All measures, 2026-Q2" and "2 teams and the organisation, 2026-Q2 with the change from 2026-Q1" in foot
    assert "hidden (fewer than 5 people): tiny" in foot
    _t, _table, team_foot = executive.render(executive.quarter_data(snap), "atlas")
    assert "1 team and the organisation, 2026-Q2" in team_foot and "tiny" not in team_foot
    spans = [c for row in table.children[1].children for td in row.children[1:2] for c in (td.children or [])
             if getattr(c, "className", "") and "delta" in c.className]
    worse = next(s for s in spans if "▼" in (s.children or ""))
    assert worse.style["color"] == executive.TEXT_COLOURS["worse"]
