"""Fault injection for the fault suite: a small disk that fills up, table directories made immutable,
a broker of its own to SIGKILL, and exact counting of what a worker stored."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .processes import WorkerProcess
from .services import BROKER_SCRIPT, free_port


def health(worker: WorkerProcess) -> dict:
    """The worker's `/api/health` answer (200 or 503 alike)."""
    try:
        with urllib.request.urlopen(worker.url("/api/health"), timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:
        return json.loads(err.read())


def wait_health(worker: WorkerProcess, state: str, timeout: float = 60.0) -> dict:
    deadline, last = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        try:
            last = health(worker)
            if (last.get("worker") or {}).get("state") == state:
                return last
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"worker state {state!r} not reached in {timeout}s; last {last}\n{worker.log_tail()}")


@contextmanager
def small_disk(path: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of `megabytes` mounted at `path` (root only), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def can_mount() -> bool:
    probe = Path(f"/tmp/teamflow-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True)
        if done.returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], check=False)
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def fill(disk: Path, leave_bytes: int = 256 * 1024) -> Path:
    """Take all but about `leave_bytes` of the disk's free space with files; remove the folder returned
    to free the space."""
    fillers = disk / "fillers"
    fillers.mkdir(exist_ok=True)
    chunk = shutil.disk_usage(disk).free
    while chunk >= 4096 and shutil.disk_usage(disk).free > leave_bytes:
        size = min(chunk, shutil.disk_usage(disk).free - leave_bytes)
        if size < 4096:
            break
        done = subprocess.run(["fallocate", "-l", str(size), str(fillers / f"f{time.monotonic_ns()}")],
                              capture_output=True)
        if done.returncode != 0:
            chunk //= 2
    return fillers


def table_directories(chdb_dir: Path) -> list[Path]:
    """The data directories of every table (chDB's Atomic databases keep them under store/xxx/uuid)."""
    return sorted(p for p in (chdb_dir / "store").glob("*/*") if p.is_dir())


@contextmanager
def immutable(directories: list[Path]) -> Iterator[None]:
    """`chattr +i` on each directory: nothing can be created in it (not even by root) until released."""
    for d in directories:
        subprocess.run(["chattr", "+i", str(d)], check=True)
    try:
        yield
    finally:
        for d in directories:
            subprocess.run(["chattr", "-i", str(d)], check=False)


@dataclass
class OwnBroker:
    """A single-node broker for one test, so it can be SIGKILLed without touching the session's broker."""

    data_dir: Path
    port: int = 0
    cport: int = 0

    def __post_init__(self) -> None:
        self.port, self.cport = self.port or free_port(), self.cport or free_port()

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, TEAMFLOW_KAFKA_PORT=str(self.port), TEAMFLOW_KAFKA_CONTROLLER_PORT=str(self.cport),
                    TEAMFLOW_KAFKA_DATA_DIR=str(self.data_dir))

    def start(self) -> "OwnBroker":
        subprocess.run(["bash", str(BROKER_SCRIPT), "start"], env=self.env, check=True)
        return self

    def kill(self) -> None:
        pid = int((self.data_dir / "broker.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        subprocess.run(["bash", str(BROKER_SCRIPT), "stop"], env=self.env, check=False)


def stored_counts(worker: WorkerProcess) -> dict[str, int]:
    """Exact counts from the worker's chDB directory (the worker must be stopped): events as the
    dashboards count them (FINAL), distinct (source, id), raw rows, and dead letters."""
    from projections.store import open_store

    store = open_store(url=None, data_dir=str(worker.data_dir / "clickhouse"), database="teamflow")
    try:
        row = store.query_df(
            "SELECT (SELECT count() FROM events FINAL) AS final, (SELECT uniqExact(source, id) FROM events) AS distinct_ids, "
            "(SELECT count() FROM dead_letters FINAL) AS dead_letters").iloc[0]
        return {k: int(v) for k, v in row.items()}
    finally:
        store.close()
