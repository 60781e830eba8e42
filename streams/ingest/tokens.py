"""Ingest tokens: one per producing system, stored hashed, each allowed to write only its own sources.

A token is `tf_` + 32 random bytes (url-safe base64, from `secrets`). The tokens file keeps only
its SHA-256: for a 256-bit random secret a fast hash is enough (there is nothing to brute-force,
unlike a password, so no salt or slow KDF is needed). The plain token is shown once, on creation.

Source rule: each token lists the CloudEvent `source` values it owns. An entry matches a source
exactly, or, when it ends with `*`, as a prefix (`*` = any rest, possibly empty, like a shell
glob): `//crm/salesforce/*` owns `//crm/salesforce/emea` and `//crm/salesforce/us` but not
`//crm/salesforce` nor `//crm/salesforce-eu`; `//crm/salesforce*` owns all three. Prefer patterns
ending in `/*` so a token cannot spill into a sibling source. The match is on text, which is sound
because the API refuses sources that are not canonical (`..`, `%2F`, backslashes: sources.py)
before this check, and patterns with those are refused here.

File format (`TEAMFLOW_TOKENS_FILE`, default `var/tokens.json`, written 0600, replaced atomically):

    {"tokens": [{"name": "salesforce-sync", "sha256": "<hex>", "sources": ["//crm/salesforce"],
                 "created_at": "2026-01-05T10:00:00+00:00", "revoked_at": null}]}

`TokenStore.verify` re-reads the file when it changed (checked at most once a second), so a
created or revoked token takes effect in a running API without a restart.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .sources import source_problem

TOKEN_PREFIX = "tf_"


class TokenError(ValueError):
    """A token operation that cannot be done (duplicate name, unknown name, bad source pattern)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def source_allowed(patterns: list[str] | tuple[str, ...], source: str) -> bool:
    """Exact match, or prefix match for a pattern ending with `*`."""
    for p in patterns:
        if p.endswith("*"):
            if source.startswith(p[:-1]):
                return True
        elif source == p:
            return True
    return False


@dataclass
class TokenRecord:
    name: str
    sha256: str
    sources: list[str]
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may_write(self, source: str) -> bool:
        return self.active and source_allowed(self.sources, source)


@dataclass
class TokenStore:
    path: Path
    records: list[TokenRecord] = field(default_factory=list)
    _mtime: float | None = None
    _checked: float = 0.0

    @classmethod
    def load(cls, path: Path | str) -> "TokenStore":
        store = cls(Path(path))
        store.reload()
        return store

    def reload(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self.records, self._mtime = [], None
            return
        raw = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        self.records = [TokenRecord(**r) for r in raw.get("tokens", [])]
        self._mtime = st.st_mtime_ns

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < 1.0:
            return
        self._checked = now
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            self.reload()

    def verify(self, token: str | None) -> TokenRecord | None:
        """The active record for this token, or None. Compares hashes in constant time."""
        if not token:
            return None
        self._refresh()
        digest = hash_token(token)
        found = None
        for r in self.records:  # few tokens: compare against all, constant time each
            if hmac.compare_digest(r.sha256, digest) and r.active:
                found = r
        return found

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"tokens": [asdict(r) for r in self.records]}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._mtime = self.path.stat().st_mtime_ns

    def create(self, name: str, sources: list[str]) -> str:
        """Add a token for `sources`; returns the plain token (shown once, never stored)."""
        if not name or not sources:
            raise TokenError("a token needs a name and at least one source")
        for s in sources:
            if not s or any(c.isspace() for c in s) or "*" in s[:-1] or s == "*":
                raise TokenError(f"bad source pattern {s!r}: a source, or a prefix ending with '*'")
            problem = source_problem(s.removesuffix("*"))
            if problem is not None:  # the API refuses such sources, so such a pattern could never match
                raise TokenError(f"bad source pattern {s!r}: {problem}")
        if any(r.name == name and r.active for r in self.records):
            raise TokenError(f"an active token named {name!r} exists; revoke it first")
        token = new_token()
        self.records.append(TokenRecord(name=name, sha256=hash_token(token), sources=list(sources),
                                        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds")))
        self.save()
        return token

    def revoke(self, name: str) -> int:
        n = 0
        for r in self.records:
            if r.name == name and r.active:
                r.revoked_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
                n += 1
        if not n:
            raise TokenError(f"no active token named {name!r}")
        self.save()
        return n
