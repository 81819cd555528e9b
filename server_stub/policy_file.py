"""A compare policy from ``[tool.observatory.policy]`` in the project's ``pyproject.toml``.

    [tool.observatory.policy]
    max_cost_increase_pct = 10
    max_p95_latency_increase_pct = 20
    max_error_rate_increase_pp = 1
    min_runs = 100

The project's file is the nearest ``pyproject.toml`` from the current directory
upwards (as pytest and ruff find theirs); without the table there is no policy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .compare import parse_policy


class PolicyFileError(ValueError):
    """The project's pyproject.toml cannot be read, or its policy is invalid."""


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_policy(start: Path | None = None) -> tuple[dict[str, float], Path | None]:
    """``(thresholds, the file they came from)``; ``({}, None)`` without a policy table."""
    path = find_pyproject((start or Path.cwd()).resolve())
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyFileError(f"cannot read {path}: {exc}") from exc
    table: Any = data
    for key in ("tool", "observatory", "policy"):
        if not isinstance(table, dict):
            raise PolicyFileError(f"[tool.observatory.policy] in {path} must be a table")
        table = table.get(key)
        if table is None:
            return {}, None
    if not isinstance(table, dict):
        raise PolicyFileError(f"[tool.observatory.policy] in {path} must be a table")
    try:
        return parse_policy(table, str(path)), path
    except ValueError as exc:
        raise PolicyFileError(str(exc)) from exc
