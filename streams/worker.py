"""Run the stream worker: the Faust app that folds the events topic into the store.

The store and the status board come from whoever composes the process (teamflow.assembly), which
may serve the dashboards beside the worker from the same store; this module knows nothing of them.
"""
from __future__ import annotations

import logging

from projections.store import Store

from .app import create_app
from .erasures import ErasureList, load_secret
from .prepare import Preparer
from .settings import WorkerSettings
from .sink import EventSink
from .status import StatusBoard
from .topics import ensure_topics

log = logging.getLogger(__name__)


def run_worker(settings: WorkerSettings, store: Store, status: StatusBoard, *, loglevel: str = "info") -> None:
    """Fold into `store` until the worker is stopped (SIGTERM, Ctrl-C); the caller closes the store."""
    import faust

    ensure_topics(settings.bootstrap_servers, [settings.events_topic, settings.dead_letter_topic],
                  settings.topic_partitions)
    secret = settings.erasure_secret.get_secret_value() if settings.erasure_secret else None
    erasures = ErasureList(settings.bootstrap_servers, settings.erasures_topic, load_secret(settings.data_dir, secret))
    sink = EventSink(store, status=status)
    preparer = Preparer(settings.prepare_processes)
    app = create_app(settings, sink, preparer, erasures=erasures.current)
    log.info("stream worker reading %s from %s", settings.events_topic, settings.bootstrap_servers)
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        status.set_state("stopped")
        preparer.close()
