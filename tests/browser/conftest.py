"""The browser tests' shared fixtures: Debian's headless Chromium and chromedriver (never a download),
and real worker processes (Kafka -> Faust -> chDB, the dashboards in the same process) with users
made by the `teamflow users` command."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support.browser import CHROMEDRIVER, CHROMIUM
from support.processes import WorkerProcess
from support.services import REPO


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--window-size=1366,900"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)  # explicit path: no selenium-manager
    d.set_page_load_timeout(60)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def start_worker(kafka, tmp_path_factory):
    """`start_worker(users, env)`: a worker with these dashboard users ({name: (password, role, person,
    team)}) and extra `TEAMFLOW_*` settings, and a producer to its broker (`worker.producer`);
    `worker.command_env` runs `teamflow` commands against the same files. Stopped (exit 0 checked)
    when the module is done."""
    from streams.producer import make_producer

    started: list[WorkerProcess] = []

    def start(users: dict, env: dict[str, str] | None = None) -> WorkerProcess:
        tmp = tmp_path_factory.mktemp("browser")
        settings = {"TEAMFLOW_USERS_FILE": str(tmp / "users.json"), **(env or {})}
        command_env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMFLOW_")} | settings
        for name, (password, role, person, team) in users.items():
            cmd = [sys.executable, "-m", "teamflow", "users", "add", name, "--role", role, "--password-stdin"]
            cmd += ["--person", person, "--team", team] if person else []
            subprocess.run(cmd, input=password + "\n", text=True, env=command_env, cwd=REPO, check=True,
                           capture_output=True)
        worker = WorkerProcess(kafka.bootstrap_servers, tmp / "worker", extra_env=settings).start()
        worker.users, worker.command_env = users, command_env
        worker.producer = make_producer(kafka.bootstrap_servers)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.producer.close()
        assert worker.stop() == 0, worker.log_tail()
