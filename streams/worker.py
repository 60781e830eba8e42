"""Run the stream worker, optionally with the dashboards in the same process.

chDB lets one process hold a data directory, so in the embedded mode the worker and the
dashboards share this process (and one chDB session): the Dash server runs in a thread beside
Faust's event loop, which works because chDB releases the GIL while a query runs.
With a ClickHouse server configured the dashboards can also run on their own.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from projections.migrations import migrate
from projections.store import Store, open_store

from .app import create_app
from .erasures import ErasureList, load_secret
from .prepare import Preparer
from .sink import EventSink
from .status import StatusBoard
from .topics import ensure_topics

if TYPE_CHECKING:
    from teamflow.settings import Settings

log = logging.getLogger(__name__)


def open_configured_store(settings: "Settings") -> Store:
    store = open_store(url=settings.clickhouse_url, data_dir=str(settings.chdb_dir),
                       database=settings.clickhouse_database)
    applied = migrate(store)
    if applied:
        log.info("schema migrations applied: %s", applied)
    return store


def serve_dashboards_in_thread(store: Store, settings: "Settings", status: StatusBoard | None = None):
    from werkzeug.serving import make_server

    from dashboards.app import create_app as create_dash

    dash_app = create_dash(store, worker_status=status.snapshot if status else None, data_dir=settings.data_dir,
                           listen=(settings.dash_host, settings.dash_port))
    server = make_server(settings.dash_host, settings.dash_port, dash_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dashboards", daemon=True)
    thread.start()
    log.info("dashboards on http://%s:%d", settings.dash_host, settings.dash_port)
    return server


def run_worker(settings: "Settings", *, with_dashboards: bool = False, loglevel: str = "info") -> None:
    import faust

    ensure_topics(settings.bootstrap_servers, [settings.events_topic, settings.dead_letter_topic],
                  settings.topic_partitions)
    store = open_configured_store(settings)
    erasures = ErasureList(settings.bootstrap_servers, settings.erasures_topic,
                           load_secret(settings.data_dir, settings.erasure_secret))
    status = StatusBoard(settings.data_dir)
    sink = EventSink(store, status=status)
    preparer = Preparer(settings.prepare_processes)
    app = create_app(settings, sink, preparer, erasures=erasures.current)
    server = serve_dashboards_in_thread(store, settings, status) if with_dashboards else None
    log.info("stream worker reading %s from %s, writing to %s", settings.events_topic, settings.bootstrap_servers,
             settings.clickhouse_url or f"chDB at {settings.chdb_dir}")
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        status.set_state("stopped")
        if server is not None:
            server.shutdown()
        preparer.close()
        store.close()
