"""End to end on chDB: simulate -> decode -> project_batch -> insert -> team_metrics == oracle.

The oracle (tests/support/reference_metrics.py) computes every team metric in plain Python
from the event dicts. Duplicated delivery and shuffled (out-of-order) batches must not change
any figure.
"""
from __future__ import annotations

import json
import random
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from projections import metrics  # noqa: E402
from projections.migrations import migrate  # noqa: E402
from projections.project import ALL_TABLES, project_batch  # noqa: E402
from projections.store import open_store  # noqa: E402
from streams.simulator import simulate  # noqa: E402
from tests.support.reference_metrics import index_events, reference_team_metrics, reference_teams  # noqa: E402

pytestmark = pytest.mark.integration

SEED = 20260
N_EVENTS = 24_000
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
PERIODS = ["2025-Q4", "2026-Q1", "2025-11", "2026-W05"]
BATCH = 2_000


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory):
    # One chDB data directory per process: every projections test module uses this same one.
    path = tmp_path_factory.getbasetemp() / "chdb-projections"
    path.mkdir(exist_ok=True)
    return str(path)


@pytest.fixture
def store(chdb_dir):
    s = open_store(url=None, data_dir=chdb_dir, database=f"t_{uuid.uuid4().hex[:12]}")
    migrate(s)
    yield s
    s.command(f"DROP DATABASE IF EXISTS {s.database}")
    s.close()


@pytest.fixture(scope="session")
def simulated():
    schemas = pytest.importorskip("schemas")
    if not hasattr(schemas, "decode"):
        pytest.skip("schemas.decode not available yet")
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
        for table, df in project_batch(events[i : i + batch]).items():
            store.insert_df(table, df)


def assert_close(actual, expected, path="$"):
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), f"{path}: keys {set(actual) ^ set(expected)}"
        for k in expected:
            assert_close(actual[k], expected[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: length"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, f"{path}[{i}]")
    elif isinstance(expected, float) or isinstance(actual, float):
        assert actual is not None and expected is not None, f"{path}: {actual!r} != {expected!r}"
        assert abs(actual - expected) <= 1e-9, f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected and type(actual) is type(expected), f"{path}: {actual!r} != {expected!r}"


def assert_all_match(store, teams, expected):
    assert metrics.teams(store) == teams
    for (team, period), want in expected.items():
        got = metrics.team_metrics(store, team, period)
        json.dumps(got)  # JSON-serialisable as promised
        assert_close(got, want, f"{team}/{period}")


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
