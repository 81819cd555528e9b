"""``create_app(settings)``: the receiver as a FastAPI application (no global app)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from . import costs, db, errors, openapi, rollup, thread_summary
from .costs import CostTable
from .metrics import Metrics, ensure_counters
from .nul import NulInUrls
from .routes import changes as changes_routes
from .routes import compare as compare_routes
from .routes import costs as costs_routes
from .routes import export, health, otlp, report, runs, threads, ui
from .routes import stats as stats_routes
from .routes import trace as trace_routes
from .routes.deps import Receiver
from .settings import Settings
from .writer import Writer

log = logging.getLogger("observatory.server")


def open_receiver(settings: Settings) -> Receiver:
    """Open the store (schema, cost seed, price table) and build the writer (not started)."""
    database = db.open_database(
        settings.db_url, settings.sqlite_synchronous, upgrade=settings.upgrade
    )
    table = CostTable()
    added, problem = 0, None
    try:
        with database.store.setup_lock(), database.write.begin() as conn:
            database.store.lock_store(conn, exclusive=True)  # ensure may rebuild summaries
            added = costs.ensure_seeded(conn)
            table.load(conn)
            ensure_counters(conn)
            rollup.ensure(conn)  # dashboard summaries of a store that predates them
            thread_summary.ensure(conn, thread_summary.gap_us(settings.thread_gap_minutes))
    except DBAPIError as exc:  # a read-only store still serves its reads
        problem = errors.store_problem(exc)
        if problem is None:
            raise
        with database.read.connect() as conn:
            table.load(conn)
    if added:
        log.info("seeded %d cost rows from genai-prices", added)
    problem = problem or errors.write_probe(database.write, database.writer_lock)
    if problem:
        log.error("%s; reads are served, every POST /api/report answers 503", problem)
    metrics = Metrics()
    writer = Writer(database.write, table, metrics, settings.max_group_batches, database.store)
    return Receiver(settings, database, table, writer, metrics, store_problem=problem)


def tune_gc() -> None:
    """Garbage-collector settings for a process that is only the receiver.

    Startup leaves a large, long-lived heap (the framework, the price table);
    freezing it keeps every full collection from rescanning it, and a higher
    first threshold lets a 500-event batch be handled without a collection in
    the middle. Together they took ingest from ~84 to ~51 µs per event
    (single-threaded stage timing, /tmp profile in the #4 note)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


def create_app(settings: Settings | None = None, *, own_process: bool = False) -> FastAPI:
    """A receiver app; the store is opened when the app starts and closed when it stops.

    ``own_process=True`` (``observatory serve``) lets the app tune the process-wide
    garbage collector once it has started; embedded apps leave it alone."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rx = open_receiver(settings)
        if own_process:
            tune_gc()
        rx.writer.start()
        app.state.receiver = rx
        try:
            yield
        finally:
            rx.writer.stop()
            try:
                db.optimize(rx.db.write)
            finally:
                rx.db.dispose()

    app = FastAPI(
        title="Observatory receiver",
        version="0.1.0",
        description="Ingest for Observatory events: runs, costs, threads, feedback.",
        lifespan=lifespan,
        docs_url=None,  # served offline by routes/ui.py
        redoc_url=None,
    )
    # export before runs: ``/api/run/{run_id:path}`` would match ``/api/run/export``
    modules = (
        health,
        report,
        export,
        runs,
        costs_routes,
        threads,
        trace_routes,
        stats_routes,
        otlp,
        compare_routes,
        changes_routes,
    )
    for module in modules:
        app.include_router(module.router)
    ui.install(app)
    endpoints = [route for module in (*modules, ui) for route in module.router.routes]
    errors.install(app, endpoints)
    openapi.install(app)
    app.add_middleware(NulInUrls)  # a NUL in a URL reads what ingest stored for it
    return app


def create_worker_app() -> FastAPI:
    """The app of one ``observatory serve --workers N`` process (settings from the
    environment the parent exported)."""
    return create_app(Settings.from_env(), own_process=True)
