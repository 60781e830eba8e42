"""Settings: environment variables prefixed `TEAMFLOW_`, with local defaults that need no configuration.

Every component reads its settings from one `Settings` object built here; nothing hard-codes
a broker address, a port or a path.
"""
from __future__ import annotations

from pathlib import Path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEAMFLOW_", extra="ignore")

    # Kafka. No bootstrap servers configured means: start the local broker (infra/kafka/broker.sh).
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="host:port[,host:port]; unset = start the local broker on kafka_port"
    )
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    events_topic: str = "teamflow.events"
    dead_letter_topic: str = "teamflow.dead-letter"
    erasures_topic: str = "teamflow.erasures"
    erasure_secret: str | None = Field(
        default=None, description="key of the erasure list's keyed hash (HMAC); unset = data_dir/erasure.secret, "
        "made on first use. The same value for every worker and `teamflow` command")
    topic_partitions: int = 4
    consumer_group: str = "teamflow-worker"

    # ClickHouse. No URL configured means: chDB in-process on data_dir/clickhouse.
    clickhouse_url: str | None = Field(default=None, description="http://user:pass@host:8123; unset = chDB")
    clickhouse_database: str = "teamflow"
    data_dir: Path = Path("var")

    # Stream worker.
    batch_size: int = 2000
    batch_within_seconds: float = 0.5
    prepare_processes: int = Field(
        default=1, ge=0, description="processes that decode, project and encode batches beside the worker "
        "(spawned; 0 = inline in the worker process)")
    worker_instance_id: str | None = Field(
        default=None, description="the worker's static Kafka group member id; unset = derived from the host and data directory, "
        "so a restarted worker is the same member. Give each worker of a group its own")
    kafka_session_timeout_seconds: float = Field(
        default=10.0, ge=6.0, description="how long the broker waits for a silent worker before giving its "
        "partitions to another (the broker's minimum is 6 s)")

    # Dashboards.
    dash_host: str = "127.0.0.1"
    dash_port: int = 8050
    # Dashboard login settings (users file, secret key, refresh) live in dashboards/settings.py.

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.kafka_port}"

    @property
    def group_instance_id(self) -> str:
        if self.worker_instance_id:
            return self.worker_instance_id
        import hashlib
        import socket

        where = f"{socket.gethostname()}:{self.data_dir.resolve()}:{self.consumer_group}"
        return f"teamflow-{hashlib.sha256(where.encode()).hexdigest()[:12]}"

    @property
    def chdb_dir(self) -> Path:
        return self.data_dir / "clickhouse"

    @property
    def kafka_data_dir(self) -> Path:
        return self.data_dir / "kafka"


def load() -> Settings:
    return Settings()
