"""docker-compose.yml cannot run here (no Docker engine), so check that it parses and agrees with the code."""
from pathlib import Path

import pytest
import yaml

from teamflow.cli import build_parser
from teamflow.settings import Settings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_services_and_healthchecks(compose):
    services = compose["services"]
    assert {"kafka", "clickhouse", "worker", "dashboards", "demo"} <= set(services)
    for name in ("kafka", "clickhouse", "dashboards", "ingest-api"):
        assert "healthcheck" in services[name], name
    assert services["kafka"]["image"].startswith("apache/kafka:")
    pom = (REPO / "infra/kafka/pom.xml").read_text()
    version = services["kafka"]["image"].split(":")[1]
    assert f"<kafka.version>{version}</kafka.version>" in pom, "compose and the local broker run the same Kafka"
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")


def test_settings_names_exist_in_the_code(compose):
    fields = Settings.variables()
    for name, service in compose["services"].items():
        for key in (service.get("environment") or {}):
            if key.startswith("TEAMFLOW_"):
                assert key in fields, f"{name}: {key} is not a Teamflow setting"


def test_ports_and_commands_agree(compose):
    s = Settings(_env_file=None)
    assert f"{s.kafka_port}:9092" in compose["services"]["kafka"]["ports"]
    assert f"{s.dashboards.dash_port}:8050" in compose["services"]["dashboards"]["ports"]
    commands = set(next(a for a in build_parser()._actions if a.dest == "command").choices)
    for name in ("worker", "dashboards", "demo", "ingest-api"):
        assert compose["services"][name]["command"][0] in commands


def test_no_secret_in_the_file():
    text = (REPO / "docker-compose.yml").read_text()
    assert "CLICKHOUSE_PASSWORD: ${TEAMFLOW_CLICKHOUSE_PASSWORD:?" in text
