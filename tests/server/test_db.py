"""db: the bulk insert the ingest writer uses."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from observatory.server import db, models


def test_insert_rows_stores_every_row_in_chunks_with_defaults(tmp_path: Path) -> None:
    database = db.open_database(f"sqlite:///{tmp_path / 'obs.db'}")
    rows = [
        {
            "project_id": 1,
            "run_id": f"r{i}",
            "type": "tool",
            "name": "tool",
            "status": "success",
            "sort_time": i,
            "cost_status": "not_llm",
        }
        for i in range(1000)  # several multi-row statements
    ]
    try:
        with database.write.begin() as conn:
            db.insert_rows(conn, models.runs, rows)
            db.insert_rows(conn, models.runs, [])
        r = models.runs
        with database.read.connect() as conn:
            assert conn.execute(select(func.count()).select_from(r)).scalar() == 1000
            stored = conn.execute(select(r).where(r.c.run_id == "r999")).one()._mapping
    finally:
        database.dispose()
    assert stored["sort_time"] == 999
    assert (stored["cost"], stored["subtree_cost"], stored["saved"]) == (0.0, 0.0, False)
    assert stored["model"] is None
