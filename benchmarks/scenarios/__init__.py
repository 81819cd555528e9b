"""The scenarios, in the order they run (each module: NAME, TITLE, COLUMNS, run)."""

from __future__ import annotations

import importlib

ORDER = ["hotpath", "delivery", "down", "footprint", "receiver", "mappers"]


def load(name: str):
    """The scenario module called ``name``."""
    return importlib.import_module(f"benchmarks.scenarios.{name}")
