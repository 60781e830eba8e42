"""A small hand-made history through chDB, checked against hand-computed figures and the oracle.

Covers: ack before help, ack by someone else, useful=false, team history (a transfer), the
recognition cap, self-reuse and reuse after 30 days, review window, deal team at close, collaborators
joined before and after a close.
"""
from __future__ import annotations

import json

import pytest

from projections import metrics
from support.reference_metrics import reference_team_metrics
from support.store_rows import store_of_json

pytestmark = pytest.mark.integration

_events: list[dict] = []


def e(time: str, type_: str, **data) -> None:
    version = 2 if type_ == "referral.made" else 1
    _events.append({
        "specversion": "1.0", "id": f"x{len(_events)}", "source": "hand", "type": f"teamflow.{type_}",
        "time": f"2026-{time}Z", "dataschema": f"https://schemas.teamflow.dev/{type_}/v{version}", "data": data,
    })


for p in "abcd":
    e("01-01T00:00:0" + str("abcd".index(p)), "roster.member_joined", person=p, team="north", role="rep", display_name=p)
e("01-01T00:00:05", "roster.member_joined", person="e", team="south", role="rep", display_name="e")
e("02-01T00:00:00", "roster.member_left", person="c", team="north")
e("02-01T01:00:00", "roster.member_joined", person="c", team="south", role="rep", display_name="c")
# help
e("01-10T09:00:00", "help.acknowledged", help_id="h1", recipient="b", useful=True)  # ack dated before help
e("01-10T10:00:00", "help.given", help_id="h1", helper="a", recipient="b", kind="advice", minutes=30)
e("01-12T10:00:00", "help.given", help_id="h2", helper="b", recipient="a", kind="advice", minutes=30)
e("01-13T10:00:00", "help.acknowledged", help_id="h2", recipient="a", useful=True)
e("01-15T10:00:00", "help.given", help_id="h3", helper="a", recipient="c", kind="advice", minutes=30)
e("01-15T11:00:00", "help.acknowledged", help_id="h3", recipient="d", useful=True)  # not the recipient
e("01-20T10:00:00", "help.given", help_id="h4", helper="d", recipient="a", kind="advice", minutes=30)
e("01-20T11:00:00", "help.acknowledged", help_id="h4", recipient="a", useful=False)
e("02-10T10:00:00", "help.given", help_id="h5", helper="c", recipient="a", kind="advice", minutes=30)  # c in south now
e("04-02T11:00:00", "help.acknowledged", help_id="h5", recipient="a", useful=True)  # acked next quarter
# recognition: a->b five times (cap 3), b->a twice
for i in range(5):
    e(f"01-2{i}T12:00:00", "recognition.given", giver="a", receiver="b", reason="helping")
e("01-21T13:00:00", "recognition.given", giver="b", receiver="a", reason="result")
e("01-22T13:00:00", "recognition.given", giver="b", receiver="a", reason="result")
e("01-22T14:00:00", "recognition.given", giver="b", receiver="b", reason="result")  # self: ignored
# knowledge: a shares; b reuses, a self-reuses, e reuses after 31 days, c reuses cross-team
e("01-05T10:00:00", "knowledge.shared", artifact_id="k1", author="a", kind="war_story", title="t", audience="org")
e("01-06T10:00:00", "knowledge.reused", artifact_id="k1", user="b")
e("01-06T11:00:00", "knowledge.reused", artifact_id="k1", user="b")
e("01-07T10:00:00", "knowledge.reused", artifact_id="k1", user="a")
e("02-06T10:00:01", "knowledge.reused", artifact_id="k1", user="e")
e("02-03T10:00:00", "knowledge.reused", artifact_id="k1", user="c")
# deals: d1 lost, review in 13 days; d2 no_decision, review after 21 days; d3 moved to south before close
e("01-02T10:00:00", "deal.opened", deal_id="d1", owner="a", team="north", account="x", amount=1.0, currency="EUR", stage="s")
e("01-10T10:00:00", "deal.collaborator_added", deal_id="d1", person="c", role="peer")
e("01-20T10:00:00", "deal.closed", deal_id="d1", outcome="lost", amount=1.0)
e("01-22T10:00:00", "deal.collaborator_added", deal_id="d1", person="d", role="peer")  # after the close
e("02-02T10:00:00", "review.published", review_id="r1", deal_id="d1", author="a", kind="postmortem", lessons=["l"])
e("01-03T10:00:00", "deal.opened", deal_id="d2", owner="b", team="north", account="x", amount=1.0, currency="EUR", stage="s")
e("01-05T10:00:00", "deal.collaborator_added", deal_id="d2", person="d", role="peer")
e("01-05T10:00:00", "deal.collaborator_added", deal_id="d2", person="b", role="peer")  # the owner: not a collaborator
e("01-25T10:00:00", "deal.closed", deal_id="d2", outcome="no_decision", amount=1.0)
e("02-15T10:00:00", "review.published", review_id="r2", deal_id="d2", author="b", kind="win_loss", lessons=["l"])
e("01-04T10:00:00", "deal.opened", deal_id="d3", owner="c", team="north", account="y", amount=1.0, currency="EUR", stage="s")
e("02-02T10:00:00", "deal.stage_changed", deal_id="d3", stage="proposal", team="south", owner="c")
e("03-01T10:00:00", "deal.closed", deal_id="d3", outcome="won", amount=1.0)
e("01-25T10:00:00", "referral.made", referrer="a", account="x", referred_to="vendor", reason="fit")


@pytest.fixture
def store(chdb_dir):
    s = store_of_json(chdb_dir, _events, "h", newest_first=True)
    yield s
    s.command(f"DROP DATABASE IF EXISTS {s.database}")
    s.close()


def v(fig):
    return fig["value"], fig["sample"]


def test_hand_history_north_q1(store):
    m = metrics.team_metrics(store, "north", "2026-Q1")
    r = m["reciprocity"]
    assert v(r["ties"]) == (2, 2) and v(r["members"]) == (4, 4)
    assert r["reciprocity_index"] == {"value": None, "sample": 2, "min_sample": 5, "insufficient": True}
    assert v(r["density"]) == (2 / 12, 4) and v(r["isolates"]) == (2, 4)
    assert r["help_from_other_teams"]["value"] == 1  # h5: c was in south, acked in Q2, counts in Q1
    assert r["acknowledged_help_given"]["value"] == 2
    rec = m["recognition"]
    assert rec["by_reason"] == {"helping": 3, "sharing": 0, "failure_transparency": 0, "customer_outcome": 0, "result": 2}
    assert v(rec["helping_sharing_failure_share"]) == (0.6, 5)
    ks = m["information_sharing"]
    assert v(ks["reuses"]) == (2, 2) and v(ks["cross_team_reuses"]) == (1, 1)  # b, and c (south by then)
    ft = m["failure_transparency"]
    assert v(ft["failed_deals"]) == (2, 2) and ft["review_rate"]["sample"] == 2
    assert ft["median_days_to_review"]["sample"] == 2 and ft["war_stories_shared"]["value"] == 1
    assert v(m["collaboration"]["closed_deals"]) == (2, 2)  # d3 closed as south
    # d1 and d2 had a collaborator by their close (d1's second one joined after it, which does not undo that)
    assert m["collaboration"]["win_rate_collaborative"]["sample"] == 2
    assert m["customer_outcomes"]["referrals_made"]["value"] == 1
    assert metrics.team_metrics(store, "south", "2026-Q1")["customer_outcomes"]["won_deals"]["value"] == 1


def test_hand_history_matches_reference(store):
    for team in ("north", "south"):
        for period in ("2026-Q1", "2026-01", "2026-W03", "2026-02-10"):
            got = json.loads(json.dumps(metrics.team_metrics(store, team, period)))
            want = json.loads(json.dumps(reference_team_metrics(_events, team, period)))
            assert got == want, (team, period)


def test_person_view(store):
    a = metrics.person_metrics(store, "a", "2026-Q1")
    assert v(a["help"]["help_given"]) == (1, 1) and v(a["help"]["help_received"]) == (2, 2)
    assert a["help"]["reciprocated_ties"]["value"] == 1 and a["help"]["help_given_unacknowledged"]["value"] == 1
    assert a["recognition"]["given"]["recognitions"]["value"] == 3
    assert a["reviews_published"]["value"] == 1 and a["referrals_made"]["value"] == 1
