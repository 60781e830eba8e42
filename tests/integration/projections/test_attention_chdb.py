"""Needs attention through real chDB: a hand-made history, the items each rule finds as of a fixed now."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from projections.metrics import attention
from support.store_rows import store_of_json

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
_events: list[dict] = []


def e(time: str, type_: str, **data) -> None:
    _events.append({
        "specversion": "1.0", "id": f"x{len(_events)}", "source": "hand", "type": f"teamflow.{type_}",
        "time": f"2026-{time}Z", "dataschema": f"https://schemas.teamflow.dev/{type_}/v1", "data": data,
    })


for i, p in enumerate(["m", "a", "b"]):
    e(f"01-01T00:00:0{i}", "roster.member_joined", person=p, team="north", role="manager" if p == "m" else "rep",
      display_name=p.upper())
e("01-01T00:00:05", "roster.member_joined", person="z", team="south", role="rep", display_name="Z")


def deal(deal_id: str, owner: str, team: str, opened: str) -> None:
    e(opened, "deal.opened", deal_id=deal_id, owner=owner, team=team, account="acct", amount=1000.0,
      currency="EUR", stage="discovery")


# review: lost 10 days before NOW (4 days left), lost 18 days before (overdue 4), a reviewed one, an old one
deal("d-lost-new", "a", "north", "09-01T00:00:00")
e("11-10T12:00:00", "deal.closed", deal_id="d-lost-new", outcome="lost", amount=1000.0)
deal("d-nodec-late", "b", "north", "09-01T00:00:00")
e("11-02T12:00:00", "deal.closed", deal_id="d-nodec-late", outcome="no_decision", amount=1000.0)
deal("d-lost-reviewed", "a", "north", "09-01T00:00:00")
e("11-12T12:00:00", "deal.closed", deal_id="d-lost-reviewed", outcome="lost", amount=1000.0)
e("11-13T12:00:00", "review.published", review_id="r1", deal_id="d-lost-reviewed", author="a", kind="postmortem",
  lessons=["l"])
deal("d-lost-old", "a", "north", "06-01T00:00:00")
e("09-01T12:00:00", "deal.closed", deal_id="d-lost-old", outcome="lost", amount=1000.0)
deal("d-lost-south", "z", "south", "09-01T00:00:00")
e("11-15T12:00:00", "deal.closed", deal_id="d-lost-south", outcome="lost", amount=1000.0)
# buyer: 3 seller gives (flagged), 2 (heading), 2 + a buyer give (fine)
for d_id, gives, buyer in (("d-agng", 3, 0), ("d-heading", 2, 0), ("d-fine", 2, 1)):
    deal(d_id, "b", "north", "10-01T00:00:00")
    for k in range(gives):
        e(f"10-0{k + 2}T00:00:00", "deal.exchange", deal_id=d_id, direction="seller_gave", kind="demo")
    for k in range(buyer):
        e("10-09T00:00:00", "deal.exchange", deal_id=d_id, direction="buyer_gave", kind="commitment")
# criterion: won deal, one due in 5 days (open), one due in 5 days already met, one due in 40 days
deal("d-won", "a", "north", "08-01T00:00:00")
e("10-01T00:00:00", "deal.closed", deal_id="d-won", outcome="won", amount=1000.0)
e("09-25T00:00:00", "outcome.criteria_defined", deal_id="d-won", criteria=[
    {"criterion_id": "c-open", "description": "go live", "target": "t", "due": "2026-11-25"},
    {"criterion_id": "c-met", "description": "adoption", "target": "t", "due": "2026-11-25"},
    {"criterion_id": "c-later", "description": "roi", "target": "t", "due": "2026-12-30"}])
e("10-05T00:00:00", "outcome.handoff_completed", deal_id="d-won", from_person="a", to_person="b",
  criteria_transferred=True)
e("11-01T00:00:00", "outcome.criterion_met", deal_id="d-won", criterion_id="c-met", observed="ok")
# ack: a helped b 3 days before NOW, not acknowledged; b helped a, acknowledged; z (south) helped z2
e("11-17T12:00:00", "help.given", help_id="h-wait", helper="a", recipient="b", kind="advice", minutes=30)
e("11-16T12:00:00", "help.given", help_id="h-acked", helper="b", recipient="a", kind="advice", minutes=30)
e("11-16T13:00:00", "help.acknowledged", help_id="h-acked", recipient="a", useful=True)
e("11-17T12:00:00", "help.given", help_id="h-south", helper="z", recipient="a", kind="coaching", minutes=30)
# after NOW: must not count
e("11-21T00:00:00", "review.published", review_id="r2", deal_id="d-lost-new", author="a", kind="postmortem",
  lessons=["l"])


@pytest.fixture
def store(chdb_dir):
    s = store_of_json(chdb_dir, _events, "a")
    yield s
    s.command(f"DROP DATABASE IF EXISTS {s.database}")
    s.close()


def test_team_items_by_rule_in_urgency_order(store):
    found = attention.team_items(store, "north", NOW)
    got = [(i.kind, i.deal_id or i.ref, i.days_left) for i in found]
    assert got == [
        ("review", "d-nodec-late", -4),
        ("review", "d-lost-new", 4),
        ("criterion", "d-won", 5),
        ("ack", "h-south", 11),
        ("ack", "h-wait", 11),
        ("buyer", "d-agng", None),
        ("buyer", "d-heading", None),
    ]
    crit = next(i for i in found if i.kind == "criterion")
    assert crit.ref == "c-open" and set(crit.people) == {"a", "b"}
    agng = next(i for i in found if i.deal_id == "d-agng")
    assert agng.ask == ("commitment", "decision_maker_access", "success_criteria", "mutual_plan")
    assert "all give, no get" in agng.what


def test_a_person_sees_their_own_items_and_no_other_team(store):
    found = attention.team_items(store, "north", NOW)
    mine = attention.for_person(found, "a")
    assert {(i.kind, i.deal_id or i.ref) for i in mine} == {("review", "d-lost-new"), ("criterion", "d-won"),
                                                          ("ack", "h-wait"), ("ack", "h-south")}
    assert all(i.team == "north" for i in found)
    south = attention.team_items(store, "south", NOW)
    assert [(i.kind, i.deal_id or i.ref) for i in south] == [("review", "d-lost-south"), ("ack", "h-south")]
    assert attention.for_person(south, "b") == []


def test_every_team_at_once_finds_what_each_team_finds(store):
    """all_team_items (four queries for all teams) equals team_items team by team, in the same order;
    help between north and south is in both teams' lists."""
    every = attention.all_team_items(store, ["north", "south", "nobody"], NOW)
    assert sorted(every) == ["nobody", "north", "south"] and every["nobody"] == []
    for team in ("north", "south"):
        assert every[team] == attention.team_items(store, team, NOW), team
    assert any(i.kind == "ack" for i in every["south"]) and any(i.kind == "review" for i in every["north"])


def test_some_teams_read_alone_find_what_every_team_at_once_finds(store):
    """all_team_items(only=True) reads the rows of the teams asked for only (the read model's update of the
    teams pages watch): each team's items equal those of every team at once, help with another team
    included; the other teams are not in it."""
    every = attention.all_team_items(store, ["north", "south", "nobody"], NOW)
    for some in (["north"], ["south"], ["north", "nobody"]):
        found = attention.all_team_items(store, some, NOW, only=True)
        assert sorted(found) == sorted(some)
        for team in some:
            assert found[team] == every[team], (some, team)
    assert attention.all_team_items(store, ["south"], NOW, only=True)["south"], "south has items of its own"
