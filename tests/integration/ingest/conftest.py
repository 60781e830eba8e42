"""Fixtures for the ingestion doors: a real worker per module, the ingest API in-process on a free port."""
from __future__ import annotations

import pytest
from ingest_harness import ApiServer, teamflow_cli

from support.processes import WorkerProcess


@pytest.fixture(scope="module")
def worker(kafka, tmp_path_factory):
    w = WorkerProcess(kafka.bootstrap_servers, tmp_path_factory.mktemp("ingest-worker")).start()
    yield w
    assert w.stop() == 0, w.log_tail()


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    """A tokens file with two tokens: 'crm' owns //crm/* and //hr; 'other' owns //other."""
    from streams.ingest.tokens import TokenStore

    store = TokenStore.load(tmp_path_factory.mktemp("tokens") / "tokens.json")
    return {"path": store.path, "crm": store.create("crm", ["//crm/*", "//hr"]),
            "other": store.create("other", ["//other"])}


@pytest.fixture(scope="module")
def api(kafka, worker, tokens):
    server = ApiServer(kafka.bootstrap_servers, worker.events_topic, worker.dead_letter_topic, tokens["path"]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cli(worker):
    return lambda *args, check=True: teamflow_cli(worker, *args, check=check)

