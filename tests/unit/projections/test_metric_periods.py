from datetime import datetime, timezone

import pytest

from projections.metrics import parse_period, previous_period

pytestmark = pytest.mark.unit


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2026-Q1", utc(2026, 1, 1), utc(2026, 4, 1)),
        ("2026-Q4", utc(2026, 10, 1), utc(2027, 1, 1)),
        ("2026-03", utc(2026, 3, 1), utc(2026, 4, 1)),
        ("2026-12", utc(2026, 12, 1), utc(2027, 1, 1)),
        ("2026-W09", utc(2026, 2, 23), utc(2026, 3, 2)),
        ("2026-W01", utc(2025, 12, 29), utc(2026, 1, 5)),
        ("2026-03-05", utc(2026, 3, 5), utc(2026, 3, 6)),
        ("2024-02-29", utc(2024, 2, 29), utc(2024, 3, 1)),
    ],
)
def test_parse_period(text, start, end):
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "2026-W54", "2026-02-30", "Q1-2026", "", "2026"])
def test_parse_period_rejects(text):
    with pytest.raises(ValueError):
        parse_period(text)


@pytest.mark.parametrize(
    "text,before",
    [("2026-Q1", "2025-Q4"), ("2026-03", "2026-02"), ("2026-01", "2025-12"), ("2026-W01", "2025-W52"),
     ("2026-03-01", "2026-02-28")],
)
def test_previous_period(text, before):
    assert previous_period(text) == before
