"""How far the worker's fold is behind the events topic, read from the broker without joining its group."""
from __future__ import annotations


def fold_group(consumer_group: str) -> str:
    """The consumer group whose offsets say how far the worker got: the fold reads with its own group
    (`<group>-fold`, beside the Faust app's; streams/app.py)."""
    return f"{consumer_group}-fold"


def consumer_lag(bootstrap_servers: str, group: str, topic: str, timeout_ms: int = 5000) -> list[dict]:
    """Per partition: committed offset of `group`, end offset, lag (end - committed; all of it if none)."""
    from kafka import KafkaConsumer, TopicPartition

    # A consumer in the worker's group that never subscribes: it reads the group's committed offsets
    # from the coordinator without joining the group (no rebalance for the worker), commits nothing.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False,
                             client_id="teamflow-ops-console", request_timeout_ms=timeout_ms + 1000)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in partitions]
        ends = consumer.end_offsets(tps)
        committed = {tp.partition: consumer.committed(tp) for tp in tps}
    finally:
        consumer.close()
    out = []
    for p in partitions:
        end = int(ends[TopicPartition(topic, p)])
        done = committed.get(p)
        done = None if done is None or done < 0 else int(done)
        out.append({"partition": p, "committed": done, "end": end, "lag": end - (done or 0)})
    return out
