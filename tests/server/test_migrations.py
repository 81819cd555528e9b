"""Schema revisions: creating a store at head, upgrading a 0.1.0 store with every
row kept, refusing an older store where no upgrade is allowed, and models and
migrations that agree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from observatory.server import db, migrate, models

from .conftest import Subprocess, cli

FIXTURES = Path(__file__).with_name("fixtures")
STORE_010 = FIXTURES / "store-0.1.0.sqlite"
TABLES = [t.name for t in models.metadata.sorted_tables]


@pytest.fixture
def store_010(tmp_path: Path) -> str:
    """A copy of the store written by release 0.1.0 (tests/server/fixtures)."""
    path = tmp_path / "old.db"
    shutil.copy(STORE_010, path)
    return f"sqlite:///{path}"


def _rows(db_url: str) -> dict[str, list[tuple[object, ...]]]:
    database = db.connect(db_url)
    try:
        with database.read.connect() as conn:
            found = inspect(conn)
            present = set(found.get_table_names())
            rows = {}
            for name in TABLES:
                if name not in present:
                    continue
                # the columns the store has (an older one lacks later revisions' columns)
                have = {c["name"] for c in found.get_columns(name)}
                table = models.metadata.tables[name]
                query = select(*(c for c in table.columns if c.name in have))
                rows[name] = sorted(map(tuple, conn.execute(query)), key=repr)
            return rows
    finally:
        database.dispose()


def test_db_upgrade_creates_an_empty_store_at_head(store_url: str) -> None:
    assert "none" in cli("db", "current", "--db", store_url).stdout
    done = cli("db", "upgrade", "--db", store_url).stdout
    assert f"→ {migrate.head()} (head)" in done
    assert cli("db", "current", "--db", store_url).stdout.strip() == f"{migrate.head()} (head)"
    assert "already" in cli("db", "upgrade", "--db", store_url).stdout


def test_models_and_migrations_agree(store_url: str) -> None:
    cli("db", "upgrade", "--db", store_url)
    database = db.connect(store_url)
    try:
        with database.read.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), models.metadata
            )
    finally:
        database.dispose()
    assert diff == [], "models.py and the migrations differ: add a revision\n" + repr(diff)


def test_commands_on_an_empty_store_create_it_at_head(store_url: str) -> None:
    cli("keys", "list", "--db", store_url)
    assert cli("db", "current", "--db", store_url).stdout.strip().endswith("(head)")


def test_the_0_1_0_store_reads_as_unversioned(store_010: str) -> None:
    out = cli("db", "current", "--db", store_010).stdout
    assert migrate.UNVERSIONED in out and "observatory db upgrade" in out


@pytest.mark.parametrize(
    "argv",
    [
        ("keys", "list"),
        ("costs", "list"),
        ("retention", "--days", "1"),
        ("serve", "--no-upgrade", "--port", "1"),
    ],
)
def test_an_older_store_is_refused_with_one_line(store_010: str, argv: tuple[str, ...]) -> None:
    before = _rows(store_010)
    started = time.monotonic()
    done = cli(*argv, "--db", store_010, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "observatory db upgrade" in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert time.monotonic() - started < 30
    assert _rows(store_010) == before  # nothing written


def test_serve_upgrades_the_0_1_0_store_keeping_every_row(store_010: str) -> None:
    before = _rows(store_010)
    acme = (FIXTURES / "store-0.1.0.keys").read_text().split()[0]
    proc = Subprocess(store_010, "--log-level", "info")
    try:
        auth = {"Authorization": f"Bearer {acme}"}
        runs = httpx.get(proc.url + "/api/run/", params={"limit": 100}, headers=auth).json()
        metrics = httpx.get(proc.url + "/metrics").text
        revoked = httpx.get(proc.url + "/api/run/", headers={"Authorization": "Bearer x"})
        gpt = httpx.get(proc.url + "/api/costs/gpt-4o", headers=auth).json()
        thread = httpx.get(proc.url + "/api/threads/acme-t1", headers=auth).json()
    finally:
        proc.proc.terminate()
        out = proc.proc.communicate(timeout=30)[0].decode()
    upgrade_lines = [line for line in out.splitlines() if "upgrade" in line]
    assert len(upgrade_lines) == 1, out
    assert f"{migrate.UNVERSIONED} → {migrate.head()}" in upgrade_lines[0]
    assert upgrade_lines[0].startswith("INFO")

    after = _rows(store_010)
    for table, rows in before.items():
        if table == "meta":  # newer code adds its own keys (rollup version)
            assert set(rows) <= set(after[table])
        else:  # columns that later revisions added come last, empty
            width = len(rows[0]) if rows else 0
            assert [row[:width] for row in after[table]] == rows, table
    assert cli("db", "current", "--db", store_010).stdout.strip() == f"{migrate.head()} (head)"
    # what the rows mean is kept too
    assert {r["run_id"] for r in runs["runs"]} >= {"acme-root", "acme-llm1", "acme-tool"}
    root = next(r for r in runs["runs"] if r["run_id"] == "acme-root")
    assert root["saved"] is True and root["subtree_cost"] > 0
    assert revoked.status_code == 401
    assert gpt["input"] == 1.0 and gpt["source"] == "user"
    assert len(thread["messages"]) == 2
    assert 'observatory_events_total{outcome="accepted"} 32' in metrics
    assert 'observatory_events_total{outcome="duplicate"} 2' in metrics


def test_the_revoked_key_stays_revoked_after_db_upgrade(store_010: str) -> None:
    cli("db", "upgrade", "--db", store_010)
    listed = cli("keys", "list", "--db", store_010).stdout
    assert listed.count("revoked") == 1 and listed.count("active") == 2


def test_concurrent_upgrades_of_one_empty_store_all_succeed(store_url: str) -> None:
    def upgrade(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "observatory.server.cli", "db", "upgrade", "--db", store_url],
            capture_output=True,
            text=True,
            timeout=60,
        )

    with ThreadPoolExecutor(3) as pool:
        done = list(pool.map(upgrade, range(3)))
    assert [d.returncode for d in done] == [0, 0, 0], [d.stderr for d in done]
    assert sum("empty →" in d.stdout for d in done) == 1
    database = db.connect(store_url)
    try:
        with database.read.connect() as conn:
            projects = conn.execute(select(func.count()).select_from(models.projects)).scalar()
    finally:
        database.dispose()
    assert projects == 1
