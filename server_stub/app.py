"""``create_app(settings)``: the receiver as a FastAPI application (no global app)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import costs, db
from .costs import CostTable
from .ingest import Writer
from .metrics import Metrics
from .routes import costs as costs_routes
from .routes import health, report, runs, threads
from .routes.deps import Receiver
from .settings import Settings

log = logging.getLogger("observatory.server")


def open_receiver(settings: Settings) -> Receiver:
    """Open the store (schema, cost seed, price table) and build the writer (not started)."""
    database = db.open_database(settings.db_url, settings.sqlite_synchronous)
    table = CostTable()
    with database.write.begin() as conn:
        added = costs.ensure_seeded(conn)
        table.load(conn)
    if added:
        log.info("seeded %d cost rows from genai-prices", added)
    metrics = Metrics()
    writer = Writer(database.write, table, metrics, settings.max_group_batches)
    return Receiver(settings, database, table, writer, metrics)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A receiver app; the store is opened when the app starts and closed when it stops."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rx = open_receiver(settings)
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
    )
    for module in (health, report, runs, costs_routes, threads):
        app.include_router(module.router)
    return app
