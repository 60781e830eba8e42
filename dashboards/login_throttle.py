"""Slows password guessing: after a few wrong passwords for a username or from an address, sign-in
is refused for a while (HTTP 429 with Retry-After), longer with each further failure.

Pure bookkeeping with an injected clock; `dashboards.auth` consults it before checking a password
and reports each outcome. Per process and in memory: a restart forgets (put the dashboards behind
the organisation's proxy or SSO for anything stronger).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

FREE_FAILURES = 5
"""Wrong passwords allowed per key within WINDOW_SECONDS before a lockout starts."""
WINDOW_SECONDS = 15 * 60
FIRST_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 15 * 60.0
MAX_KEYS = 10_000


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str | None) -> list[str]:
        return [f"user:{username.strip().lower()}", f"addr:{address or '?'}"]

    def retry_after(self, keys: list[str]) -> float:
        """Seconds until any of `keys` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([0.0] + [r.locked_until - now for k in keys if (r := self._records.get(k))])

    def failed(self, keys: list[str]) -> float:
        """Record a wrong password; returns the lockout it started (0: none yet)."""
        now = self.clock()
        lock = 0.0
        with self._lock:
            if len(self._records) > MAX_KEYS:  # an address spray must not grow memory without bound
                self._records = {k: r for k, r in self._records.items() if r.locked_until > now}
            for key in keys:
                r = self._records.setdefault(key, _Record())
                r.failures = [t for t in r.failures if now - t < WINDOW_SECONDS] + [now]
                over = len(r.failures) - FREE_FAILURES
                if over > 0:
                    seconds = min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (over - 1))
                    r.locked_until = max(r.locked_until, now + seconds)
                    lock = max(lock, seconds)
        return lock

    def succeeded(self, keys: list[str]) -> None:
        """A right password clears the username's record (the address keeps its history)."""
        with self._lock:
            for key in keys:
                if key.startswith("user:"):
                    self._records.pop(key, None)
