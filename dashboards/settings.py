"""Dashboard settings: `TEAMFLOW_*` variables read here (teamflow/settings.py stays the worker's).

| variable | default | meaning |
|---|---|---|
| `TEAMFLOW_USERS_FILE` | `var/users.json` | users, roles and password hashes (`teamflow users ...`) |
| `TEAMFLOW_SECRET_KEY` | random per process | signs the session cookie; unset = sessions end on restart |
| `TEAMFLOW_DASH_REFRESH_MS` | 5000 | how often live tiles refresh |
| `TEAMFLOW_SESSION_HOURS` | 12 | how long a login lasts |
"""
from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEAMFLOW_", extra="ignore")

    users_file: Path = Path("var/users.json")
    secret_key: SecretStr | None = None
    dash_refresh_ms: int = 5000
    session_hours: float = 12.0


def load() -> DashboardSettings:
    return DashboardSettings()
