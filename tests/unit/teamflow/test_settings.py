import pytest

from teamflow.cli import build_parser
from teamflow.settings import Settings

pytestmark = pytest.mark.unit


def test_defaults_need_no_configuration(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("TEAMFLOW_"):
            monkeypatch.delenv(key)
    s = Settings()
    assert s.kafka_bootstrap_servers is None and s.bootstrap_servers == "127.0.0.1:9092"
    assert s.clickhouse_url is None and str(s.chdb_dir).endswith("clickhouse")
    assert (s.dash_host, s.dash_port) == ("127.0.0.1", 8050)


def test_environment_overrides_with_one_prefix(monkeypatch):
    monkeypatch.setenv("TEAMFLOW_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("TEAMFLOW_DASH_PORT", "9000")
    monkeypatch.setenv("TEAMFLOW_SECRET_KEY", "s3cret")
    s = Settings()
    assert s.bootstrap_servers == "kafka:9092" and s.dash_port == 9000
    from dashboards.settings import DashboardSettings

    d = DashboardSettings()
    assert d.secret_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(d)  # secrets never show up in logs


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.format_help().strip(), name
        assert p.description or sub._choices_actions, name
