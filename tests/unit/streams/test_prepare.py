"""The prepare step (streams/prepare.py): its Arrow output must carry exactly what the DataFrame path
(`raw_event_frame` + `project_batch`) carries, rejects must keep their reasons and positions, and a
dead prepare process must surface as an error, never as a silent stall."""
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
from projections.arrow import arrow_schema, read_ipc, rows_batch
from projections.erasure import erase
from projections.project import TABLES_BY_NAME, project_batch
from schemas import Event, decode
from streams.prepare import Preparer, prepare
from streams.simulator import simulate
from streams.sink import Positioned, raw_event_frame

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
    return [(v, [], i % 4, 1000 + i) for i, v in enumerate(values)]


def expected_frames(records, tokens=None):
    good = [Positioned(e, p, o) for v, _, p, o in records if isinstance(e := decode(v), Event)]
    if tokens:
        good = [Positioned(e, p.partition, p.offset) for p, e in zip(good, erase([p.event for p in good], tokens))]
    frames = {ddl.EVENTS.name: raw_event_frame(good, NOW)}
    frames.update(project_batch([p.event for p in good]))
    return frames


def as_arrow(name, df):
    table = ddl.EVENTS if name == ddl.EVENTS.name else TABLES_BY_NAME[name]
    return pa.Table.from_pandas(df, preserve_index=False).cast(arrow_schema(table))


def assert_same_as_frames(prepared, frames):
    assert set(prepared.payloads) == set(frames)
    for name, df in frames.items():
        got = read_ipc(prepared.payloads[name])
        assert got.schema.names == list(df.columns), name
        assert prepared.rows[name] == len(df) == got.num_rows, name
        want = as_arrow(name, df)
        assert got.equals(want), f"{name}: {got.slice(0, 2).to_pylist()} != {want.slice(0, 2).to_pylist()}"


def test_arrow_output_equals_the_dataframe_path(records):
    prepared = prepare(records, {}, NOW_MS)
    frames = expected_frames(records)
    assert prepared.events == len(records) - len(BAD)
    assert len(frames) > 15  # the simulated batch reaches most projection tables
    assert_same_as_frames(prepared, frames)
    events = read_ipc(prepared.payloads["events"]).to_pylist()
    first = events[0]
    assert first["_ingested_at"] == NOW
    assert first["_version"] == ddl.first_copy_version(first["_partition"], first["_offset"])
    assert json.loads(first["data"]) == json.loads(records[0][0])["data"]


def test_rejects_carry_reason_origin_and_position(records):
    prepared = prepare(records, {}, NOW_MS)
    assert [(r.index, r.code) for r in prepared.rejects] == [(1000, "malformed_json"), (3001, "invalid_data")]
    malformed, invalid = prepared.rejects
    assert malformed.raw == BAD[0] and (malformed.partition, malformed.offset) == (1000 % 4, 2000)
    assert "data.minutes" in invalid.reason
    assert (invalid.source, invalid.id, invalid.type) == ("s", "x1", "teamflow.help.given")
    assert (invalid.partition, invalid.offset) == (3001 % 4, 4001)


def test_erasures_reach_every_table(records):
    person = json.loads(records[0][0])["data"]["person"]  # the first roster event names someone
    tokens = {person: "erased-0123456789ab"}
    prepared = prepare(records, tokens, NOW_MS)
    assert_same_as_frames(prepared, expected_frames(records, tokens))
    for name, payload in prepared.payloads.items():
        table = read_ipc(payload)
        for column in table.column_names:
            if pa.types.is_string(table.schema.field(column).type) and column != "data":
                assert person not in set(table.column(column).to_pylist()), (name, column)
    assert all(f'"{person}"' not in d for d in read_ipc(prepared.payloads["events"]).column("data").to_pylist())


def test_tables_restrict_the_output(records):
    prepared = prepare(records, {}, NOW_MS, tables={"help_given", "help_acks"})
    assert set(prepared.payloads) == {"help_given", "help_acks"}
    assert prepared.events == len(records) - len(BAD) and len(prepared.rejects) == len(BAD)


def test_only_rejects_means_nothing_to_write():
    prepared = prepare([(BAD[0], None, 0, 1)], {}, NOW_MS)
    assert (prepared.events, prepared.payloads, len(prepared.rejects)) == (0, {}, 1)


def test_value_outside_the_column_type_fails_loudly():
    help_given = TABLES_BY_NAME["help_given"]
    row = ("h", "a", "b", "", "", "advice", 70_000, 0, "s", "e")  # minutes is UInt16
    assert help_given.column_names[6] == "minutes"
    with pytest.raises((OverflowError, pa.ArrowInvalid)):
        rows_batch(help_given, [row])


def test_prepare_process_gives_the_inline_result_and_a_dead_one_raises(records):
    preparer = Preparer(1)
    try:
        async def run():
            return await preparer.submit(records, {}, NOW_MS)

        in_child = asyncio.run(run())
        inline = prepare(records, {}, NOW_MS)
        assert in_child.payloads == inline.payloads and in_child.rejects == inline.rejects
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


def test_merged_payloads_hold_every_batch_in_order(records):
    from projections.arrow import merge_ipc

    parts = [prepare(records[i:i + 1500], {}, NOW_MS) for i in range(0, len(records), 1500)]
    merged = read_ipc(merge_ipc([p.payloads["events"] for p in parts]))
    whole = read_ipc(prepare(records, {}, NOW_MS).payloads["events"])
    assert len(parts) > 2 and merged.num_rows == whole.num_rows
    assert merged.equals(whole)
    assert merge_ipc([parts[0].payloads["events"]]) == parts[0].payloads["events"]


def test_streams_are_joined_as_bytes_or_else_re_streamed_with_the_same_rows(records):
    from projections import arrow

    payloads = [prepare(records[i:i + 1000], {}, NOW_MS).payloads["help_given"] for i in (0, 1000, 2000)]
    joined = arrow.merge_ipc(payloads)
    assert arrow._schema_message_size(payloads[0]) is not None, "the byte path applies to the prepare step's streams"
    # a stream without its end marker cannot be joined as bytes: pyarrow re-streams them all
    restreamed = arrow.merge_ipc([payloads[0][:-8], *payloads[1:]])
    expected = pa.concat_tables([read_ipc(p) for p in payloads])
    assert expected.num_rows > 0
    assert read_ipc(joined).equals(expected)
    assert read_ipc(restreamed).equals(expected)
    with pytest.raises(ValueError, match="no payloads"):
        arrow.merge_ipc([])


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
    assert shared.rejects == inline.rejects  # indexes refer to the whole batch again
    for name, payload in inline.payloads.items():
        assert read_ipc(shared.payloads[name]).equals(read_ipc(payload)), name


def test_packed_records_come_back_as_they_were():
    from streams.prepare import pack, unpack

    records = [(b'{"a":1}', [], 0, 5), (None, [("ce_specversion", b"1.0")], 3, 2**40), (b"", None, 1, 0),
               (b"\xffraw", [], 2, 7)]
    assert unpack(pack(records)) == [(b'{"a":1}', None, 0, 5), (b"", [("ce_specversion", b"1.0")], 3, 2**40),
                                     (b"", None, 1, 0), (b"\xffraw", None, 2, 7)]
    assert unpack(pack([])) == []
