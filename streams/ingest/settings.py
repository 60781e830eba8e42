"""Settings of the ingestion doors: a plain model that teamflow.settings fills from `TEAMFLOW_*`
variables (the field names are the variables' names without the prefix); nothing here reads the
environment, so the doors can be built with any settings in tests.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class IngestSettings(BaseModel):
    ingest_host: str = Field(default="127.0.0.1", description="where the ingest API listens")
    ingest_port: int = Field(default=8088, description="port of the ingest API")
    tokens_file: Path = Field(default=Path("var/tokens.json"), description="hashed ingest tokens (JSON)")
    max_body_bytes: int = Field(default=16 * 1024 * 1024, description="request bodies above this get 413")
    ingest_timeout_seconds: float = Field(
        default=10.0, description="longest wait for the broker's acknowledgement before answering 503")
    ingest_retry_after_seconds: int = Field(default=5, description="Retry-After sent with 503")
    dedup_cache_size: int = Field(default=200_000, description="recently accepted (source, id) kept in memory")
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="a connection without a complete request head this long after it opened "
                                        "or after its last answer is closed (slow headers, idle keep-alive)")
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="longest time to receive a request body; then 408 and the connection "
                                        "is closed (also when Content-Length promises more than is sent)")
    max_connections: int = Field(
        default=2048, ge=1, description="open connections above this get 503 at once and are closed")
