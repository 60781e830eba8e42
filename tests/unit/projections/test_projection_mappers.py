"""Row mappers and the encoder (projections/project.py) on small hand-made histories (no store)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pandas as pd
import pytest

from projections.project import (ALL_TABLES, PROJECTION_TABLES, TABLES_BY_NAME, Positioned, encode, handled_types,
                                 projection_columns)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
OPTIONAL = {
    "roster.member_left": ("role", "display_name"),
    "help.requested": ("deal_id",),
    "help.given": ("request_id", "deal_id"),
    "knowledge.shared": ("deal_id",),
    "knowledge.reused": ("deal_id",),
    "deal.stage_changed": ("owner", "team", "account", "amount", "currency"),
    "deal.closed": ("reason",),
    "proposal.withdrawn": ("reason",),
}
_n = 0


def frames_of(events, tables=None):
    """The encoder's projection tables for `events`, as DataFrames (the `events` table needs real data
    structs, which these stand-ins are not, so it is left out)."""
    names = set(TABLES_BY_NAME) if tables is None else {t.name for t in tables}
    out = encode([Positioned(e, 0, i) for i, e in enumerate(events)], 0, names)
    return {name: table.to_pandas() for name, table in out.items()}


def ev(type_: str, at: float = 0, **data):
    """An Event-like object at T0 + `at` minutes, with the attributes of `schemas.Event` (optional fields None)."""
    global _n
    _n += 1
    for name in OPTIONAL.get(type_, ()):
        data.setdefault(name, None)
    return SimpleNamespace(
        id=f"e{_n}", source="test", type=f"teamflow.{type_}", time=T0 + timedelta(minutes=at),
        subject=None, version=1, data=SimpleNamespace(**data),
    )


def test_every_table_is_in_one_projection_and_every_type_is_mapped():
    names = [t.name for tables in PROJECTION_TABLES.values() for t in tables]
    assert len(names) == len(set(names)) == len(ALL_TABLES)
    catalog = {
        "roster.member_joined", "roster.member_left", "help.requested", "help.given", "help.acknowledged",
        "knowledge.shared", "knowledge.reused", "recognition.given", "deal.opened", "deal.stage_changed",
        "deal.collaborator_added", "deal.closed", "proposal.sent", "proposal.withdrawn",
        "deal.rediscovery_started", "review.published", "deal.exchange", "outcome.criteria_defined",
        "outcome.handoff_completed", "outcome.criterion_met", "outcome.criterion_missed", "referral.made",
    }
    assert handled_types() == {f"teamflow.{t}" for t in catalog}


def test_frames_have_exactly_the_table_columns_and_utc_times():
    frames = frames_of([
        ev("roster.member_joined", person="p1", team="north", role="rep", display_name="P One"),
        ev("help.given", 5, help_id="h1", helper="p1", recipient="p2", kind="advice", minutes=30),
        ev("review.published", 9, review_id="r1", deal_id="d1", author="p1", kind="postmortem", lessons=("a", "b")),
    ])
    assert set(frames) == {"roster_changes", "help_given", "reviews"}
    for name, df in frames.items():
        assert list(df.columns) == TABLES_BY_NAME[name].column_names
        assert str(df["time"].dtype) == "datetime64[ms, UTC]"
    assert frames["help_given"]["time"].iloc[0] == pd.Timestamp(T0 + timedelta(minutes=5))
    review = frames["reviews"].iloc[0]
    assert review["lesson_count"] == 2 and review["lessons"] == '["a", "b"]'


def test_help_and_ack_are_separate_facts_keyed_by_identity():
    ack = ev("help.acknowledged", 1, help_id="h1", recipient="p2", useful=True)
    given = ev("help.given", 2, help_id="h1", helper="p1", recipient="p2", request_id="q1", kind="advice", minutes=15)
    frames = frames_of([ack, given])  # the ack first: arrival order does not matter
    acks, helps = frames["help_acks"], frames["help_given"]
    assert acks[["help_id", "recipient", "useful", "source", "event_id"]].values.tolist() == [["h1", "p2", 1, "test", ack.id]]
    row = helps.iloc[0]
    assert (row["help_id"], row["helper"], row["recipient"], row["request_id"], row["deal_id"], row["minutes"]) == (
        "h1", "p1", "p2", "q1", "", 15
    )
    assert TABLES_BY_NAME["help_given"].order_by == ("help_id",)
    assert TABLES_BY_NAME["help_acks"].order_by == ("help_id", "recipient")


def test_roster_left_means_no_team_after():
    frames = frames_of([
        ev("roster.member_joined", person="p1", team="north", role="rep", display_name="P"),
        ev("roster.member_left", 60, person="p1", team="north"),
    ])
    df = frames["roster_changes"]
    assert df[["change", "team", "team_after", "role"]].values.tolist() == [
        ["joined", "north", "north", "rep"], ["left", "north", "", ""],
    ]


def test_criteria_become_one_row_each_and_stage_change_keeps_missing_fields_empty():
    crit = [SimpleNamespace(criterion_id=f"c{i}", description="d", target="t", due=due)
            for i, due in enumerate(["2026-03-01", date(2026, 4, 1)])]
    frames = frames_of([
        ev("outcome.criteria_defined", deal_id="d1", criteria=crit),
        ev("deal.stage_changed", 3, deal_id="d1", stage="proposal"),
        ev("deal.opened", deal_id="d1", owner="p1", team="north", account="a", amount=10.0, currency="EUR", stage="s"),
    ])
    sc = frames["success_criteria"]
    assert sc["criterion_id"].tolist() == ["c0", "c1"]
    assert sc["due"].tolist() == [date(2026, 3, 1), date(2026, 4, 1)]
    changes = frames["deal_changes"].set_index("change")
    assert changes.loc["stage_changed", "team"] == "" and changes.loc["stage_changed", "owner"] == ""
    assert pd.isna(changes.loc["stage_changed", "amount"])
    assert changes.loc["opened", "team"] == "north"


def test_referral_uses_referred_to_and_outcomes_map():
    frames = frames_of([
        ev("referral.made", referrer="p1", account="a1", referred_to="vendor", reason="fit"),
        ev("outcome.criterion_met", deal_id="d1", criterion_id="c1", observed="ok"),
        ev("outcome.criterion_missed", deal_id="d1", criterion_id="c2", observed="no"),
        ev("outcome.handoff_completed", deal_id="d1", from_person="p1", to_person="p9", criteria_transferred=True),
    ])
    assert frames["referrals"]["referred_to"].tolist() == ["vendor"]
    assert frames["criterion_results"]["result"].tolist() == ["met", "missed"]
    assert frames["handoffs"]["criteria_transferred"].tolist() == [1]


def test_unknown_types_are_ignored_and_tables_filter_restricts_output():
    events = [
        ev("something.else", x=1),
        ev("recognition.given", giver="p1", receiver="p2", reason="helping"),
        ev("knowledge.shared", artifact_id="a1", author="p1", kind="lesson", title="t", audience="team"),
    ]
    assert set(frames_of(events)) == {"recognitions", "knowledge_shared"}
    only = frames_of(events, tables=PROJECTION_TABLES["knowledge"])
    assert set(only) == {"knowledge_shared"}
    assert frames_of([]) == {}


def test_same_batch_twice_gives_equal_frames():
    events = [ev("deal.exchange", i, deal_id="d1", direction="seller_gave", kind="demo") for i in range(3)]
    a, b = frames_of(events), frames_of(list(events))
    pd.testing.assert_frame_equal(a["deal_exchanges"], b["deal_exchanges"])


def test_a_row_that_misses_or_adds_a_column_is_refused():
    table = TABLES_BY_NAME["recognitions"]
    e = ev("recognition.given", giver="p1", receiver="p2", reason="helping")
    with pytest.raises(ValueError, match="without the column 'reason'"):
        projection_columns(table, [dict(giver="p1", receiver="p2", reasons="x")], [0], [e], [0])
    with pytest.raises(ValueError, match="not"):
        projection_columns(table, [dict(giver="p1", receiver="p2", reason="x", extra=1)], [0], [e], [0])
    good = projection_columns(table, [dict(receiver="p2", reason="x", giver="p1")], [0], [e], [7])
    assert good == [["p1"], ["p2"], ["x"], [7], ["test"], [e.id]]  # by name, whatever the order given


def test_mappers_are_registered_by_catalog_model():
    from schemas.catalog import CURRENT_MODELS
    from projections import reciprocity

    assert reciprocity.MAPPERS[CURRENT_MODELS["teamflow.help.given"]] is reciprocity._given


def test_create_sql_of_every_table_is_a_replacing_merge_tree_with_event_columns():
    for table in ALL_TABLES:
        sql = table.create_sql()
        assert "ReplacingMergeTree" in sql
        # A key must never span partitions (FINAL deduplicates within one): entity tables (the later
        # event wins) are unpartitioned; event-keyed ones by year of `time`, which their key holds.
        if table.engine == "ReplacingMergeTree(time)":
            assert "PARTITION BY" not in sql and table.partition_by is None
        else:
            assert table.partition_by == "toYear(time)" and "time" in table.order_by
            assert {"source", "event_id"} <= set(table.order_by)
        assert table.column_names[-3:] == ["time", "source", "event_id"]
        assert set(table.order_by) <= set(table.column_names)
