"""The prepare step (streams/fold/prepare.py): decode, erase and encode; rejects come back whole with their
reasons and positions, a batch shared among processes equals the inline result, and a dead prepare
process surfaces as an error, never as a silent stall. (That the encoder stores what the old
DataFrame path stored is the golden check's: tests/integration/streams/test_golden_write_path.py.)"""
from __future__ import annotations

import asyncio
import json
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from projections import ddl
from projections.arrow import arrow_schema, arrow_table
from projections.project import TABLES_BY_NAME
from streams.fold.prepare import PackedRecords, Preparer, Record, prepare
from streams.simulator import simulate

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
BAD = [
    b"{not json",
    b'{"specversion":"1.0","id":"x1","source":"s","type":"teamflow.help.given","time":"2025-05-01T10:00:00Z",'
    b'"data":{"help_id":"h","helper":"a","recipient":"b","kind":"advice","minutes":"ten"}}',
]


@pytest.fixture(scope="module")
def records():
    raw = [v for _, v in simulate(5, 4000, start=datetime(2025, 1, 1, tzinfo=timezone.utc))]
    values = raw[:1000] + [BAD[0]] + raw[1000:3000] + [BAD[1]] + raw[3000:] + raw[:50]  # duplicates too
    return [Record(v, [], i % 4, 1000 + i, f"k{i}".encode()) for i, v in enumerate(values)]


def test_every_table_has_its_definitions_schema(records):
    prepared = prepare(records, {}, NOW_MS)
    assert prepared.events == len(records) - len(BAD)
    assert len(prepared.tables) > 15  # the simulated batch reaches most projection tables
    for name, table in prepared.tables.items():
        definition = ddl.EVENTS if name == ddl.EVENTS.name else TABLES_BY_NAME[name]
        assert table.schema == arrow_schema(definition), name
    events = prepared.tables["events"].to_pylist()
    assert len(events) == prepared.events
    first = events[0]
    assert first["_ingested_at"] == NOW
    assert first["_version"] == ddl.first_copy_version(first["_partition"], first["_offset"])
    assert json.loads(first["data"]) == json.loads(records[0].value)["data"]


def test_rejects_carry_reason_origin_and_position(records):
    prepared = prepare(records, {}, NOW_MS)
    assert [(r.key, r.code) for r in prepared.rejects] == [(b"k1000", "malformed_json"), (b"k3001", "invalid_data")]
    malformed, invalid = prepared.rejects
    assert malformed.raw == BAD[0] and invalid.raw == BAD[1] and (malformed.partition, malformed.offset) == (1000 % 4, 2000)
    assert "data.minutes" in invalid.reason
    assert (invalid.source, invalid.id, invalid.type) == ("s", "x1", "teamflow.help.given")
    assert (invalid.partition, invalid.offset) == (3001 % 4, 4001)


def test_erasures_reach_every_table(records):
    person = json.loads(records[0].value)["data"]["person"]  # the first roster event names someone
    tokens = {person: "erased-0123456789ab"}
    prepared = prepare(records, tokens, NOW_MS)
    assert prepared.rows == prepare(records, {}, NOW_MS).rows
    for name, table in prepared.tables.items():
        for column in table.column_names:
            if pa.types.is_string(table.schema.field(column).type) and column != "data":
                assert person not in set(table.column(column).to_pylist()), (name, column)
    assert all(f'"{person}"' not in d for d in prepared.tables["events"].column("data").to_pylist())


def test_tables_restrict_the_output(records):
    prepared = prepare(records, {}, NOW_MS, tables={"help_given", "help_acks"})
    assert set(prepared.tables) == {"help_given", "help_acks"}
    assert prepared.events == len(records) - len(BAD) and len(prepared.rejects) == len(BAD)


def test_only_rejects_means_nothing_to_write():
    prepared = prepare([Record(BAD[0], None, 0, 1)], {}, NOW_MS)
    assert (prepared.events, prepared.tables, len(prepared.rejects)) == (0, {}, 1)


def test_value_outside_the_column_type_fails_loudly():
    help_given = TABLES_BY_NAME["help_given"]
    row = ("h", "a", "b", "", "", "advice", 70_000, 0, "s", "e")  # minutes is UInt16
    assert help_given.column_names[6] == "minutes"
    with pytest.raises((OverflowError, pa.ArrowInvalid)):
        arrow_table(help_given, [[v] for v in row])


def test_prepare_process_gives_the_inline_result_and_a_dead_one_raises(records):
    preparer = Preparer(1)
    try:
        async def run():
            return await preparer.submit(records, {}, NOW_MS)

        in_child = asyncio.run(run())
        inline = prepare(records, {}, NOW_MS)
        assert in_child.rejects == inline.rejects and set(in_child.tables) == set(inline.tables)
        assert all(in_child.tables[n].equals(t) for n, t in inline.tables.items())
        assert len(preparer.pids) == 1
        preparer.check()  # alive: nothing raised
        os.kill(next(iter(preparer.pids)), signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            for _ in range(100):  # the pool notices the death within moments
                preparer.check()
                asyncio.run(asyncio.sleep(0.05))
            asyncio.run(run())
    finally:
        preparer.close()


def test_a_batch_shared_among_processes_equals_the_inline_result(records):
    preparer = Preparer(2)
    try:
        async def run():
            return await preparer.submit(records, {}, NOW_MS, split=True)

        shared = asyncio.run(run())
    finally:
        preparer.close()
    inline = prepare(records, {}, NOW_MS)
    assert shared.events == inline.events and shared.rows == inline.rows
    assert shared.rejects == inline.rejects  # whole, in batch order
    for name, table in inline.tables.items():
        assert shared.tables[name].equals(table), name


def test_packed_records_come_back_as_they_were():
    records = [Record(b'{"a":1}', [], 0, 5, b"k"), Record(None, [("ce_specversion", b"1.0")], 3, 2**40),
               Record(b"", None, 1, 0), Record(b"\xffraw", [], 2, 7, b"")]
    assert PackedRecords.of(records).records() == [
        Record(b'{"a":1}', None, 0, 5, b"k"), Record(b"", [("ce_specversion", b"1.0")], 3, 2**40),
        Record(b"", None, 1, 0), Record(b"\xffraw", None, 2, 7, b"")]
    assert PackedRecords.of([]).records() == []
