"""The HTTP ingest door: CloudEvents over HTTP -> validated -> Kafka (acks=all), refused -> dead letters.

Modules: `modes` (HTTP binding, pure), `tokens` (hashed per-source tokens), `keys` (Kafka key),
`service` (decode, authorise, dedup, produce), `app` (aiohttp routes), `openapi`, `settings`.
"""
from .settings import IngestSettings

__all__ = ["IngestSettings"]
