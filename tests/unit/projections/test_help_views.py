"""The helping network and the give/get balance derive from one read of the team's help acts."""
from __future__ import annotations

import pandas as pd
import pytest

from projections.metrics import views

pytestmark = pytest.mark.unit

ACTS = pd.DataFrame([
    # helper, recipient, helper's team then, recipient's team then
    ("a", "b", "t", "t"), ("a", "b", "t", "t"), ("b", "a", "t", "t"),
    ("c", "a", "t", "t"), ("a", "x", "t", "u"), ("y", "c", "u", "t"),
], columns=["helper", "recipient", "helper_team", "recipient_team"])


class Roster:
    """The roster query only: members a, b, c and d (d has no help at all)."""

    def query_df(self, sql, params=None):
        assert "roster_changes" in sql
        return pd.DataFrame({"person": ["a", "b", "c", "d"]})


def test_edges_keep_acts_inside_the_team_counted_per_direction():
    edges = views.help_edges(None, "t", "2026-Q1", ACTS)
    assert edges.to_dict("records") == [{"helper": "a", "recipient": "b", "acts": 2},
                                        {"helper": "b", "recipient": "a", "acts": 1},
                                        {"helper": "c", "recipient": "a", "acts": 1}]


def test_balance_counts_help_given_and_received_as_a_member_with_zero_rows():
    balance = views.help_balance(Roster(), "t", "2026-Q1", ACTS)
    assert balance.to_dict("records") == [
        {"person": "a", "given": 3, "received": 2},  # gave b twice and x (other team) once
        {"person": "b", "given": 1, "received": 2},
        {"person": "c", "given": 1, "received": 1},  # received from y of another team
        {"person": "d", "given": 0, "received": 0},
    ]
    empty = views.help_balance(Roster(), "t", "2026-Q1", ACTS.iloc[0:0])
    assert empty["given"].tolist() == [0, 0, 0, 0]
