"""Needs-attention rules as pure functions of plain facts (no store)."""
from datetime import datetime, timedelta, timezone

import pytest

from projections.metrics import attention as a

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_review_window_days_left_and_overdue_grace():
    failed = [{"deal_id": f"d{k}", "owner": "p", "outcome": "lost", "closed_at": ago(k), "reviewed": False}
              for k in (0.5, 13.5, 14.5, 21.5, 22.5)]
    failed.append({"deal_id": "dr", "owner": "p", "outcome": "no_decision", "closed_at": ago(3), "reviewed": True})
    failed.append({"deal_id": "dw", "owner": "p", "outcome": "won", "closed_at": ago(3), "reviewed": False})
    got = {i.deal_id: i.days_left for i in a.review_items("t", failed, NOW)}
    assert got == {"d0.5": 13, "d13.5": 0, "d14.5": -1}  # 21.5 days: overdue by 8, past the grace


def test_review_keeps_exactly_grace_days_past_the_window():
    failed = [{"deal_id": f"d{k}", "owner": "p", "outcome": "lost", "closed_at": ago(k), "reviewed": False}
              for k in (20.5, 21.5)]
    assert [(i.deal_id, i.days_left) for i in a.review_items("t", failed, NOW)] == [("d20.5", -7)]


def test_buyer_heading_and_flagged_with_what_to_ask():
    deals = [{"deal_id": "d1", "owner": "p", "seller_gave": 1, "buyer_gave": 0, "buyer_kinds": []},
             {"deal_id": "d2", "owner": "p", "seller_gave": 2, "buyer_gave": 0, "buyer_kinds": []},
             {"deal_id": "d3", "owner": "p", "seller_gave": 5, "buyer_gave": 0, "buyer_kinds": []},
             {"deal_id": "d4", "owner": "p", "seller_gave": 5, "buyer_gave": 1, "buyer_kinds": ["commitment"]}]
    found = a.buyer_items("t", deals)
    assert [i.deal_id for i in found] == ["d2", "d3"]
    assert found[0].ask[0] == "commitment" and "one more" in found[0].what
    assert "all give, no get" in found[1].what and found[1].days_left is None


def test_criteria_due_soon_without_result():
    today = NOW.date()
    crit = [{"deal_id": "d", "criterion_id": f"c{k}", "description": "x", "due": today + timedelta(days=k),
             "owner": "o", "handed_to": "cs", "has_result": False} for k in (-8, -7, 0, 14, 15)]
    crit.append({"deal_id": "d", "criterion_id": "met", "description": "x", "due": today, "owner": "o",
                 "handed_to": "", "has_result": True})
    found = a.criterion_items("t", crit, today)
    assert [(i.ref, i.days_left) for i in found] == [("c-7", -7), ("c0", 0), ("c14", 14)]
    assert found[0].people == ("o", "cs")


def test_ack_waiting_skips_self_help_and_acknowledged():
    acts = [{"help_id": "h1", "helper": "x", "recipient": "y", "kind": "deal_review", "time": ago(2), "deal_id": "",
             "acknowledged": False},
            {"help_id": "h2", "helper": "x", "recipient": "y", "kind": "advice", "time": ago(2), "deal_id": "",
             "acknowledged": True},
            {"help_id": "h3", "helper": "x", "recipient": "x", "kind": "advice", "time": ago(2), "deal_id": "",
             "acknowledged": False},
            {"help_id": "h4", "helper": "x", "recipient": "y", "kind": "advice", "time": ago(30), "deal_id": "",
             "acknowledged": False}]
    found = a.ack_items("t", acts, NOW)
    assert [(i.ref, i.days_left) for i in found] == [("h1", 12)]
    assert "deal review" in found[0].what and found[0].people == ("y", "x")


def test_order_is_urgency_never_person():
    items = [a.Item("buyer", "t", "d9", ("aaa",), None, ""), a.Item("ack", "t", "", ("zzz",), 3, "", ref="h"),
             a.Item("review", "t", "d1", ("zzz",), -2, ""), a.Item("criterion", "t", "d2", ("aaa",), 3, "")]
    ordered = sorted(items, key=a.urgency)
    assert [(i.kind, i.days_left) for i in ordered] == [("review", -2), ("criterion", 3), ("ack", 3), ("buyer", None)]
    renamed = [a.Item(i.kind, i.team, i.deal_id, ("someone-else",), i.days_left, i.what, i.ask, i.ref) for i in items]
    assert [i.kind for i in sorted(renamed, key=a.urgency)] == [i.kind for i in ordered]


def test_for_person_and_when_text():
    items = [a.Item("review", "t", "d1", ("p",), 2, ""), a.Item("ack", "t", "", ("r", "p"), 0, "", ref="h"),
             a.Item("buyer", "t", "d2", ("q",), None, "")]
    assert [i.deal_id or i.ref for i in a.for_person(items, "p")] == ["d1", "h"]
    assert [a.when(i) for i in items] == ["2 days left", "last day", "no deadline"]
    assert a.when(a.Item("review", "t", "d", (), -1, "")) == "overdue by 1 day"
    assert a.when(a.Item("review", "t", "d", (), 1, "")) == "1 day left"


def test_days_left_floor():
    assert a.days_left(NOW + timedelta(hours=23), NOW) == 0
    assert a.days_left(NOW - timedelta(hours=1), NOW) == -1
