"""Slows password guessing without letting a stranger lock anyone out (OWASP Authentication Cheat
Sheet, "Protect against automated attacks"; pure bookkeeping with an injected clock, no Flask).

Two counters, each over a sliding 15-minute window, each answering "wait N seconds" (HTTP 429 with
Retry-After) once it has seen too many wrong passwords, N doubling with every further one:

- per (username, client address): after PAIR_FREE_FAILURES (5) wrong passwords, that address may not
  try that username for 30 s, then 60 s, ... up to 15 min. Guessing one account from one place is
  slowed to a few attempts an hour; the same username from any other address is unaffected, so a
  stranger can never stop the owner signing in from their own machine.
- per client address: after ADDRESS_FREE_FAILURES (50) wrong passwords for any usernames, the address
  may try nothing for 60 s, doubling up to 15 min (stops spraying many accounts from one place).
  IPv6 addresses count per /64 (one host usually holds a whole /64).

While a key is waiting, sign-in is refused before the password is checked, the right password
included: otherwise the wait would not slow guessing at all. A right password clears its
(username, address) record, never the address's (an attacker signing into their own account
between guesses does not reset the spray counter). Guessing one account from many addresses is not
locked (that would hand the lockout back to strangers); it is logged by `dashboards.auth` when a
username collects USER_ALERT_FAILURES wrong passwords, and bounded by the password policy and the
scrypt cost of each check.

Per process and in memory: a restart forgets, two dashboard processes count apart. Behind a proxy,
set TEAMFLOW_PROXY_HOPS so the client address is the browser's, not the proxy's.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

WINDOW_SECONDS = 15 * 60.0
PAIR_FREE_FAILURES = 5
"""Wrong passwords for one username from one address within the window before it must wait."""
PAIR_FIRST_WAIT = 30.0
ADDRESS_FREE_FAILURES = 50
"""Wrong passwords from one address (any usernames) within the window before it must wait."""
ADDRESS_FIRST_WAIT = 60.0
MAX_WAIT = 15 * 60.0
USER_ALERT_FAILURES = 20
"""A username with this many wrong passwords (all addresses) within the window is worth a log line."""
MAX_KEYS = 10_000
"""Records kept at most; beyond, the stale ones and then the oldest unlocked ones are dropped."""


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    wait_until: float = 0.0

    def fail(self, now: float, free: int, first_wait: float) -> float:
        self.failures = [t for t in self.failures if now - t < WINDOW_SECONDS] + [now]
        over = len(self.failures) - free  # the free-th failure starts the first wait
        if over < 0:
            return 0.0
        wait = min(MAX_WAIT, first_wait * 2 ** min(over, 30))
        self.wait_until = max(self.wait_until, now + wait)
        return wait

    def stale(self, now: float) -> bool:
        return self.wait_until <= now and all(now - t >= WINDOW_SECONDS for t in self.failures)


def address_key(address: str | None) -> str:
    """The address as counted: IPv4 as is, IPv6 by its /64, anything unparsable as given."""
    if not address:
        return "?"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def username_key(username: str) -> str:
    return username.strip().lower()[:64]


class LoginThrottle:
    """The counters of one dashboard process (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._records: dict[tuple[str, ...], _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        addr = address_key(address)
        return ("pair", username_key(username), addr), ("addr", addr)

    def retry_after(self, username: str, address: str | None) -> float:
        """Seconds until `address` may try `username` again (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [r.wait_until - now for k in self._keys(username, address) if (r := self._records.get(k))]
        return max([0.0] + waits)

    def failed(self, username: str, address: str | None) -> float:
        """Record a wrong password; returns the wait it started (0: none yet)."""
        now = self.clock()
        pair, addr = self._keys(username, address)
        with self._lock:
            if len(self._records) >= MAX_KEYS:
                self._prune(now)
            wait = self._records.setdefault(pair, _Record()).fail(now, PAIR_FREE_FAILURES, PAIR_FIRST_WAIT)
            wait = max(wait, self._records.setdefault(addr, _Record()).fail(now, ADDRESS_FREE_FAILURES,
                                                                            ADDRESS_FIRST_WAIT))
            user = self._records.setdefault(("user", username_key(username)), _Record())
            user.failures = [t for t in user.failures if now - t < WINDOW_SECONDS] + [now]
        return wait

    def user_failures(self, username: str) -> int:
        """Wrong passwords for `username` from every address within the window (for alerting only)."""
        now = self.clock()
        with self._lock:
            r = self._records.get(("user", username_key(username)))
            return sum(1 for t in r.failures if now - t < WINDOW_SECONDS) if r else 0

    def succeeded(self, username: str, address: str | None) -> None:
        """A right password clears its (username, address) record; the address keeps its history."""
        with self._lock:
            self._records.pop(self._keys(username, address)[0], None)

    def _prune(self, now: float) -> None:
        self._records = {k: r for k, r in self._records.items() if not r.stale(now)}
        if len(self._records) >= MAX_KEYS:  # a spray from many addresses: keep waits and the newest half
            unlocked = sorted((k for k, r in self._records.items() if r.wait_until <= now),
                              key=lambda k: self._records[k].failures[-1] if self._records[k].failures else 0.0)
            for k in unlocked[:len(self._records) - MAX_KEYS // 2]:
                del self._records[k]

    def __len__(self) -> int:
        return len(self._records)
