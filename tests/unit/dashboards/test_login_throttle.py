"""The sign-in throttle (pure, injected clock): slows guessing, never lets a stranger lock the owner out."""
from __future__ import annotations

import pytest

from dashboards import login_throttle as lt
from dashboards.login_throttle import LoginThrottle

pytestmark = pytest.mark.unit


@pytest.fixture
def clock():
    return [0.0]


@pytest.fixture
def throttle(clock):
    return LoginThrottle(clock=lambda: clock[0])


def test_a_pair_waits_after_free_failures_doubling_to_the_cap(throttle, clock):
    waits = [throttle.failed("Ray ", "10.0.0.1") for _ in range(lt.PAIR_FREE_FAILURES + 3)]
    assert waits == [0.0] * (lt.PAIR_FREE_FAILURES - 1) + [30.0, 60.0, 120.0, 240.0]
    assert throttle.retry_after("ray", "10.0.0.1") == 240.0, "usernames count case- and space-insensitively"
    clock[0] += 240.0
    assert throttle.retry_after("ray", "10.0.0.1") == 0.0
    for _ in range(30):
        throttle.failed("ray", "10.0.0.1")
    assert throttle.retry_after("ray", "10.0.0.1") == lt.MAX_WAIT


def test_strangers_guessing_never_stop_the_owner_elsewhere(throttle):
    strangers = [f"198.51.100.{i}" for i in range(1, 201)]
    for addr in strangers:  # 200 addresses x 10 wrong passwords = 2,000 guesses at one account
        for _ in range(10):
            throttle.failed("ray", addr)
    assert all(throttle.retry_after("ray", a) > 0 for a in strangers)
    assert throttle.retry_after("ray", "10.0.0.7") == 0.0, "the owner's own address is never refused"
    assert throttle.user_failures("ray") == 2000


def test_one_address_spraying_usernames_waits_for_all(throttle):
    for i in range(lt.ADDRESS_FREE_FAILURES - 1):
        assert throttle.failed(f"user{i}", "203.0.113.9") == 0.0  # one guess per username: no pair waits
    assert throttle.failed("user-last", "203.0.113.9") == lt.ADDRESS_FIRST_WAIT
    assert throttle.retry_after("mia", "203.0.113.9") == lt.ADDRESS_FIRST_WAIT, "any username from there"
    assert throttle.retry_after("mia", "203.0.113.10") == 0.0


def test_a_right_password_clears_its_pair_not_the_address(throttle):
    for _ in range(lt.PAIR_FREE_FAILURES - 1):
        throttle.failed("ray", "10.0.0.1")
    for i in range(lt.ADDRESS_FREE_FAILURES - lt.PAIR_FREE_FAILURES - 1):
        throttle.failed(f"other{i}", "10.0.0.1")
    throttle.succeeded("ray", "10.0.0.1")
    assert throttle.failed("ray", "10.0.0.1") == 0.0, "the pair starts again (and the address is at 49)"
    assert throttle.failed("ray", "10.0.0.1") == lt.ADDRESS_FIRST_WAIT, "the address kept its failures"


def test_failures_leave_the_window(throttle, clock):
    for _ in range(lt.PAIR_FREE_FAILURES - 1):
        throttle.failed("ray", "10.0.0.1")
    clock[0] += lt.WINDOW_SECONDS
    assert throttle.failed("ray", "10.0.0.1") == 0.0
    assert throttle.user_failures("ray") == 1


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4():
    assert lt.address_key("2001:db8:1:2::5") == lt.address_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert lt.address_key("2001:db8:1:3::5") != lt.address_key("2001:db8:1:2::5")
    assert lt.address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert lt.address_key(None) == "?" and lt.address_key("not an ip") == "not an ip"


def test_memory_stays_bounded_under_a_spray(throttle, monkeypatch):
    monkeypatch.setattr(lt, "MAX_KEYS", 100)
    for i in range(1000):
        throttle.failed(f"u{i}", f"192.0.2.{i % 250}")
    assert len(throttle) <= 100 + 3
