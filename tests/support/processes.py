"""Real worker processes for integration tests: start, wait until ready, SIGTERM or SIGKILL, restart."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .services import REPO, free_port


def child_pids(pid: int) -> set[int]:
    """The child processes of `pid`, started by any of its threads, from /proc."""
    pids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:  # threads come and go while we look
            pids.update(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return pids


def _sum_alive(measure, pids) -> float:
    """`measure(pid)` summed over the processes still there when asked."""
    total = 0.0
    for pid in pids:
        try:
            total += measure(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


@dataclass
class WorkerProcess:
    """`python -m teamflow worker --with-dashboards` with its own topics, group, data dir and port."""

    bootstrap_servers: str
    data_dir: Path
    events_topic: str = field(default_factory=lambda: f"events-{uuid.uuid4().hex[:10]}")
    dead_letter_topic: str = field(default_factory=lambda: f"dead-{uuid.uuid4().hex[:10]}")
    group: str = field(default_factory=lambda: f"worker-{uuid.uuid4().hex[:10]}")
    dash_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    repo: Path = REPO  # the checkout whose worker runs (a benchmark may time another version's)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMFLOW_")}
        env.update(
            TEAMFLOW_KAFKA_BOOTSTRAP_SERVERS=self.bootstrap_servers,
            TEAMFLOW_EVENTS_TOPIC=self.events_topic,
            TEAMFLOW_DEAD_LETTER_TOPIC=self.dead_letter_topic,
            TEAMFLOW_CONSUMER_GROUP=self.group,
            TEAMFLOW_DATA_DIR=str(self.data_dir),
            TEAMFLOW_DASH_PORT=str(self.dash_port),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90.0) -> "WorkerProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"worker-{int(time.time() * 1000)}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "teamflow", "worker", "--with-dashboards"],
                                     cwd=self.repo, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.status()
                return self
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"worker not ready in {timeout}s:\n{self.log_tail()}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.dash_port}{path}"

    def status(self) -> dict:
        with urllib.request.urlopen(self.url("/api/status"), timeout=5) as r:
            return json.loads(r.read())

    def health(self) -> dict:
        """`/api/health`: the worker's state (`worker.state` is `folding` once its fold loop has started)."""
        with urllib.request.urlopen(self.url("/api/health"), timeout=5) as r:
            return json.loads(r.read())

    def folding(self) -> bool:
        """Whether the worker answers and reports its fold running."""
        try:
            return (self.health().get("worker") or {}).get("state") == "folding"
        except OSError:
            return False

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by the worker process and by its live child processes
        (the prepare step's), from /proc."""
        tick = os.sysconf("SC_CLK_TCK")

        def used(pid: int) -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        return {"worker": used(self.proc.pid), "children": _sum_alive(used, child_pids(self.proc.pid))}

    def rss_mb(self) -> float:
        """Resident memory of the worker process and its live child processes, in MB."""

        def rss(pid: int) -> float:
            text = Path(f"/proc/{pid}/status").read_text()
            return int(text.split("VmRSS:", 1)[1].split()[0]) / 1024

        return rss(self.proc.pid) + _sum_alive(rss, child_pids(self.proc.pid))

    def wait_for(self, predicate, timeout: float = 60.0, what: str = "condition") -> dict:
        deadline = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < deadline:
            try:
                last = self.status()
                if predicate(last):
                    return last
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{what} not reached in {timeout}s; last status {last}\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
        finally:
            self._log.close()

    def kill(self) -> int:
        return self.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
