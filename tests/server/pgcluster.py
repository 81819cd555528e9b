"""A throwaway PostgreSQL cluster for the tests: ``initdb`` into a temporary folder,
``pg_ctl`` on a free loopback port, run as the ``postgres`` user (PostgreSQL refuses
to run as root), stopped and removed at the end.

``OBSERVATORY_TEST_PG_URL`` (``postgresql://user@host:port/dbname``), when set,
points the tests at an existing server instead; they create and drop databases
of their own on it.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from observatory.server.runner import free_port

PG_BIN = Path(os.environ.get("OBSERVATORY_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
_names = itertools.count()


def available() -> str | None:
    """None when a cluster can be had, else why not."""
    if os.environ.get("OBSERVATORY_TEST_PG_URL"):
        return None
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install '.[postgres]')"
    return None


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


@dataclass
class Cluster:
    """A PostgreSQL server the tests may create databases on."""

    admin_url: str
    """URL of a database to connect to for CREATE/DROP DATABASE."""
    folder: Path | None = None
    """The data folder of a cluster we started (None: an existing server)."""

    @classmethod
    def start(cls) -> Cluster:
        """Start a fresh cluster, or use ``OBSERVATORY_TEST_PG_URL``."""
        given = os.environ.get("OBSERVATORY_TEST_PG_URL")
        if given:
            return cls(given)
        folder = Path(tempfile.mkdtemp(prefix="obs-pg-"))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(folder, pw.pw_uid, pw.pw_gid)
        data = folder / "data"
        port = free_port()
        run = dict(check=True, capture_output=True, timeout=120)
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "--auth=trust",
                "-U",
                "postgres",
                "--no-sync",
            ),
            **run,  # type: ignore[call-overload]
        )
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200 -c max_locks_per_transaction=256"
        )
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "start",
            ),
            **run,  # type: ignore[call-overload]
        )
        return cls(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"obs_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self._dsn(self.admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database` (closing its sessions)."""
        import psycopg

        name = make_url(url).database
        with psycopg.connect(self._dsn(self.admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop and remove a cluster we started."""
        if self.folder is None:
            return
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _dsn(url: str) -> str:
        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
