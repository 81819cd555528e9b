"""The web UI's files (an HTML shell, ES modules, vendored libraries): package data
served by :mod:`observatory.server.routes.ui`; no build step."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
SHELL = STATIC_DIR / "index.html"
