"""`teamflow up`: start the whole product, say where to look, and stop everything on Ctrl-C.

Starts, in order: the local Kafka broker (unless bootstrap servers are configured), the stream
worker with the dashboards in the same process (chDB holds one data directory per process), the
ingest API and the demo producer. On Ctrl-C or SIGTERM it stops the children (SIGTERM, then SIGKILL after a
grace period) and the broker it started, so no process is left behind.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from .broker import broker
from .settings import Settings

log = logging.getLogger("teamflow.up")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class Supervisor:
    settings: Settings
    demo: bool = True
    demo_args: list[str] = field(default_factory=list)
    grace_seconds: float = 20.0
    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    started_broker: bool = False
    stopping: bool = False

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "teamflow", *args], env=dict(os.environ))
        self.children.append((name, proc))
        log.info("started %s (pid %d)", name, proc.pid)
        return proc

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            log.info("%s received: stopping everything", signal.Signals(signum).name)
        self.stopping = True

    def demo_users(self) -> list[tuple[str, str, str]]:
        """First start with demo data and no users yet: one account per role, random passwords shown once.

        The simulator's first team is `atlas`, whose first member (`person-0000`) is its manager.
        """
        import secrets

        from dashboards.users import add_user, load_users
        from streams.simulator import TEAM_NAMES

        path = self.settings.dashboards.users_file
        if not self.demo or load_users(path):
            return []
        team = TEAM_NAMES[0]
        accounts = [("demo-manager", "manager", "person-0000"), ("demo-rep", "rep", "person-0001"),
                    ("demo-exec", "executive", "")]
        made = []
        for name, role, person in accounts:
            password = secrets.token_urlsafe(12)
            add_user(path, name, password, role, person, [team] if person else [])
            made.append((name, role, password))
        log.info("created demo dashboard users in %s", path)
        return made

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        s = self.settings
        dash, ingest = s.dashboards, s.ingest
        store = s.store_label if s.clickhouse_url else f"chDB in-process at {s.chdb_dir.resolve()}"
        try:
            if not s.kafka_bootstrap_servers:
                self.started_broker = True
                broker("start", s)
            accounts = self.demo_users()
            worker = self.spawn("stream worker + dashboards", "worker", "--with-dashboards")
            deadline = time.monotonic() + 120
            while not port_open(dash.dash_host, dash.dash_port):
                if self.stopping or worker.poll() is not None or time.monotonic() > deadline:
                    log.error("the worker did not bring the dashboards up")
                    return 1
                time.sleep(0.2)
            self.spawn("ingest API", "ingest-api")
            if self.demo:
                self.spawn("demo producer", "demo", *self.demo_args)
            print(
                "\nTeamflow is up.\n"
                f"  dashboards   http://{dash.dash_host}:{dash.dash_port}\n"
                f"  ingest API   http://{ingest.ingest_host}:{ingest.ingest_port}/events "
                f"(tokens: python3 -m teamflow tokens create --help)\n"
                f"  kafka        {s.bootstrap_servers} (topic {s.events_topic}, dead letters {s.dead_letter_topic})\n"
                f"  clickhouse   {store}\n"
                + ("  sign in as (passwords shown only now; `teamflow users passwd NAME` resets one):\n"
                   + "".join(f"    {n:<13} {r:<10} {p}\n" for n, r, p in accounts) if accounts else
                   "  sign in with a user from `python3 -m teamflow users list` "
                   "(add one with `teamflow users add`)\n")
                + "Press Ctrl-C to stop everything.\n",
                flush=True,
            )
            while not self.stopping:
                for name, proc in self.children:
                    if proc.poll() is not None and not (name == "demo producer" and proc.returncode == 0):
                        log.error("%s exited with code %s; stopping", name, proc.returncode)
                        return 1
                time.sleep(0.3)
            return 0
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0fs; killing it", name, self.grace_seconds)
                proc.kill()
                proc.wait()
            log.info("stopped %s", name)
        if self.started_broker:
            broker("stop", self.settings, check=False)
