"""Names of ``observatory`` imported on first use: the read client pulls in httpx and pydantic."""

from __future__ import annotations

import importlib
import sys
from typing import Any

LAZY = {
    "Client": "observatory._read_client",
    "AsyncClient": "observatory._read_client",
    "ObservatoryError": "observatory._read_errors",
    "AuthError": "observatory._read_errors",
    "NotFound": "observatory._read_errors",
    "InvalidRequest": "observatory._read_errors",
}
"""Public name -> the module that defines it."""


def module_getattr(name: str) -> Any:
    """``observatory.__getattr__``: import a lazy name once, then keep it on the package."""
    module = LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'observatory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    setattr(sys.modules["observatory"], name, value)
    return value
