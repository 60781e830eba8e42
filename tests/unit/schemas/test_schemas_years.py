"""Times and dates the store cannot hold are refused by the contract, not by the store (where a
refused batch would block the fold): years 1971..2148 only, in the decoder and the JSON Schema alike."""
from __future__ import annotations

import json
import re
import typing
from datetime import date, datetime
from pathlib import Path

import msgspec
import pytest

from schemas import decode
from schemas.catalog import EVENT_TYPES
from schemas.text import DATE_PATTERN, TIME_PATTERN

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[3] / "schemas" / "examples"


def _event(type_name: str) -> dict:
    return json.loads((EXAMPLES / type_name / "valid.json").read_text())


@pytest.mark.parametrize("year", ["0433", "1969", "1970", "2149", "2200", "9999"])
def test_a_time_outside_the_stores_years_is_refused_by_decoder_and_pattern(year):
    event = _event("teamflow.help.given")
    event["time"] = f"{year}-05-01T10:00:00Z"
    rejected = decode(json.dumps(event).encode())
    assert getattr(rejected, "code", None) is not None, rejected
    assert "time" in rejected.reason and year.lstrip("0") in rejected.reason
    assert re.search(TIME_PATTERN, event["time"]) is None


@pytest.mark.parametrize("year", ["1971", "2026", "2148"])
def test_years_the_store_holds_pass(year):
    event = _event("teamflow.help.given")
    event["time"] = f"{year}-05-01T10:00:00Z"
    assert not hasattr(decode(json.dumps(event).encode()), "code")
    assert re.search(TIME_PATTERN, event["time"])


def test_a_due_date_outside_the_stores_years_is_refused():
    event = _event("teamflow.outcome.criteria_defined")
    event["data"]["criteria"][0]["due"] = "0433-01-01"
    rejected = decode(json.dumps(event).encode())
    assert rejected.code == "invalid_data" and "criteria[0].due: year 433" in rejected.reason
    assert re.search(DATE_PATTERN, "0433-01-01") is None and re.search(DATE_PATTERN, "2026-01-01")


def _holds_a_date(tp, seen=None) -> bool:
    seen = seen or set()
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _holds_a_date(typing.get_args(tp)[0], seen)
    if tp in (date, datetime):
        return True
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and tp not in seen:
        seen.add(tp)
        return any(_holds_a_date(h, seen) for h in typing.get_type_hints(tp, include_extras=True).values())
    return any(_holds_a_date(a, seen) for a in typing.get_args(tp))


def test_criteria_defined_is_the_only_type_with_a_date_in_its_data():
    """The decoder checks dates in the data of that one type; a new date field elsewhere must be added there."""
    with_dates = {name for name, versions in EVENT_TYPES.items() for struct in versions.values() if _holds_a_date(struct)}
    assert with_dates == {"teamflow.outcome.criteria_defined"}
