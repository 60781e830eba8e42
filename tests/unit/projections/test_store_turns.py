"""Whose statement goes next (projections.store.turns): foreground before background, never starving."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from projections.store import turns
from projections.store.turns import Turns


def _take(lock: Turns, order: list[str], name: str, background: bool, started: threading.Event) -> threading.Thread:
    def run() -> None:
        started.set()
        with (turns.background() if background else _nothing()):
            with lock:
                order.append(name)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_waiting_foreground_statement_goes_before_a_background_one_that_waited_longer():
    lock, order = Turns(grace=0.0, max_wait=30.0), []
    lock.acquire(background=False)
    back, fore = threading.Event(), threading.Event()
    b = _take(lock, order, "background", True, back)
    back.wait()
    time.sleep(0.05)  # the background statement is waiting first
    f = _take(lock, order, "foreground", False, fore)
    _until(lambda: lock._foreground_waiting == 1)
    lock.release()
    b.join(10), f.join(10)
    assert order == ["foreground", "background"]
    assert lock.yielded == 1


def test_without_foreground_work_a_background_statement_goes_at_once_and_is_not_counted_as_yielding():
    lock, order = Turns(grace=0.0, max_wait=30.0), []
    done = threading.Event()
    _take(lock, order, "background", True, done).join(10)
    assert order == ["background"] and lock.yielded == 0


def test_a_background_statement_leaves_room_for_the_next_query_of_a_foreground_compute():
    lock, order = Turns(grace=1.0, max_wait=30.0), []
    with lock:  # a foreground statement just ended ...
        pass
    started = threading.Event()
    b = _take(lock, order, "background", True, started)
    started.wait()
    time.sleep(0.05)
    with lock:  # ... and the same compute's next one comes within the grace: it goes first
        order.append("foreground")
    b.join(10)
    assert order == ["foreground", "background"]


def test_a_background_statement_runs_after_its_longest_wait_however_much_foreground_work_comes():
    lock, order = Turns(grace=0.0, max_wait=0.2), []
    stop = threading.Event()

    def busy() -> None:  # foreground statements back to back, with one always waiting
        while not stop.is_set():
            with lock:
                time.sleep(0.005)

    workers = [threading.Thread(target=busy) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        t0 = time.monotonic()
        _take(lock, order, "background", True, threading.Event()).join(10)
        waited = time.monotonic() - t0
    finally:
        stop.set()
        for w in workers:
            w.join(10)
    assert order == ["background"], "it ran"
    assert waited < 5.0, f"it waited {waited:.2f}s, past its longest wait of 0.2 s by far"


def test_the_lock_is_reentrant_and_refuses_a_release_by_another_thread():
    lock = Turns()
    with lock:
        with lock:
            pass
        errors = []
        t = threading.Thread(target=lambda: errors.append(_release(lock)))
        t.start(), t.join(10)
        assert errors == ["refused"]
    with ThreadPoolExecutor(1) as pool:  # free again: another thread takes it
        assert pool.submit(lambda: (lock.acquire(), lock.release(), "taken")[-1]).result(10) == "taken"


def _release(lock: Turns) -> str:
    try:
        lock.release()
    except RuntimeError:
        return "refused"
    return "released"


def test_threads_run_in_the_callers_context_stay_background():
    seen = []
    with turns.background():
        job = turns.in_context(lambda: seen.append(turns.is_background()))
    with ThreadPoolExecutor(1) as pool:
        pool.submit(job).result(10)
        pool.submit(lambda: seen.append(turns.is_background())).result(10)
    assert seen == [True, False]
