"""`teamflow metrics` while the worker runs: it asks the process that owns chDB, and gets what it would
compute itself once the worker has stopped (the same queries, the same figures, integer sample sizes)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from streams.producer import make_producer, send_all
from streams.simulator import simulate
from support.processes import WorkerProcess
from support.services import REPO

pytestmark = pytest.mark.integration

N_EVENTS = 4_000
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
PERIOD = "2025-Q3"


def teamflow(worker: WorkerProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "teamflow", *args], cwd=REPO, env=worker.env,
                          capture_output=True, text=True, timeout=600)


def test_metrics_ask_the_running_worker_then_open_the_store_once_it_stopped(kafka, tmp_path):
    worker = WorkerProcess(kafka.bootstrap_servers, tmp_path / "w").start()
    try:
        producer = make_producer(kafka.bootstrap_servers)
        send_all(producer, worker.events_topic, list(simulate(11, N_EVENTS, start=START, days=80)))
        producer.close()
        worker.wait_for(lambda s: s["events"] >= N_EVENTS, timeout=180, what="events stored")

        running = teamflow(worker, "metrics", "--period", PERIOD, "--json")
        assert running.returncode == 0, running.stderr[-2000:]
        asked = json.loads(running.stdout)
        assert len(asked) >= 2 and all(r["period"]["label"] == PERIOD for r in asked)

        text = teamflow(worker, "metrics", "--period", PERIOD, "--team", asked[0]["team"])
        assert text.returncode == 0, text.stderr[-2000:]
        samples = re.findall(r"n=([^,)\s]+)", text.stdout)
        assert samples and all(s.isdigit() for s in samples), samples

        unknown = teamflow(worker, "metrics", "--period", PERIOD, "--team", "no-such-team")
        assert unknown.returncode == 1 and "no team 'no-such-team'" in unknown.stderr

        # The endpoint answers only with the token from the data directory.
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            req = urllib.request.Request(worker.url(f"/api/local/metrics?period={PERIOD}"), headers=headers)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(req, timeout=30)
            assert refused.value.code == 401
        assert oct((worker.data_dir / "local-api.json").stat().st_mode & 0o777) == "0o600"
    finally:
        assert worker.stop() == 0, worker.log_tail()

    # Nobody holds the store now (the token file is stale): the command opens it and agrees exactly.
    alone = teamflow(worker, "metrics", "--period", PERIOD, "--json")
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert json.loads(alone.stdout) == asked
