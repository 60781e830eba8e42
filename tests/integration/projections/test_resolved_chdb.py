"""Resolved entity rows (projections/resolved/) on chDB (or the configured server).

The judge is the derivation from scratch (`resolved.rebuild`, the pages' former SQL over the
projection tables): whatever order, batching and repetition the events arrive in, the rows the
writer keeps current batch by batch must equal it, row for row. And by hand: a help act reported
again in another month, a deal closed again later, an acknowledgement before its help, a roster
change that arrives late, each leaves exactly one current row where it belongs.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timezone

import pytest

import schemas
from projections import resolved
from projections.project import Positioned
from streams.fold.sink import store_events
from streams.simulator import simulate

pytestmark = pytest.mark.integration

START = datetime(2025, 11, 1, tzinfo=timezone.utc)


def _current(store, table) -> list[tuple]:
    """The table's current rows (newest derivation per key, tombstones dropped), without the version."""
    cols = [c for c, _ in table.columns if c not in ("_version", "_deleted")]
    df = store.query_df(f"SELECT {', '.join(cols)} FROM {table.name} FINAL ORDER BY {', '.join(cols)}")
    return [tuple(str(v) for v in row) for row in df.itertuples(index=False)]


def _load(store, events, batch):
    for i in range(0, len(events), batch):
        store_events(store, [Positioned(e, 0, i + j) for j, e in enumerate(events[i:i + batch])], 0)


@pytest.mark.parametrize("order", ["in time order", "shuffled, redelivered"])
def test_rows_kept_current_batch_by_batch_equal_a_derivation_from_scratch(store, order):
    events = [schemas.decode(v) for _, v in simulate(5, 6_000, start=START)]
    if order != "in time order":
        events = events + events[1_000:2_500]  # duplicates of a redelivered stretch
        random.Random(7).shuffle(events)  # late and out-of-order: acks before help, closes before changes
    _load(store, events, batch=400)
    kept = {t.name: _current(store, t) for t in resolved.TABLES}
    assert len(kept["help_acts"]) > 500 and len(kept["deal_outcomes"]) > 50  # the history has both
    assert sum(1 for r in kept["help_acts"] if r[8] == "1") > 100  # and acknowledged help
    counts = {t.name: int(store.query_scalar(f"SELECT count() FROM {t.name} FINAL")) for t in resolved.TABLES}
    assert counts["help_acts"] == int(store.query_scalar("SELECT count() FROM help_given FINAL"))
    assert counts["deal_outcomes"] == int(store.query_scalar("SELECT uniqExact(deal_id) FROM deal_closes"))
    assert counts["deal_exchange_teams"] == int(store.query_scalar("SELECT count() FROM deal_exchanges FINAL")) > 100
    assert counts["withdrawal_teams"] == int(store.query_scalar("SELECT count() FROM proposal_withdrawals FINAL")) > 5
    assert counts["artifacts"] == int(store.query_scalar("SELECT count() FROM knowledge_shared FINAL")) > 50
    assert counts["reuse_pairs"] > 50

    resolved.rebuild(store)
    assert {t.name: _current(store, t) for t in resolved.TABLES} == kept


def _event(n: int, time: str, type_: str, **data) -> schemas.Event:
    return schemas.decode(json.dumps({
        "specversion": "1.0", "id": f"r{n}", "source": "hand", "type": f"teamflow.{type_}",
        "time": f"2026-{time}Z", "dataschema": f"https://schemas.teamflow.dev/{type_}/v1", "data": data,
    }).encode())


def _write(store, *events):
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events)], 0)


def _help(store, help_id):
    return store.query_df("SELECT helper_team, recipient_team, acked, useful, toString(time) AS t FROM help_acts "
                          "FINAL WHERE help_id = {h:String}", {"h": help_id}).to_dict("records")


def test_each_entity_keeps_one_current_row_whatever_arrives_late(store):
    join = [_event(i, f"01-01T00:00:0{i}", "roster.member_joined", person=p, team="north", role="rep",
                   display_name=p) for i, p in enumerate("ab")]
    _write(store, *join)
    # an acknowledgement before its help: no row yet, then one acknowledged row
    _write(store, _event(10, "01-10T09:00:00", "help.acknowledged", help_id="h1", recipient="b", useful=True))
    assert _help(store, "h1") == []
    _write(store, _event(11, "01-10T10:00:00", "help.given", help_id="h1", helper="a", recipient="b", kind="advice",
                         minutes=30))
    assert _help(store, "h1") == [{"helper_team": "north", "recipient_team": "north", "acked": 1, "useful": 1,
                                   "t": "2026-01-10 10:00:00.000"}]
    # the helper reports it again, dated in March: one row, in March's partition
    _write(store, _event(12, "03-02T10:00:00", "help.given", help_id="h1", helper="a", recipient="b", kind="advice",
                         minutes=30))
    assert [r["t"] for r in _help(store, "h1")] == ["2026-03-02 10:00:00.000"]
    # a roster change that arrives late (b moved to south in February): b's team at the act is south
    _write(store, _event(13, "02-01T00:00:00", "roster.member_joined", person="b", team="south", role="rep",
                         display_name="b"))
    assert [(r["helper_team"], r["recipient_team"]) for r in _help(store, "h1")] == [("north", "south")]
    # the recipient changes their mind: not useful
    _write(store, _event(14, "03-05T10:00:00", "help.acknowledged", help_id="h1", recipient="b", useful=False))
    assert [(r["acked"], r["useful"]) for r in _help(store, "h1")] == [(1, 0)]

    # a deal closed, moved to another team, closed again a month later: its latest close, the team then
    _write(store, _event(20, "01-02T10:00:00", "deal.opened", deal_id="d1", owner="a", team="north", account="x",
                         amount=1.0, currency="EUR", stage="s"),
           _event(21, "01-20T10:00:00", "deal.closed", deal_id="d1", outcome="lost", amount=1.0))
    outcome = "SELECT outcome, team, toString(closed_at) AS t FROM deal_outcomes FINAL WHERE deal_id = 'd1'"
    assert store.query_df(outcome).to_dict("records") == [{"outcome": "lost", "team": "north",
                                                           "t": "2026-01-20 10:00:00.000"}]
    _write(store, _event(22, "02-05T10:00:00", "deal.stage_changed", deal_id="d1", stage="s", team="south"),
           _event(23, "02-25T10:00:00", "deal.closed", deal_id="d1", outcome="won", amount=1.0))
    assert store.query_df(outcome).to_dict("records") == [{"outcome": "won", "team": "south",
                                                           "t": "2026-02-25 10:00:00.000"}]
    # an exchange and a withdrawal written before the deal's move to south: they stay north's; one dated
    # after it, and a withdrawal reported again after it, are south's
    _write(store, _event(24, "02-01T10:00:00", "deal.exchange", deal_id="d1", direction="seller_gave", kind="demo"),
           _event(25, "02-01T11:00:00", "proposal.withdrawn", deal_id="d1", proposal_id="p1"))
    teams = "SELECT team FROM {t} FINAL WHERE deal_id = 'd1' ORDER BY time"
    assert store.query_df(teams.format(t="deal_exchange_teams"))["team"].tolist() == ["north"]
    assert store.query_df(teams.format(t="withdrawal_teams"))["team"].tolist() == ["north"]
    _write(store, _event(26, "02-10T10:00:00", "deal.exchange", deal_id="d1", direction="buyer_gave", kind="commitment"),
           _event(27, "02-10T11:00:00", "proposal.withdrawn", deal_id="d1", proposal_id="p1"))
    assert store.query_df(teams.format(t="deal_exchange_teams"))["team"].tolist() == ["north", "south"]
    assert store.query_df(teams.format(t="withdrawal_teams"))["team"].tolist() == ["south"]
    # an artifact and a reuse 10 days later by b: one pair, b's team then (south since February)
    _write(store, _event(30, "02-20T10:00:00", "knowledge.shared", artifact_id="k1", author="a", kind="lesson",
                         title="t", audience="org"),
           _event(31, "03-02T10:00:00", "knowledge.reused", artifact_id="k1", user="b"),
           _event(32, "03-03T10:00:00", "knowledge.reused", artifact_id="k1", user="a"))  # the author's own: not a pair
    pairs = "SELECT user, user_team, toString(shared_at) AS s FROM reuse_pairs FINAL WHERE artifact_id = 'k1'"
    assert store.query_df(pairs).to_dict("records") == [{"user": "b", "user_team": "south",
                                                         "s": "2026-02-20 10:00:00.000"}]
    # shared again, dated in April (the latest report wins): the reuse came before it, so no pair; one row
    _write(store, _event(33, "04-05T10:00:00", "knowledge.shared", artifact_id="k1", author="a", kind="lesson",
                         title="t", audience="org"))
    assert store.query_df(pairs).empty
    assert store.query_df("SELECT toString(time) AS t, author_team FROM artifacts FINAL WHERE artifact_id = 'k1'"
                          ).to_dict("records") == [{"t": "2026-04-05 10:00:00.000", "author_team": "north"}]
    # the same batches again (a redelivery) change nothing
    before = {t.name: _current(store, t) for t in resolved.TABLES}
    _write(store, _event(22, "02-05T10:00:00", "deal.stage_changed", deal_id="d1", stage="s", team="south"),
           _event(11, "01-10T10:00:00", "help.given", help_id="h1", helper="a", recipient="b", kind="advice",
                  minutes=30))
    assert {t.name: _current(store, t) for t in resolved.TABLES} == before


def test_touched_names_the_entities_of_a_batch():
    from projections.project import encode

    batch = [_event(1, "01-01T00:00:00", "roster.member_joined", person="p", team="t", role="rep", display_name="p"),
             _event(2, "01-03T00:00:00", "roster.member_left", person="q", team="t"),
             _event(3, "01-05T00:00:00", "help.acknowledged", help_id="h9", recipient="p", useful=True),
             _event(4, "01-06T00:00:00", "deal.closed", deal_id="d9", outcome="won", amount=1.0)]
    t = resolved.touched(encode([Positioned(e, 0, i) for i, e in enumerate(batch)], 0))
    assert t.ids == {"help_acks": {"h9"}, "deal_closes": {"d9"}} and t.persons == {"p", "q"}
    assert t.persons_since_ms == int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    assert not resolved.touched({})
