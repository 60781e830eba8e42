"""What a dead letter is: the raw payload, the reason it was refused, where it came from, when.

Every door (the Kafka topic, the HTTP API, the importers) sends refused input to the
dead-letter topic in this one shape: the value is the raw payload, untouched, and the
headers carry the reason. A worker folds that topic into the `dead_letters` table.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

HEADER_PREFIX = "teamflow_dl_"


@dataclass(frozen=True)
class DeadLetter:
    raw: bytes
    code: str
    reason: str
    door: str  # kafka, api, import, ...
    source: str = ""
    id: str = ""
    type: str = ""
    received_at: datetime | None = None

    def headers(self) -> list[tuple[str, bytes]]:
        when = (self.received_at or datetime.now(timezone.utc)).isoformat()
        fields = {"code": self.code, "reason": self.reason, "door": self.door, "source": self.source,
                  "id": self.id, "type": self.type, "received_at": when}
        return [(HEADER_PREFIX + k, v.encode("utf-8")) for k, v in fields.items()]

    @property
    def fingerprint(self) -> str:
        """Same payload refused for the same reason through the same door = the same dead letter."""
        h = hashlib.sha256()
        for part in (self.door.encode(), self.reason.encode(), self.raw):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        return h.hexdigest()


def from_headers(raw: bytes, headers: list[tuple[str, bytes]] | None) -> DeadLetter:
    """Rebuild a dead letter read back from the dead-letter topic."""
    found = {k[len(HEADER_PREFIX):]: v.decode("utf-8", "replace")
             for k, v in (headers or []) if k.startswith(HEADER_PREFIX)}
    received = found.get("received_at")
    return DeadLetter(
        raw=raw,
        code=found.get("code", "unknown"),
        reason=found.get("reason", "no reason recorded"),
        door=found.get("door", "kafka"),
        source=found.get("source", ""),
        id=found.get("id", ""),
        type=found.get("type", ""),
        received_at=datetime.fromisoformat(received) if received else None,
    )
