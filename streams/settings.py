"""The stream worker's settings: Kafka, the topics, the data directory and the fold's batches.

A plain model: `teamflow.settings.Settings` extends it and fills it from `TEAMFLOW_*` variables
(the field names are the variables' names without the prefix); nothing here reads the environment.
Every part of the product reads these (the commands that import, replay or erase too), so they
stand at the top of the one settings object rather than in a section.
"""
from __future__ import annotations

import hashlib
import socket
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


class WorkerSettings(BaseModel):
    # Kafka. No bootstrap servers configured means: the local broker on kafka_port.
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="host:port[,host:port]; unset = start the local broker on kafka_port"
    )
    kafka_port: int = 9092
    events_topic: str = "teamflow.events"
    dead_letter_topic: str = "teamflow.dead-letter"
    erasures_topic: str = "teamflow.erasures"
    erasure_secret: SecretStr | None = Field(
        default=None, description="key of the erasure list's keyed hash (HMAC); unset = data_dir/erasure.secret, "
        "made on first use. The same value for every worker and `teamflow` command")
    topic_partitions: int = 4
    consumer_group: str = "teamflow-worker"
    data_dir: Path = Path("var")

    # The fold.
    batch_size: int = 2000
    batch_within_seconds: float = 0.5
    prepare_processes: int = Field(
        default=1, ge=0, description="processes that decode, project and encode batches beside the worker "
        "(spawned; 0 = inline in the worker process)")
    worker_instance_id: str | None = Field(
        default=None, description="the worker's static Kafka group member id; unset = derived from the host and "
        "data directory, so a restarted worker is the same member. Give each worker of a group its own")
    kafka_session_timeout_seconds: float = Field(
        default=10.0, ge=6.0, description="how long the broker waits for a silent worker before giving its "
        "partitions to another (the broker's minimum is 6 s)")

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.kafka_port}"

    @property
    def group_instance_id(self) -> str:
        if self.worker_instance_id:
            return self.worker_instance_id
        where = f"{socket.gethostname()}:{self.data_dir.resolve()}:{self.consumer_group}"
        return f"teamflow-{hashlib.sha256(where.encode()).hexdigest()[:12]}"
