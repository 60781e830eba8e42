"""The ops role's rules and the ops page's pure rendering (no store, no broker)."""
from __future__ import annotations

from dashboards import access, guard
from dashboards.pages import ops
from dashboards.users import User, UsersError, validate


def test_the_ops_role_opens_only_the_ops_page():
    olga = User("olga", "ops")
    assert validate(olga) is olga  # no person, no team needed
    assert access.home(olga) == "/ops" and access.nav(olga) == [("/ops", "Operations")]
    assert [p for p in access.PAGES if access.can_open(olga, p)] == ["/ops"]
    assert access.teams_for(olga, ["atlas"]) == [] and not access.can_see_team(olga, "atlas")
    assert not access.can_see_person(olga, "person-0001", "atlas")
    for role in ("rep", "manager", "executive"):
        assert not access.can_open(User("x", role, "p", ("atlas",)), "/ops")


def test_unknown_roles_are_still_refused():
    try:
        validate(User("x", "admin"))
    except UsersError as exc:
        assert "ops" in str(exc)
    else:
        raise AssertionError("admin is no role")


def test_worker_states_render_with_their_detail():
    base = {"since": 100.0, "retries": 2, "events_folded": 1234, "dead_letters": 5, "last_commit_at": 90.0}
    text = guard.layout_text(ops.render_worker({**base, "state": "retrying", "detail": "store fault: x"}, now=160.0))
    assert "retrying after a fault" in text and "store fault: x" in text and "1,234 events folded" in text
    assert "60 s" in text and "70 s ago" in text
    assert "stopped" in guard.layout_text(ops.render_worker({**base, "state": "stopped", "detail": ""}, now=160.0))
    assert "No worker" in guard.layout_text(ops.render_worker(None))


def test_lag_totals_and_a_broker_that_does_not_answer():
    rows = [{"partition": 0, "committed": 10, "end": 15, "lag": 5}, {"partition": 1, "committed": None, "end": 3,
                                                                      "lag": 3}]
    text = guard.layout_text(ops.render_lag(rows))
    assert "total lag 8 events" in text and "none yet" in text
    assert "Kafka did not answer" in guard.layout_text(ops.render_lag(None, "KafkaTimeoutError"))


def test_the_page_layout_ranks_nobody():
    layout = ops.layout(User("olga", "ops"), None, {}, 5000)
    assert guard.layout_violations(layout) == []
    sources = ops.render_sources([{"source": "", "events": 0, "per_minute": 0.0, "last_event": None,
                                   "rejects": {"malformed_json": 2}}])
    assert "(none: unreadable payload)" in guard.layout_text(sources) and "malformed_json 2" in guard.layout_text(sources)
