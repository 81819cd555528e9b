"""Checks of the command line's values before anything is created or opened.

A wrong ``--db`` or a taken port is one line on stderr and exit code 2, and
leaves nothing behind: the store is neither created nor seeded for a receiver
that cannot listen (uvicorn runs the app's startup, which opens the store,
before it binds its socket).
"""

from __future__ import annotations

import errno
import os
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .db import engine_url, sqlite_path

EXAMPLE_URL = "sqlite:///observatory.db"


def check_db_url(url: str) -> None:
    """ValueError, in one line, unless ``url`` can name a store this machine can create."""
    if "://" not in url:
        raise ValueError(
            f"--db takes a database URL, not a path: for a SQLite file write sqlite:///{url}"
        )
    url = engine_url(url)  # postgresql:// and postgres:// mean psycopg 3
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except NoSuchModuleError as exc:  # before ArgumentError, its base class
        raise ValueError(
            f"--db: no database driver for {parsed.drivername!r} is installed "
            f"(sqlite:///FILE needs none)"
        ) from exc
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"--db {url!r} is not a database URL (e.g. {EXAMPLE_URL})") from exc
    if parsed.get_backend_name() != "sqlite":
        return
    path = sqlite_path(url)
    if path is None:
        raise ValueError(
            f"--db: an in-memory SQLite database cannot be shared; use a file URL such as "
            f"{EXAMPLE_URL}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"--db: the folder {folder} does not exist; create it or choose another")
    if os.path.isdir(path):
        raise ValueError(f"--db: {path} is a folder, not a database file")


def check_port(host: str, port: int) -> None:
    """ValueError, in one line, unless ``host:port`` can be listened on right now."""
    if not 0 <= port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ValueError(f"--host {host!r} is not an address of this machine ({exc})") from exc
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValueError(
                    f"port {port} on {host} is already in use; stop what listens there "
                    "or choose another with --port"
                ) from exc
            if exc.errno == errno.EACCES:
                raise ValueError(f"port {port} needs privileges; choose one above 1023") from exc
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
