"""Helpers for the ingestion doors' integration tests: the API in-process, settling counts, the CLI."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

from support.processes import WorkerProcess
from support.services import REPO, free_port


class ApiServer:
    """The aiohttp ingest app on 127.0.0.1:<free port>, in its own thread and event loop."""

    def __init__(self, bootstrap: str, events_topic: str, dead_letter_topic: str, tokens_file: Path, **settings):
        from streams.ingest.settings import IngestSettings

        self.port = free_port()
        self.settings = IngestSettings(ingest_port=self.port, tokens_file=tokens_file, **settings)
        self.args = (bootstrap, events_topic, dead_letter_topic)
        self.url = f"http://127.0.0.1:{self.port}"
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> "ApiServer":
        self._thread = threading.Thread(target=self._run, name="ingest-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(60) or self._error:
            raise RuntimeError(f"ingest API did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        from streams.ingest.app import create_app
        from streams.ingest.server import BoundedTCPSite, runner_for

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.runner = runner_for(create_app(*self.args, settings=self.settings), self.settings)
            self.loop.run_until_complete(self.runner.setup())
            self.site = BoundedTCPSite(self.runner, "127.0.0.1", self.port, self.settings)
            self.loop.run_until_complete(self.site.start())
        except BaseException as exc:  # noqa: BLE001
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)


def settle(worker: WorkerProcess, events: int, dead_letters: int, quiet: float = 2.0, timeout: float = 60.0) -> dict:
    """Wait until the store holds exactly these counts, then check they stay so for `quiet` seconds."""
    worker.wait_for(lambda s: s["events"] >= events and s["dead_letters"] >= dead_letters, timeout,
                    f"{events} events and {dead_letters} dead letters")
    time.sleep(quiet)
    status = worker.status()
    assert (status["events"], status["dead_letters"]) == (events, dead_letters), f"{status}\n{worker.log_tail()}"
    return status


def teamflow_cli(worker: WorkerProcess, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`python -m teamflow ARGS` against the worker's broker and topics."""
    env = {**worker.env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-m", "teamflow", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"teamflow {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc
