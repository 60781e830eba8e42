"""Real services for tests: the Kafka broker (testcontainers with Docker, the local script without)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BROKER_SCRIPT = REPO / "infra" / "kafka" / "broker.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class Broker:
    bootstrap_servers: str
    how: str  # "configured", "testcontainers" or "local script"
    stop: object = None

    def unique_topic(self, prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"


def start_local_broker(data_dir: Path) -> Broker:
    port, cport = free_port(), free_port()
    env = dict(os.environ, TEAMFLOW_KAFKA_PORT=str(port), TEAMFLOW_KAFKA_CONTROLLER_PORT=str(cport),
               TEAMFLOW_KAFKA_DATA_DIR=str(data_dir))
    subprocess.run(["bash", str(BROKER_SCRIPT), "start"], env=env, check=True)

    def stop() -> None:
        subprocess.run(["bash", str(BROKER_SCRIPT), "stop"], env=env, check=False)

    return Broker(f"127.0.0.1:{port}", "local script", stop)


def start_container_broker() -> Broker:
    from testcontainers.kafka import KafkaContainer

    container = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    container.start()
    return Broker(container.get_bootstrap_server(), "testcontainers", container.stop)


def start_broker(data_dir: Path) -> Broker:
    configured = os.environ.get("TEAMFLOW_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        return Broker(configured, "configured")
    if docker_available() and os.environ.get("TEAMFLOW_TEST_USE_DOCKER", "1") == "1":
        return start_container_broker()
    return start_local_broker(data_dir)
