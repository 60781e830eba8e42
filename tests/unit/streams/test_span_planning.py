"""Cutting a log into spans (pure): every offset once, spans no longer than asked, partitions interleaved."""
from __future__ import annotations

import pytest

from streams.fold.log_spans import Span, plan_spans, spans_since

pytestmark = pytest.mark.unit


def offsets_of(spans):
    return sorted((s.partition, o) for s in spans for o in range(s.start, s.end))


def test_every_offset_is_in_exactly_one_span_of_at_most_the_size():
    start = {0: 0, 1: 10, 2: 5, 3: 7}
    end = {0: 125, 1: 10, 2: 55, 3: 8}
    spans = plan_spans(start, end, size=50)
    assert offsets_of(spans) == sorted((p, o) for p in end for o in range(start[p], end[p]))
    assert all(0 < s.size <= 50 for s in spans)
    assert not any(s.partition == 1 for s in spans), "a partition with nothing to read gives no span"


def test_partitions_are_interleaved_so_readers_at_work_read_different_partitions():
    spans = plan_spans({0: 0, 1: 0, 2: 0}, {0: 30, 1: 20, 2: 10}, size=10)
    assert [s.partition for s in spans] == [0, 1, 2, 0, 1, 0]
    assert spans[:3] == [Span(0, 0, 10), Span(1, 0, 10), Span(2, 0, 10)]
    assert spans[-1] == Span(0, 20, 30)


def test_a_later_range_starts_where_the_first_stopped():
    """Replay's final pass reads from the end offsets of the first one up to the new end."""
    assert plan_spans({0: 100, 1: 40}, {0: 103, 1: 40}, size=50) == [Span(0, 100, 103)]
    assert plan_spans({0: 5}, {0: 5}) == []


def test_what_arrived_after_a_first_pass_includes_a_partition_added_meanwhile():
    first_end = {0: 100, 1: 40}
    low, high = {0: 0, 1: 0, 2: 0}, {0: 103, 1: 40, 2: 7}
    assert spans_since(first_end, low, high, size=50) == [Span(0, 100, 103), Span(2, 0, 7)]


def test_a_span_size_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        plan_spans({0: 0}, {0: 1}, size=0)
