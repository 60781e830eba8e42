"""trends.Reads: a snapshot's queries run once each, in one thread of their own, in the order declared;
a query of what an earlier one found gets that result; an error reaches the reader of that result.
The store here is a recording stand-in (this tests the scheduling only; the integration tests check
what the queries give against the one-team functions on chDB)."""
from __future__ import annotations

import threading

import pandas as pd
import pytest

from projections.metrics import trends
from projections.metrics.trends import COHORT_READS, LATER_READS, SPAN_READS, SQL, Reads

pytestmark = pytest.mark.unit

PARAMS = {"start": "2026-07-01 00:00:00.000", "end": "2026-10-01 00:00:00.000"}


class Recording:
    """Answers each query with a one-column frame naming it; `closed` gives two deals."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.names = {sql: name for name, sql in SQL["quarter"].items()} | {sql: n for n, sql in COHORT_READS.items()} | {
            trends.in_closed(sql, SQL["quarter"]["closed"]): n for n, sql in COHORT_READS.items()}
        self.fail = fail
        self.release = threading.Event()

    def query_df(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        self.release.wait(5)
        name = self.names.get(sql, sql)
        self.calls.append((threading.current_thread().name, name, dict(params or {})))
        if name == self.fail:
            raise RuntimeError(f"{name} failed")
        if name == "closed":
            return pd.DataFrame({"deal_id": ["d2", "d1", "d2"], "team": ["a", "b", "a"]})
        return pd.DataFrame({"answer": [name]})


def test_every_query_runs_once_in_one_other_thread_in_the_declared_order():
    store = Recording()
    extra = {"mine": ("SELECT mine", {"x": 1}),
             "later": ("SELECT later", lambda reads: {"seen": reads.frame("mine")["answer"].tolist()})}
    reads = Reads(store, "quarter", PARAMS, extra)
    store.release.set()
    assert reads.frame("later")["answer"].tolist() == ["SELECT later"]
    order = [name for _, name, _ in store.calls]
    assert order == [*SPAN_READS, *COHORT_READS, *LATER_READS, "SELECT mine", "SELECT later"]
    threads = {thread for thread, _, _ in store.calls}
    assert len(threads) == 1 and threads != {threading.current_thread().name}
    params = {name: p for _, name, p in store.calls}
    assert all(params[n] == {"cohort": ["d1", "d2"]} for n in COHORT_READS), "the closed deals' ids, sorted, once each"
    assert params["SELECT later"] == {"seen": ["SELECT mine"]} and params["SELECT mine"] == {"x": 1}
    assert params["members"] == PARAMS
    assert reads.frame("closed") is reads.closed and reads.cohort == ["d1", "d2"]
    assert len(store.calls) == len(order), "reading a result again runs nothing"


def test_a_failed_query_raises_for_its_reader_and_the_queries_after_it():
    store = Recording(fail="closed")
    store.release.set()
    reads = Reads(store, "quarter", PARAMS)
    assert reads.frame("members")["answer"].tolist() == ["members"]
    with pytest.raises(RuntimeError, match="closed failed"):
        reads.frame("closed")
    with pytest.raises(RuntimeError, match="closed failed"):
        reads.frame("reviews")  # its parameters are the closed deals
    assert reads.frame("recognition")["answer"].tolist() == ["recognition"]


def test_an_extra_read_may_not_shadow_a_figure_read_and_nothing_runs():
    store = Recording()
    store.release.set()
    with pytest.raises(ValueError, match="withdrawn"):
        Reads(store, "quarter", PARAMS, {"withdrawn": ("SELECT 1", {})})
    assert store.calls == []
    assert trends.Reads.of(store, "2026-Q3").frame("members")["answer"].tolist() == ["members"]


def test_a_large_cohort_is_read_by_the_per_deal_queries_in_the_engine(monkeypatch):
    monkeypatch.setattr(trends, "COHORT_PARAM_MAX", 1)  # the two closed deals are too many to bind
    store = Recording()
    store.release.set()
    reads = Reads(store, "quarter", PARAMS)
    assert all(reads.frame(n)["answer"].tolist() == [n] for n in COHORT_READS)
    params = {name: p for _, name, p in store.calls}
    assert all(params[n] == PARAMS for n in COHORT_READS), "the span's parameters, the closed deals' query inside"


def test_a_cohort_read_reads_the_closed_deals_query_inside_and_refuses_one_that_names_no_cohort():
    closed = SQL["quarter"]["closed"]
    for name, sql in COHORT_READS.items():
        got = trends.in_closed(sql, closed)
        assert f"deal_id IN (SELECT deal_id FROM ({closed}))" in got and "{cohort:" not in got, name
    with pytest.raises(ValueError, match="IN_COHORT"):
        trends.in_closed("SELECT deal_id FROM reviews", closed)
