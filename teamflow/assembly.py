"""Where the packages meet: the stream worker, the dashboards and their ops console, built from one
`Settings` and one store.

The packages below do not know each other: `streams` folds Kafka into the store, `dashboards` read
the store and are handed what else they show (the worker's state, the consumer lag, the tokens, a
way to resubmit dead letters) as callables built here. chDB lets one process hold a data
directory, so in the embedded mode the worker and the dashboards share one process and one
store: the Dash server runs in a thread beside Faust's event loop, which works because chDB
releases the GIL while a query runs. With a ClickHouse server the dashboards can run on their own.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from dashboards.ops_data import OpsSources
from projections.migrations import migrate
from projections.store import Store, open_store

from .settings import Settings, reveal

log = logging.getLogger(__name__)


def open_configured_store(settings: Settings) -> Store:
    """The store the settings point at, migrated to the current schema."""
    store = open_store(url=reveal(settings.clickhouse_url), data_dir=str(settings.chdb_dir),
                       database=settings.clickhouse_database)
    applied = migrate(store)
    if applied:
        log.info("schema migrations applied: %s", applied)
    return store


def ops_sources(settings: Settings) -> OpsSources:
    """What the ops console reads beside the store: the worker's status file, the fold group's
    committed offsets, the tokens file, and the resubmission rules of `teamflow dead-letters resubmit`."""
    from streams.consumer_lag import consumer_lag, fold_group
    from streams.ingest.resubmit import letters_from_rows, resubmit
    from streams.ingest.tokens import TokenStore
    from streams.status import read_status

    def resubmit_rows(rows: list[dict]) -> Any:
        return resubmit(letters_from_rows(rows), bootstrap_servers=settings.bootstrap_servers,
                        events_topic=settings.events_topic, tokens_file=settings.ingest.tokens_file)

    return OpsSources(
        worker_status=lambda: read_status(settings.data_dir),
        consumer_lag=lambda: consumer_lag(settings.bootstrap_servers, fold_group(settings.consumer_group),
                                          settings.events_topic),
        tokens=lambda: TokenStore.load(settings.ingest.tokens_file).records,
        resubmit=resubmit_rows)


def dashboards_app(store: Store, settings: Settings, worker_status: Callable[[], Any]):
    """The Dash app over `store`; this process owns the store, so it also answers local commands."""
    from dashboards.app import create_app

    return create_app(store, settings.dashboards, worker_status=worker_status, ops_sources=ops_sources(settings),
                      local_api_dir=settings.data_dir)


def serve_dashboards_in_thread(store: Store, settings: Settings, worker_status: Callable[[], Any]):
    from werkzeug.serving import make_server

    host, port = settings.dashboards.dash_host, settings.dashboards.dash_port
    server = make_server(host, port, dashboards_app(store, settings, worker_status).server, threaded=True)
    threading.Thread(target=server.serve_forever, name="dashboards", daemon=True).start()
    log.info("dashboards on http://%s:%d", host, port)
    return server


def run_worker(settings: Settings, *, with_dashboards: bool = False) -> None:
    """`teamflow worker [--with-dashboards]`: fold until stopped, the dashboards beside it if asked."""
    from streams.status import StatusBoard
    from streams.worker import run_worker as fold

    store = open_configured_store(settings)
    log.info("stream worker writing to %s", settings.store_label)
    status = StatusBoard(settings.data_dir)
    server = serve_dashboards_in_thread(store, settings, status.snapshot) if with_dashboards else None
    try:
        fold(settings, store, status)
    finally:
        if server is not None:
            server.shutdown()
        store.close()


def serve_dashboards(settings: Settings) -> None:
    """`teamflow dashboards`: the dashboards alone, the worker's state read from its status file."""
    from streams.status import read_status

    store = open_configured_store(settings)
    host, port = settings.dashboards.dash_host, settings.dashboards.dash_port
    log.info("dashboards on http://%s:%d", host, port)
    dashboards_app(store, settings, lambda: read_status(settings.data_dir)).run(host=host, port=port, debug=False)
