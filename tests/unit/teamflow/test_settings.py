import logging
import os
import re
from pathlib import Path

import pytest

from teamflow.cli import build_parser
from teamflow.settings import Settings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
NOT_SETTINGS = {  # documented TEAMFLOW_* names that are not Settings fields, and who reads them
    "TEAMFLOW_KAFKA_DATA_DIR", "TEAMFLOW_KAFKA_HEAP", "TEAMFLOW_KAFKA_START_TIMEOUT", "TEAMFLOW_KAFKA_VERSION",
    "TEAMFLOW_KAFKA_",  # infra/kafka/broker.sh
    "TEAMFLOW_PYTHON",  # scripts/setup.sh
    "TEAMFLOW_CLICKHOUSE_PASSWORD",  # docker-compose.yml
    "TEAMFLOW_TEST_KAFKA_BOOTSTRAP_SERVERS", "TEAMFLOW_TEST_CLICKHOUSE_URL", "TEAMFLOW_TEST_USE_DOCKER",
    "TEAMFLOW_FAULT_FIGURES",  # the test suite
    "TEAMFLOW_FOLD_MODE",  # gone (issue 13); named in docs/benchmarks.md's earlier runs only
}


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("TEAMFLOW_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_defaults_need_no_configuration(clean_env):
    s = Settings()
    assert s.kafka_bootstrap_servers is None and s.bootstrap_servers == "127.0.0.1:9092"
    assert s.clickhouse_url is None and str(s.chdb_dir).endswith("clickhouse")
    assert (s.dashboards.dash_host, s.dashboards.dash_port) == ("127.0.0.1", 8050)
    assert s.dashboards.dash_refresh_ms == 5000 and s.ingest.ingest_port == 8088


def test_environment_overrides_with_one_flat_prefix(clean_env):
    env = {"TEAMFLOW_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "TEAMFLOW_DASH_PORT": "9000",
           "TEAMFLOW_SECRET_KEY": "s3cret", "TEAMFLOW_SESSION_COOKIE_SECURE": "true",
           "TEAMFLOW_DASH_REFRESH_MS": "2000", "TEAMFLOW_TOKENS_FILE": "/t/tokens.json",
           "TEAMFLOW_INGEST_PORT": "8099", "TEAMFLOW_BATCH_SIZE": "7"}
    for k, v in env.items():
        clean_env.setenv(k, v)
    s = Settings()
    assert s.bootstrap_servers == "kafka:9092" and s.batch_size == 7
    assert s.dashboards.dash_port == 9000 and s.dashboards.dash_refresh_ms == 2000
    assert s.dashboards.session_cookie_secure is True and s.dashboards.secret_key.get_secret_value() == "s3cret"
    assert str(s.ingest.tokens_file) == "/t/tokens.json" and s.ingest.ingest_port == 8099


def test_secrets_never_show(clean_env, caplog):
    clean_env.setenv("TEAMFLOW_CLICKHOUSE_URL", "http://teamflow:pa55word@clickhouse:8123")
    clean_env.setenv("TEAMFLOW_ERASURE_SECRET", "er4se")
    clean_env.setenv("TEAMFLOW_SECRET_KEY", "s3cret")
    s = Settings()
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings %s, store %s", s, s.store_label)
    for text in (repr(s), str(s), s.store_label, caplog.text):
        assert "pa55word" not in text and "er4se" not in text and "s3cret" not in text
    assert s.store_label == "http://clickhouse:8123"
    assert s.clickhouse_url.get_secret_value().endswith("@clickhouse:8123")


def test_no_two_parts_declare_the_same_variable():
    from dashboards.settings import DashboardSettings
    from streams.ingest.settings import IngestSettings
    from streams.settings import WorkerSettings

    parts = [set(WorkerSettings.model_fields), set(DashboardSettings.model_fields), set(IngestSettings.model_fields),
             set(Settings.model_fields) - set(WorkerSettings.model_fields) - {"dashboards", "ingest"}]
    names = [n for part in parts for n in part]
    assert len(names) == len(set(names)) and len(Settings.variables()) == len(names)


def test_every_documented_variable_is_read():
    documented = set()
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "docker-compose.yml"]:
        documented |= set(re.findall(r"TEAMFLOW_[A-Z0-9_]+", path.read_text()))
    assert documented, "no TEAMFLOW_ variable found in the docs"
    missing = documented - NOT_SETTINGS - Settings.variables()
    assert not missing, f"documented but read by nobody: {sorted(missing)}"


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.format_help().strip(), name
        assert p.description or sub._choices_actions, name
