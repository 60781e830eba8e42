"""Whose statement runs next on an engine that runs one at a time (chDB in this process).

Foreground work (the worker's writes, the live figures pages watch, a person's request) goes before
background work (snapshots recomputed at most every so often: needs-attention lists, the executive
page). Without an order, a needs-attention refresh's queries took their turns between a live
update's queries and doubled that update on a large store (docs/benchmarks.md); with it, a live
update waits for at most the one background statement already running.

Background work is marked by the context (`background()`), which threads started for a compute
inherit when they run in its context (`trends.Reads` does). A background statement waits while a
foreground statement runs, is waiting, or ran less than GRACE_SECONDS ago (a compute's next query
follows at once), but never more than MAX_WAIT_SECONDS at a stretch: it cannot starve.
"""
from __future__ import annotations

import contextvars
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

GRACE_SECONDS = 0.05
"""How long after a foreground statement ends a background one still waits (for the next one of the
same compute)."""
MAX_WAIT_SECONDS = 2.0
"""The longest a background statement yields to foreground ones before it runs in turn."""

_background: contextvars.ContextVar[bool] = contextvars.ContextVar("teamflow_store_background", default=False)


@contextmanager
def background() -> Iterator[None]:
    """Within it (and in threads run in its context), statements are background work."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def is_background() -> bool:
    return _background.get()


class Turns:
    """A reentrant lock for one statement at a time, foreground first (see the module text). Use it as
    `with turns:`; whether the caller is background comes from the context."""

    def __init__(self, grace: float = GRACE_SECONDS, max_wait: float = MAX_WAIT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.grace, self.max_wait, self.clock = grace, max_wait, clock
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._foreground_waiting = 0
        self._background_overdue = 0  # background statements past their longest wait: they go next
        self._foreground_done_at = float("-inf")
        self._background_owner = False
        self.yielded = 0  # background statements that waited for a foreground one (for tests and logs)

    def acquire(self, background: bool | None = None) -> None:
        background = is_background() if background is None else background
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            if background:
                self._wait_background()
            else:
                self._foreground_waiting += 1
                try:
                    while self._owner is not None or self._background_overdue:
                        self._cond.wait()
                finally:
                    self._foreground_waiting -= 1
            self._owner, self._depth = me, 1
            self._background_owner = background

    def _wait_background(self) -> None:
        until = self.clock() + self.max_wait
        waited = overdue = False
        while True:
            now = self.clock()
            if now >= until and not overdue:  # it has yielded long enough: the next free turn is its
                overdue = True
                self._background_overdue += 1
            if self._owner is None:
                free_at = self._foreground_done_at + self.grace
                if overdue or (not self._foreground_waiting and now >= free_at):
                    break
                timeout = (min(until, free_at) if not self._foreground_waiting else until) - now
            else:
                timeout = None if overdue else until - now
            waited = True
            self._cond.wait(timeout=timeout)
        if overdue:
            self._background_overdue -= 1
        self.yielded += waited

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("released by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            if not self._background_owner:
                self._foreground_done_at = self.clock()
            self._owner = None
            self._cond.notify_all()

    def __enter__(self) -> "Turns":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def in_context(fn: Callable[..., object]) -> Callable[..., object]:
    """`fn` run, wherever it is called from (a pool's thread), in a copy of the caller's context now (so a
    background compute's queries stay background)."""
    context = contextvars.copy_context()
    return lambda *args, **kwargs: context.copy().run(fn, *args, **kwargs)
