"""Helpers for tests that need a real receiver: see :func:`run_server`."""

from __future__ import annotations

from .runner import free_port, run_server

__all__ = ["free_port", "run_server"]
