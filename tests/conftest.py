"""Shared fixtures: one real Kafka broker per test session, one chDB data directory per session,
a fresh database per test, and unique topic names per test."""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import support...`

from support.services import start_broker  # noqa: E402


def pytest_report_header(config):
    import chdb

    server = os.environ.get("TEAMFLOW_TEST_CLICKHOUSE_URL")
    return [
        f"teamflow: Kafka from {os.environ.get('TEAMFLOW_TEST_KAFKA_BOOTSTRAP_SERVERS') or 'testcontainers or infra/kafka/broker.sh'}",
        f"teamflow: ClickHouse = chDB {chdb.__version__} (engine {chdb.engine_version})"
        + (f" and a server at {server.split('@')[-1]}" if server else ""),
    ]


@pytest.fixture(scope="session")
def kafka(tmp_path_factory, request):
    broker = start_broker(tmp_path_factory.mktemp("kafka"))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"\n[teamflow] real Kafka broker at {broker.bootstrap_servers} ({broker.how})")
    yield broker
    if broker.stop:
        broker.stop()


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def store(chdb_dir):
    """A fresh, migrated database for this test: chDB always, or the server in TEAMFLOW_TEST_CLICKHOUSE_URL."""
    from projections.migrations import migrate
    from projections.store import open_store

    s = open_store(url=os.environ.get("TEAMFLOW_TEST_CLICKHOUSE_URL"), data_dir=str(chdb_dir),
                   database=f"t_{uuid.uuid4().hex[:12]}")
    migrate(s)
    yield s
    s.command(f"DROP DATABASE IF EXISTS {s.database}")
    s.close()
