import json
from collections import Counter
from datetime import datetime, timezone

import pytest

from streams.simulator import simulate

pytestmark = pytest.mark.unit

START = datetime(2025, 7, 1, tzinfo=timezone.utc)


def test_same_seed_same_bytes_other_seed_other_bytes():
    a = list(simulate(3, 3000, start=START))
    assert a == list(simulate(3, 3000, start=START))
    assert a != list(simulate(4, 3000, start=START))
    assert len(a) == 3000


def test_roster_first_structured_cloudevents_keyed_by_team():
    out = list(simulate(5, 6000, start=START, teams=5))
    events = [json.loads(v) for _, v in out]
    assert events[0]["type"].startswith("teamflow.roster.")
    first_other = next(i for i, e in enumerate(events) if not e["type"].startswith("teamflow.roster."))
    joined_people = {e["data"]["person"] for e in events[:first_other]}
    assert 5 * 6 <= len(joined_people) <= 5 * 12
    teams = {e["data"]["team"] for e in events if e["type"] == "teamflow.roster.member_joined"}
    assert len(teams) == 5 and {k for k, _ in out} <= teams
    assert len({(e["source"], e["id"]) for e in events}) == len(events)
    assert all(e["specversion"] == "1.0" and e["source"] == "teamflow-sim/5" for e in events)
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    quarters = {(e["time"][:4], (int(e["time"][5:7]) - 1) // 3) for e in events}
    assert len(quarters) >= 3


def test_plausible_mix_of_every_event_type():
    types = Counter(json.loads(v)["type"].removeprefix("teamflow.") for _, v in simulate(9, 20000, start=START))
    for t in ["help.requested", "help.given", "help.acknowledged", "knowledge.shared", "knowledge.reused",
              "recognition.given", "deal.opened", "deal.stage_changed", "deal.collaborator_added",
              "deal.closed", "proposal.sent", "proposal.withdrawn", "deal.rediscovery_started",
              "review.published", "deal.exchange", "outcome.criteria_defined", "outcome.handoff_completed",
              "outcome.criterion_met", "outcome.criterion_missed", "referral.made", "roster.member_joined",
              "roster.member_left"]:
        assert types[t] > 0, t
    assert types["help.acknowledged"] < types["help.given"]  # some help never acknowledged
    assert types["review.published"] < types["deal.closed"]


def test_events_decode_with_the_contract():
    schemas = pytest.importorskip("schemas")
    if not hasattr(schemas, "decode"):
        pytest.skip("schemas.decode not available yet")
    for _, value in simulate(2, 4000, start=START):
        result = schemas.decode(value)
        assert isinstance(result, schemas.Event), result


def test_team_at_the_second_someone_leaves_is_none():
    """A leave at exactly the asked second used to compare None with a string and crash long runs."""
    from streams.simulator import Person

    p = Person("p", "P", "rep", 1.0, 1.0, 1.0, 1.0, False, timeline=[(100, "atlas"), (200, None), (300, "borealis")])
    assert [p.team_at(t) for t in (99, 100, 199, 200, 299, 300)] == [None, "atlas", "atlas", None, None, "borealis"]


NOW = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)


def test_demo_stream_history_ends_now_then_the_future_prefix_stable():
    from itertools import islice

    from streams.simulator import demo_stream

    a = list(islice(demo_stream(4, 3000, now=NOW), 3400))
    b = list(islice(demo_stream(4, 3000, now=NOW), 3600))[:3400]
    assert a == b, "asking for more never changes the first events"
    assert [e.index for e in a] == list(range(3400))
    history = [e for e in a if not e.live]
    assert 2500 < len(history) <= 3000 and all(not e.live for e in a[:len(history)])
    t_now = int(NOW.timestamp())
    assert all(e.time <= t_now for e in history) and all(e.time > t_now for e in a[len(history):])
    assert t_now - history[-1].time < 2 * 86_400, "the history reaches the present"
    assert [e.time for e in a] == sorted(e.time for e in a)
    future_types = {e.type for e in a[len(history):]}
    assert {"teamflow.deal.closed", "teamflow.help.given"} <= future_types


def test_demo_resume_point_from_the_topic_tail():
    from streams.demo import Plan, resume_point

    plan = Plan(7, 20000, 4, 270, NOW)
    assert Plan.from_source(plan.source) == plan
    tail = [(plan.source, "demo-000000041"), ("teamflow-sim/7", "sim-7-0000001"), (plan.source, "demo-000000040"),
            ("api/other", "demo-000099999"), (Plan(8, 20000, 4, 270, NOW).source, "demo-000000999")]
    assert resume_point(tail, 7) == (plan, 42)
    assert resume_point(tail, 9) is None and resume_point([], 7) is None


def test_simulator_takes_types_and_versions_from_the_contract():
    from schemas.catalog import CURRENT_VERSIONS
    from streams import simulator

    assert simulator.VERSIONS == CURRENT_VERSIONS
    events = [json.loads(v) for _, v in simulate(9, 20000, start=START)]
    assert {e["type"] for e in events} == set(CURRENT_VERSIONS)
    assert all(e["dataschema"].endswith(f"/v{CURRENT_VERSIONS[e['type']]}") for e in events)
