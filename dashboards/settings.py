"""The dashboards' settings: a plain model, filled by whoever composes the process (teamflow.settings
reads it from `TEAMFLOW_*` variables once); nothing here reads the environment.

| variable | default | meaning |
|---|---|---|
| `TEAMFLOW_DASH_HOST` / `TEAMFLOW_DASH_PORT` | 127.0.0.1 / 8050 | where the dashboards listen |
| `TEAMFLOW_USERS_FILE` | `var/users.json` | users, roles and password hashes (`teamflow users ...`) |
| `TEAMFLOW_SECRET_KEY` | random per process | signs the session cookie; unset = sessions end on restart |
| `TEAMFLOW_DASH_REFRESH_MS` | 5000 | how often live tiles refresh |
| `TEAMFLOW_SESSION_HOURS` | 12 | how long a login lasts |
| `TEAMFLOW_SESSION_COOKIE_SECURE` | false | send the session cookie over HTTPS only (set it behind TLS); the cookie is then named `__Host-teamflow_session` |
| `TEAMFLOW_SESSION_COOKIE_SAMESITE` | Lax | `Lax` or `Strict` (the cookie is always HttpOnly) |
| `TEAMFLOW_PROXY_HOPS` | 0 | reverse proxies in front that set X-Forwarded-For/-Proto (the sign-in throttle counts the browser's address) |
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class DashboardSettings(BaseModel):
    dash_host: str = "127.0.0.1"
    dash_port: int = 8050
    users_file: Path = Path("var/users.json")
    secret_key: SecretStr | None = None
    dash_refresh_ms: int = Field(default=5000, gt=0)
    session_hours: float = 12.0
    session_cookie_secure: bool = False
    session_cookie_samesite: Literal["Lax", "Strict"] = "Lax"
    proxy_hops: int = Field(default=0, ge=0, le=5)
