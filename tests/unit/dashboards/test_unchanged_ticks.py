"""A live page's tick sends nothing while the browser already shows the latest snapshot."""
from __future__ import annotations

from dash import no_update

from dashboards.read_model import stamp, unchanged


def _value(as_of, confirmed=None):
    return {"summary": {"as_of": as_of, **({"confirmed_at": confirmed} if confirmed else {})}}


def test_a_new_snapshot_is_sent_whole():
    assert unchanged(_value("2026-01-01T10:00:00+00:00"), None) == "all"
    shown = stamp(_value("2026-01-01T10:00:00+00:00"))
    assert unchanged(_value("2026-01-01T10:00:05+00:00"), shown) == "all"


def test_the_same_snapshot_sends_nothing_and_its_footers_now_and_then():
    v = _value("2026-01-01T10:00:00+00:00")
    assert unchanged(v, stamp(v)) == "none"
    confirmed = _value("2026-01-01T10:00:00+00:00", "2026-01-01T10:00:01+00:00")
    assert unchanged(confirmed, stamp(v)) == "feet", "first confirmation: the footers say so"
    later = _value("2026-01-01T10:00:00+00:00", "2026-01-01T10:00:03+00:00")
    assert unchanged(later, stamp(confirmed)) == "none", "confirmed again soon after: nothing"
    much_later = _value("2026-01-01T10:00:00+00:00", "2026-01-01T10:00:07+00:00")
    assert unchanged(much_later, stamp(confirmed)) == "feet"


def test_team_live_tick_sends_no_update_for_an_unchanged_snapshot(monkeypatch):
    from dashboards.pages import team_live

    calls = []
    monkeypatch.setattr(team_live, "outputs_for", lambda data, user, only=None: calls.append(1) or list(range(18)))
    v = _value("2026-01-01T10:00:00+00:00")
    first = team_live.ticked(v, None, None)
    assert first[:18] == list(range(18)) and {k: first[-1][k] for k in stamp(v)} == stamp(v)
    assert team_live.ticked(v, None, first[-1]) == [no_update] * 19 and len(calls) == 1
    feet = team_live.ticked(_value("2026-01-01T10:00:00+00:00", "2026-01-01T10:00:09+00:00"), None, first[-1])
    assert [i for i, x in enumerate(feet[:18]) if x is not no_update] == list(range(2, 18, 3))
