"""Receiver settings: one dataclass, every value with its environment variable.

Safe by default: binds to loopback, and while no API key exists only loopback
callers are served (the FlightDeck rule).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:///./observatory.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024  # after decompression (issue #4)
SYNCHRONOUS_CHOICES = ("normal", "full")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass
class Settings:
    """Everything the receiver needs; build with :meth:`from_env` or directly."""

    db_url: str = DEFAULT_DB_URL
    """``OBSERVATORY_DB``: SQLAlchemy URL of the store."""
    host: str = DEFAULT_HOST
    """``OBSERVATORY_HOST``: interface ``observatory serve`` binds to."""
    port: int = DEFAULT_PORT
    """``OBSERVATORY_PORT``."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """``OBSERVATORY_MAX_BODY_BYTES``: request body limit, after decompression."""
    sqlite_synchronous: str = "normal"
    """``OBSERVATORY_SQLITE_SYNCHRONOUS``: ``normal`` (survives process crashes,
    may lose the last commits on power loss) or ``full`` (fsync every commit)."""
    thread_gap_minutes: float = 30.0
    """Chat messages without ``thread_id`` split into a new thread after this gap."""
    max_group_batches: int = 64
    """The writer commits up to this many queued batches in one transaction."""
    upgrade: bool = True
    """``OBSERVATORY_NO_UPGRADE=1`` (``serve --no-upgrade``) turns this off: an older
    store is then refused instead of upgraded at start."""
    workers: int = 1
    """``OBSERVATORY_WORKERS``: ``observatory serve`` processes sharing the port and
    the store. One Python process validates and folds on one core (the GIL); two
    roughly double ingest on a 2-core machine (docs/performance.md)."""

    def __post_init__(self) -> None:
        self.sqlite_synchronous = self.sqlite_synchronous.lower()
        if self.sqlite_synchronous not in SYNCHRONOUS_CHOICES:
            raise ValueError(
                f"sqlite_synchronous must be one of {SYNCHRONOUS_CHOICES}, "
                f"got {self.sqlite_synchronous!r}"
            )
        if self.max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``OBSERVATORY_*`` variables; ``overrides`` that are not None win."""
        values: dict[str, object] = {
            "db_url": os.environ.get("OBSERVATORY_DB") or DEFAULT_DB_URL,
            "host": os.environ.get("OBSERVATORY_HOST") or DEFAULT_HOST,
            "port": _env_int("OBSERVATORY_PORT", DEFAULT_PORT),
            "max_body_bytes": _env_int("OBSERVATORY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            "sqlite_synchronous": os.environ.get("OBSERVATORY_SQLITE_SYNCHRONOUS") or "normal",
            "workers": _env_int("OBSERVATORY_WORKERS", 1),
            "upgrade": os.environ.get("OBSERVATORY_NO_UPGRADE", "") in ("", "0"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The ``OBSERVATORY_*`` variables :meth:`from_env` reads back (for worker processes)."""
        return {
            "OBSERVATORY_DB": self.db_url,
            "OBSERVATORY_HOST": self.host,
            "OBSERVATORY_PORT": str(self.port),
            "OBSERVATORY_MAX_BODY_BYTES": str(self.max_body_bytes),
            "OBSERVATORY_SQLITE_SYNCHRONOUS": self.sqlite_synchronous,
            "OBSERVATORY_WORKERS": str(self.workers),
            "OBSERVATORY_NO_UPGRADE": "" if self.upgrade else "1",
        }
