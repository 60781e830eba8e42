"""Comparing metric results with the plain-Python reference: exact for counts, 1e-9 for rates."""
from __future__ import annotations

import json
from typing import Any


def assert_close(actual: Any, expected: Any, path: str = "$") -> None:
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


def assert_all_match(store: Any, teams: list[str], expected: dict[tuple[str, str], Any]) -> None:
    from projections import metrics

    assert metrics.teams(store) == teams
    for (team, period), want in expected.items():
        got = metrics.team_metrics(store, team, period)
        json.dumps(got)  # JSON-serialisable as promised
        assert_close(got, want, f"{team}/{period}")
