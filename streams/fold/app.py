"""The Faust app: topics and agents, built from settings by a factory (nothing at import time).

- `fold-events` (a task of the Faust app) runs `Fold` (streams/fold/loop.py) with its own batch
  consumer: poll a batch, decode it and dead-letter the refused records (waiting for the broker's
  acks), write the valid ones through the sink, and only then commit the batch's offsets. A Faust
  agent stream fed the same fold before; it was about ten times slower (docs/benchmarks.md) and is gone.
- `fold-dead-letters` (agent) folds the dead-letter topic (fed by every door) into the
  `dead_letters` table.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Callable, Mapping

import faust

from ..dead_letters import from_headers
from .loop import Fold, fold_consumer
from .prepare import Preparer
from .sink import EventSink

if TYPE_CHECKING:
    from ..settings import WorkerSettings

log = logging.getLogger(__name__)


def _headers(message: Any) -> list[tuple[str, bytes]]:
    headers = message.headers or []
    items = headers.items() if isinstance(headers, dict) else headers
    return [(k.decode() if isinstance(k, bytes) else k, v if isinstance(v, bytes) else str(v).encode())
            for k, v in items]


def create_app(settings: "WorkerSettings", sink: EventSink, preparer: Preparer | None = None, *,
               erasures: Callable[[], Mapping[str, str]] = dict) -> faust.App:
    """The Faust app; `preparer` runs the prepare step (streams/fold/prepare.py), inline when not given;
    `erasures` gives the current erasure list for each batch."""
    app = faust.App(
        settings.consumer_group,
        broker=f"kafka://{settings.bootstrap_servers}",
        store="memory://",
        datadir=str(settings.data_dir / "faust"),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=False,
        stream_wait_empty=False,
        broker_commit_every=settings.batch_size,
        broker_commit_interval=1.0,
        # Feed whole batches: fetch and buffer well beyond one batch per partition.
        broker_max_poll_records=settings.batch_size,
        consumer_max_fetch_size=8 * 1024 * 1024,
        stream_buffer_maxsize=max(4096, 2 * settings.batch_size),
        consumer_group_instance_id=settings.group_instance_id,
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=max(1.0, settings.kafka_session_timeout_seconds / 3),
    )
    dead_letter_topic = app.topic(settings.dead_letter_topic, key_type=bytes, value_type=bytes,
                                  partitions=settings.topic_partitions)

    async def send_dead_letter(key: bytes | None, value: bytes, headers: list) -> Any:
        return await dead_letter_topic.send(key=key, value=value, headers=headers)

    @app.task
    async def fold_events_in_batches() -> None:
        """The fold of the events topic (streams/fold/loop.py); a fold that stops must stop the worker."""
        consumer = fold_consumer(settings)
        await consumer.start()
        fold = Fold(consumer, preparer or Preparer(0), sink, send_dead_letter, erasures,
                    batch_size=settings.batch_size, within_ms=int(settings.batch_within_seconds * 1000))
        try:
            await fold.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never stall silently
            log.critical("fold-events stopped: %r", exc, exc_info=True)
            await app.crash(exc)
        finally:
            await consumer.stop()

    @app.agent(dead_letter_topic, name="fold-dead-letters")
    async def fold_dead_letters(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
            letters = [(from_headers(ev.value or b"", _headers(ev.message)), ev.message.partition, ev.message.offset)
                       for ev in batch]
            await loop.run_in_executor(None, sink.write_dead_letters, letters)

    return app
