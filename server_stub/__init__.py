"""Observatory's reference receiver: ``create_app(settings)`` and the ``observatory`` CLI.

Never imported by the SDK (``import observatory`` stays light).
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
