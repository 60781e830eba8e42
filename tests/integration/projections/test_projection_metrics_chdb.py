"""End to end on chDB: simulate -> decode -> encode -> insert (the worker's write) -> team_metrics == oracle.

The oracle (tests/support/reference_metrics.py) computes every team metric in plain Python
from the event dicts. Duplicated delivery and shuffled (out-of-order) batches must not change
any figure.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timezone

import pytest

from projections import metrics
from projections.migrations import migrate
from projections.project import ALL_TABLES, Positioned
from streams.simulator import simulate
from streams.fold.sink import store_events
from support.metric_compare import assert_all_match
from support.reference_metrics import index_events, reference_team_metrics, reference_teams

pytestmark = pytest.mark.integration

SEED = 20260
N_EVENTS = 24_000
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
PERIODS = ["2025-Q4", "2026-Q1", "2025-11", "2026-W05"]
BATCH = 2_000


@pytest.fixture(scope="session")
def simulated():
    import schemas

    raw = [value for _, value in simulate(SEED, N_EVENTS, start=START)]
    decoded = [schemas.decode(v) for v in raw]
    rejected = [r for r in decoded if not isinstance(r, schemas.Event)]
    assert rejected == []
    dicts = [json.loads(v) for v in raw]
    index = index_events(dicts)
    teams = reference_teams(dicts)
    expected = {(t, p): reference_team_metrics(dicts, t, p, index) for t in teams for p in PERIODS}
    return decoded, teams, expected


def load(store, events, batch=BATCH):
    for i in range(0, len(events), batch):
        store_events(store, [Positioned(e, 0, i + j) for j, e in enumerate(events[i : i + batch])], 0)


def test_migration_creates_every_projection_table_once(store):
    tables = set(store.query_df("SHOW TABLES")["name"])
    assert {t.name for t in ALL_TABLES} <= tables
    assert migrate(store) == []


def test_team_metrics_equal_reference(store, simulated):
    events, teams, expected = simulated
    load(store, events)
    assert_all_match(store, teams, expected)
    # The simulated organisation exercises the metrics: quarters have real figures.
    q = metrics.team_metrics(store, teams[0], "2025-Q4")
    assert q["reciprocity"]["reciprocity_index"]["value"] is not None
    assert q["collaboration"]["collaborative_share"]["value"] is not None
    assert q["information_sharing"]["reuse_rate"]["value"] is not None
    assert q["recognition"]["helping_sharing_failure_share"]["value"] is not None


def test_duplicates_change_nothing(store, simulated):
    events, teams, expected = simulated
    load(store, events)
    load(store, events, batch=1_500)  # redelivered, with other batch boundaries
    load(store, events[5_000:9_000])
    assert_all_match(store, teams, expected)


def test_out_of_order_batches_change_nothing(store, simulated):
    events, teams, expected = simulated
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    load(store, shuffled)
    assert_all_match(store, teams, expected)


def test_person_metrics_are_json_and_count_own_help(store, simulated):
    events, teams, _ = simulated
    load(store, events)
    person = next(e.data.helper for e in events if e.type == "teamflow.help.given")
    got = metrics.person_metrics(store, person, "2025-Q4")
    json.dumps(got)
    assert got["help"]["help_given"]["value"] >= 0
    assert set(got) >= {"help", "information_sharing", "recognition", "reviews_published", "referrals_made"}
