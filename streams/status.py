"""What the stream worker is doing now, readable by the dashboards, a health check and `teamflow`.

The worker's fold loop sets its state (`starting`, `folding`, `retrying` after a store or broker
fault, `stopped`) and the status is kept in memory and in `<data_dir>/worker-status.json`
(written atomically: a temporary file renamed over the old one), so a process that does not hold
the worker (the dashboards against a server, `teamflow status`) reads the same thing. The file
lives on the data directory's disk; when that disk is full the write fails quietly and the
in-memory status (what the in-process dashboards and health check read) is still right.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["starting", "folding", "retrying", "stopped"]
FILE_NAME = "worker-status.json"


@dataclass
class WorkerStatus:
    state: State = "starting"
    since: float = field(default_factory=time.time)
    """Unix time the state was entered."""
    detail: str = ""
    """Why: for `retrying`, what failed (the engine's words, never payload values) and the next try."""
    retries: int = 0
    """Failed attempts since the last successful write."""
    events_folded: int = 0
    dead_letters: int = 0
    last_commit_at: float | None = None
    pid: int = field(default_factory=os.getpid)
    updated_at: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return asdict(self)


class StatusBoard:
    """The worker's status, updated by the fold loop and read by anyone in the process (thread-safe)."""

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self._path = Path(data_dir) / FILE_NAME if data_dir is not None else None
        self._lock = threading.Lock()
        self._status = WorkerStatus()
        self._saved_at = 0.0
        """When the status file was last written: `committed` writes it at most once a second."""
        self._save()

    def snapshot(self) -> WorkerStatus:
        with self._lock:
            return WorkerStatus(**asdict(self._status))

    def set_state(self, state: State, detail: str = "") -> None:
        with self._lock:
            if state != self._status.state:
                self._status.since = time.time()
            self._status.state, self._status.detail = state, detail
            if state == "folding":
                self._status.retries = 0
            self._status.updated_at = time.time()
        self._save()

    def retrying(self, detail: str) -> None:
        with self._lock:
            if self._status.state != "retrying":
                self._status.since = time.time()
            self._status.state, self._status.detail = "retrying", detail
            self._status.retries += 1
            self._status.updated_at = time.time()
        self._save()

    def committed(self, events: int, dead_letters: int = 0) -> None:
        with self._lock:
            now = time.time()
            if self._status.state != "folding":
                self._status.state, self._status.since, self._status.detail = "folding", now, ""
            self._status.retries = 0
            self._status.events_folded += events
            self._status.dead_letters += dead_letters
            self._status.last_commit_at = self._status.updated_at = now
            due = self._path is not None and now - self._saved_at >= 1.0
        if due:
            self._save()

    def _save(self) -> None:
        if self._path is None:
            return
        self._saved_at = time.time()
        with self._lock:
            body = json.dumps(self._status.to_json())
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_name(f".{FILE_NAME}.{os.getpid()}")
            tmp.write_text(body)
            os.replace(tmp, self._path)
        except OSError as exc:  # a full or read-only disk: the in-memory status stays right
            log.debug("worker status not saved to %s: %s", self._path, exc)


def read_status(data_dir: Path | str) -> WorkerStatus | None:
    """The last status a worker saved under `data_dir`, or None when no worker ever ran there.

    A status whose worker process is gone reads as `stopped`."""
    path = Path(data_dir) / FILE_NAME
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    status = WorkerStatus(**{k: v for k, v in raw.items() if k in WorkerStatus.__dataclass_fields__})
    if status.state != "stopped" and not _alive(status.pid):
        status.state, status.detail = "stopped", "the worker process is gone"
    return status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
