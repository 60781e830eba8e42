"""Importers, pure: field parsing, the mapping, deterministic ids, every format on the fixture files."""
import csv
from datetime import datetime, timezone

import pytest

from schemas import Event, decode
from streams.importers.facts import RowError, event_id, parse_amount, parse_bool, parse_time
from streams.importers.mapping import ImportMapping, MappingError, load_mapping
from streams.importers.plan import Planned, Reject, check_header, plan_rows
from support.services import REPO

pytestmark = pytest.mark.unit

CRM = REPO / "tests" / "fixtures" / "crm"


@pytest.mark.parametrize("text,amount,currency", [
    ("12000", 12000.0, None), ("12,000.50", 12000.5, None), ("$80,500.50", 80500.5, None),
    ("EUR 120,000.00", 120000.0, "EUR"), ("5000 GBP", 5000.0, "GBP"), ("", None, None), (None, None, None),
])
def test_amounts(text, amount, currency):
    assert parse_amount(text) == (amount, currency)


@pytest.mark.parametrize("text", ["twelve", "-5", "1e20"])
def test_bad_amounts_say_why(text):
    with pytest.raises(RowError, match="Amount"):
        parse_amount(text, "Amount")


@pytest.mark.parametrize("text,expected", [
    ("2025-03-31", datetime(2025, 3, 31, tzinfo=timezone.utc)),
    ("3/28/2025", datetime(2025, 3, 28, tzinfo=timezone.utc)),
    ("2025-01-10T09:30:00.000+0000", datetime(2025, 1, 10, 9, 30, tzinfo=timezone.utc)),
    ("2025-01-10T10:30:00+01:00", datetime(2025, 1, 10, 9, 30, tzinfo=timezone.utc)),
    ("2025-05-02 10:00", datetime(2025, 5, 2, 10, 0, tzinfo=timezone.utc)),
])
def test_dates(text, expected):
    assert parse_time(text, "d") == expected


def test_date_format_from_mapping_and_bad_dates():
    assert parse_time("03.01.2025", "d", "%d.%m.%Y") == datetime(2025, 1, 3, tzinfo=timezone.utc)
    with pytest.raises(RowError, match="Close Date: expected a date"):
        parse_time("soon", "Close Date")
    assert parse_bool("TRUE", "x") is True and parse_bool("", "x") is None
    with pytest.raises(RowError):
        parse_bool("maybe", "IsWon")


def test_mapping_owners_stages_outcomes():
    m = ImportMapping(owners={"Ana Lima": {"person": "p-ana", "team": "north"}, "Cy": "south"},
                      stages={"Negotiation/Review": "negotiation"}, outcomes={"No Decision": "no_decision"},
                      pseudonym_salt="s")
    assert m.owner("ana lima").person == "p-ana" and m.owner("Cy").team == "south"
    assert m.owner("Cy").person == m.pseudonym("cy") != ImportMapping(pseudonym_salt="t").pseudonym("cy")
    assert m.owner("Nobody") is None
    assert ImportMapping(default_team="pool").owner("Nobody").team == "pool"
    assert m.stage("Negotiation/Review") == "negotiation" and m.stage("Proposal/Price Quote") == "proposal_price_quote"
    assert m.outcome("Closed Won") == "won" and m.outcome("closedlost") == "lost"
    assert m.outcome("no decision") == "no_decision" and m.outcome("Prospecting") is None
    with pytest.raises(MappingError):
        ImportMapping(outcomes={"x": "maybe"})
    with pytest.raises(MappingError):
        ImportMapping(columns={"deal": "Deal"})


def test_mapping_files_yaml_and_toml(tmp_path):
    m = load_mapping(CRM / "mapping.yaml")
    assert m.currency == "EUR" and m.owner("Bo Chen").team == "team-north"
    t = tmp_path / "m.toml"
    t.write_text('currency = "GBP"\ndefault_team = "t1"\n[owners]\n"Ana" = "t2"\n')
    m = load_mapping(t, default_team="t9")
    assert m.currency == "GBP" and m.default_team == "t9" and m.owner("Ana").team == "t2"
    bad = tmp_path / "bad.yaml"
    bad.write_text("owner: {}\n")
    with pytest.raises(MappingError, match="unknown key"):
        load_mapping(bad)


def test_event_ids_are_deterministic_and_length_prefixed():
    assert event_id("salesforce", "opened", "006") == event_id("salesforce", "opened", "006")
    assert event_id("salesforce", "opened", "006") != event_id("hubspot", "opened", "006")
    assert event_id("ab", "c") != event_id("a", "bc")


def _plan(kind, name, mapping="mapping.yaml"):
    m = load_mapping(CRM / mapping)
    with open(CRM / name, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        assert check_header(kind, reader.fieldnames, m) == []
        return list(plan_rows(kind, ((reader.line_num, r) for r in reader), m, m.source or "//crm/test"))


def _events(items):
    return [decode(v) for p in items if isinstance(p, Planned) for _, v, _, _ in p.events]


def test_salesforce_report_rows():
    items = _plan("salesforce-report", "salesforce_report.csv")
    events = _events(items)
    assert all(isinstance(e, Event) for e in events)
    opened = {e.data.deal_id: e for e in events if e.type == "teamflow.deal.opened"}
    initech = opened["0065e00000AAA01"]
    assert (initech.data.owner, initech.data.team, initech.data.amount, initech.data.currency,
            initech.data.stage) == ("p-ana", "team-north", 120000.0, "EUR", "closed_won")
    assert initech.time == datetime(2025, 1, 6, tzinfo=timezone.utc)
    closed = {e.data.deal_id: e.data.outcome for e in events if e.type == "teamflow.deal.closed"}
    assert closed == {"0065e00000AAA01": "won", "0065e00000AAA02": "lost", "0065e00000AAA05": "no_decision"}
    assert opened["0065e00000AAA03"].data.stage == "negotiation" and opened["0065e00000AAA03"].data.team == "team-south"
    rejects = [p for p in items if isinstance(p, Reject)]
    assert [(r.line, r.deal_id) for r in rejects] == [(7, "0065e00000AAA06"), (8, "0065e00000AAA07")]
    # Kafka key: the owner's team
    keys = {k for p in items if isinstance(p, Planned) for k, _, _, _ in p.events}
    assert keys == {b"team-north", b"team-south"}


def test_same_rows_same_ids():
    a = [v for p in _plan("salesforce-report", "salesforce_report.csv") if isinstance(p, Planned) for _, v, _, _ in p.events]
    b = [v for p in _plan("salesforce-report", "salesforce_report.csv") if isinstance(p, Planned) for _, v, _, _ in p.events]
    assert [decode(x).id for x in a] == [decode(x).id for x in b]


def test_salesforce_api_flags_and_history_share_close_ids():
    api = _events(_plan("salesforce-api", "salesforce_api.csv"))
    hist = _events(_plan("salesforce-history", "salesforce_history.csv"))
    api_closed = {e.id for e in api if e.type == "teamflow.deal.closed"}
    hist_closed = {e.id for e in hist if e.type == "teamflow.deal.closed"}
    assert api_closed == hist_closed and len(api_closed) == 2
    lost = [e for e in api if e.type == "teamflow.deal.closed" and e.data.outcome == "lost"]
    assert lost[0].data.deal_id == "0065e00000BBB02"
    stages = [(e.data.deal_id, e.data.stage) for e in hist if e.type == "teamflow.deal.stage_changed"]
    assert ("0065e00000BBB01", "proposal_price_quote") in stages and len(stages) == 4


def test_hubspot_pipeline_extension_and_account():
    events = _events(_plan("hubspot", "hubspot_deals.csv"))
    opened = [e for e in events if e.type == "teamflow.deal.opened"]
    assert opened[0].extensions == {"pipeline": "Sales Pipeline"} and opened[0].data.account == "Initech"
    assert {e.data.outcome for e in events if e.type == "teamflow.deal.closed"} == {"won", "lost"}


def test_generic_csv_with_mapping():
    items = _plan("csv", "generic_deals.csv", "generic_mapping.yaml")
    events = _events(items)
    assert {e.source for e in events} == {"//crm/pipedrive"}
    won = [e for e in events if e.type == "teamflow.deal.closed" and e.data.outcome == "won"]
    assert won[0].time == datetime(2025, 2, 20, tzinfo=timezone.utc) and won[0].data.amount == 12000.0
    changed = [e for e in events if e.type == "teamflow.deal.stage_changed"]
    assert changed[0].data.stage == "proposal_made" and changed[0].time == datetime(2025, 2, 5, tzinfo=timezone.utc)
    [reject] = [p for p in items if isinstance(p, Reject)]
    assert reject.reason == "Organization: required, but empty"


def test_header_check_names_missing_columns():
    m = load_mapping(CRM / "mapping.yaml")
    assert check_header("hubspot", ["Id", "Name"], m) == ["Record ID", "Deal Stage", "Deal owner"]
    assert check_header("salesforce-history", ["Opportunity ID", "To Stage", "Edit Date"], m) == []
    with pytest.raises(RowError, match="missing deal_id"):
        check_header("csv", ["x"], ImportMapping(columns={"stage": "S"}))
