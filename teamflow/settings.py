"""Settings: environment variables prefixed `TEAMFLOW_`, with local defaults that need no configuration.

One `Settings` object is read here, once, by the command line, and handed down. Each package
declares what it reads as a plain model and reads no environment itself: the stream worker's
settings (`streams.settings.WorkerSettings`: Kafka, topics, data directory, batches) stand at the
top, since every command reads them; the dashboards' and the ingest doors' are sections
(`settings.dashboards`, `settings.ingest`). What only the composition reads (the local broker's
controller port, the store) is declared here. Every variable is `TEAMFLOW_<FIELD>`, whatever the
section: sections group the code, not the names operators set. Secrets are `SecretStr`, so neither
a log line nor a repr shows them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from dashboards.settings import DashboardSettings
from streams.ingest.settings import IngestSettings
from streams.settings import WorkerSettings

PREFIX = "TEAMFLOW_"


class Settings(BaseSettings, WorkerSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    kafka_controller_port: int = 9093
    # ClickHouse. No URL configured means: chDB in-process on data_dir/clickhouse.
    clickhouse_url: SecretStr | None = Field(default=None, description="http://user:pass@host:8123; unset = chDB")
    clickhouse_database: str = "teamflow"

    # Sections; their variables are flat (TEAMFLOW_USERS_FILE, not TEAMFLOW_DASHBOARDS__USERS_FILE).
    dashboards: DashboardSettings = Field(default_factory=DashboardSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return init_settings, env_settings, _FlatSections(settings_cls), dotenv_settings, file_secret_settings

    @classmethod
    def variables(cls) -> set[str]:
        """Every `TEAMFLOW_*` variable these settings read."""
        sections = _sections(cls)
        names = [n for n in cls.model_fields if n not in sections]
        names += [n for section in sections.values() for n in section.model_fields]
        return {PREFIX + n.upper() for n in names}

    @property
    def chdb_dir(self) -> Path:
        return self.data_dir / "clickhouse"

    @property
    def kafka_data_dir(self) -> Path:
        return self.data_dir / "kafka"

    @property
    def store_label(self) -> str:
        """Where events are stored, fit for a log line: the server without its credentials, or chDB's path."""
        if self.clickhouse_url is None:
            return f"chDB at {self.chdb_dir}"
        parts = urlsplit(self.clickhouse_url.get_secret_value())
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def reveal(secret: SecretStr | None) -> str | None:
    """A secret's text, for the one call that needs it (opening the store, keying the erasure list)."""
    return secret.get_secret_value() if secret is not None else None


def _sections(cls: type[BaseModel]) -> dict[str, type[BaseModel]]:
    return {name: f.annotation for name, f in cls.model_fields.items()
            if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)}


class _FlatSections(PydanticBaseSettingsSource):
    """Fills each section from `TEAMFLOW_<FIELD>`: the names operators have always set. Values stay
    text here; the section's model parses them."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(PREFIX)}
        found: dict[str, Any] = {}
        for name, section in _sections(self.settings_cls).items():
            values = {f: env[PREFIX + f.upper()] for f in section.model_fields if PREFIX + f.upper() in env}
            if values:
                found[name] = values
        return found


def load() -> Settings:
    return Settings()
