"""The store-error classes and the bisect (pure logic)."""
from __future__ import annotations

import pytest

from streams.fold.store_refusal import NotOneEvent, StoreRefused, classify, error_label, split_refused


@pytest.mark.parametrize("message, kind", [
    ("chDB: Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)", "transient"),
    ("chDB: Code: 469. DB::Exception: Constraint `c` for table t is violated at row 1. Column values: id = 'x'. "
     "(VIOLATED_CONSTRAINT)", "data"),
    ("Code: 252. DB::Exception: Too many parts (300). (TOO_MANY_PARTS)", "transient"),
    ("Code: 241. DB::Exception: Memory limit exceeded (MEMORY_LIMIT_EXCEEDED)", "transient"),
    ("Code: 27. DB::Exception: Cannot parse input (CANNOT_PARSE_INPUT_ASSERTION_FAILED)", "data"),
    ("chDB: Cannot open file /x: Permission denied", "transient"),
    ("HTTPConnectionPool: Connection refused", "transient"),
    ("Code: 1. DB::Exception: something new (UNSUPPORTED_METHOD)", "unknown"),
    ("", "unknown"),
    ("Code: 469. Column values: currency = (EUR). (VIOLATED_CONSTRAINT)", "data"),
    ("Code: 243. Column (ABC_DEF) then (NOT_ENOUGH_SPACE)", "transient"),
    ("Code: 469. (VIOLATED_CONSTRAINT) (version 25.1.1)", "data"),
    ("chDB: Cannot open file /d/x.bin: Operation not permitted", "transient"),
])
def test_classify(message, kind):
    assert classify(message) == kind


def test_label_names_the_error_never_the_values():
    msg = "Code: 469. DB::Exception: Column values: id = 'secret-name'. (VIOLATED_CONSTRAINT)"
    assert error_label(msg) == "VIOLATED_CONSTRAINT, code 469"


def _bisect(n, bad):
    written, calls = [], []

    def attempt(part):
        calls.append(len(part))
        if bad & set(part):
            raise StoreRefused("events", "data", "X")
        written.extend(part)

    refused = split_refused(list(range(n)), attempt, StoreRefused("events", "data", "X"))
    return sorted(i for i, _ in refused), sorted(written), calls


@pytest.mark.parametrize("n, bad", [(1, {0}), (2, {1}), (2000, {0}), (2000, {1999, 7, 1000}), (9, set(range(9)))])
def test_split_finds_exactly_the_refused_and_writes_the_rest(n, bad):
    refused, written, calls = _bisect(n, bad)
    assert refused == sorted(bad)
    assert written == sorted(set(range(n)) - bad)


def test_split_of_one_refused_event_costs_about_two_log_n_attempts():
    _, _, calls = _bisect(2000, {1234})
    assert len(calls) <= 2 * 11


def test_single_mode_gives_up_when_both_halves_are_refused():
    calls = []

    def attempt(part):
        calls.append(len(part))
        raise StoreRefused("events", "unknown", "X")

    with pytest.raises(NotOneEvent):
        split_refused(list(range(2000)), attempt, StoreRefused("events", "unknown", "X"), single=True)
    assert calls == [1000, 1000]


def test_single_mode_finds_one_refused_event():
    bad = {1234}

    def attempt(part):
        if bad & set(part):
            raise StoreRefused("events", "unknown", "X")

    refused = split_refused(list(range(2000)), attempt, StoreRefused("events", "unknown", "X"), single=True)
    assert [i for i, _ in refused] == [1234]
