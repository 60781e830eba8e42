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


def test_the_cluster_profile_replicates_one_database_and_splits_the_topic_between_two_workers(compose):
    services = compose["services"]
    cluster = {n for n, s in services.items() if "cluster" in (s.get("profiles") or [])}
    assert cluster == {"clickhouse-r1", "clickhouse-r2", "worker-r1", "worker-r2", "dashboards-r2"}
    replicas = {services[n]["environment"]["CH_REPLICA"] for n in ("clickhouse-r1", "clickhouse-r2")}
    assert replicas == {"r1", "r2"}
    for name in ("clickhouse-r1", "clickhouse-r2"):
        mounted = {v.split(":")[0] for v in services[name]["volumes"]}
        assert all((REPO / m).exists() for m in mounted), name
        assert "./infra/clickhouse/cluster/init-db.sql" in mounted and "./infra/clickhouse/cluster/replica.xml" in mounted
    init = (REPO / "infra/clickhouse/cluster/init-db.sql").read_text()
    database = services["worker-r1"]["environment"]["TEAMFLOW_CLICKHOUSE_DATABASE"]
    assert f"CREATE DATABASE IF NOT EXISTS {database} ENGINE = Replicated(" in init
    groups = {services[n]["environment"].get("TEAMFLOW_CONSUMER_GROUP") for n in ("worker-r1", "worker-r2")}
    assert len(groups) == 1 and None not in groups  # one group: the two workers split the partitions
    assert services["worker"]["environment"].get("TEAMFLOW_CONSUMER_GROUP") not in groups
    urls = {services[n]["environment"]["TEAMFLOW_CLICKHOUSE_URL"] for n in ("worker-r1", "worker-r2")}
    assert {u.split("@")[1] for u in urls} == {"clickhouse-r1:8123", "clickhouse-r2:8123"}
