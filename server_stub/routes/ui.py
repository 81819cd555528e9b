"""The web UI: one HTML shell for every page path, its static files, and offline /docs.

The shell and the assets hold no data, so they are served without a key; the
pages fetch everything through the API, which authenticates every request."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from .. import errors
from ..schemas import Me
from ..ui import SHELL, STATIC_DIR
from .deps import Caller

STATIC_URL = "/ui/static"
PAGES = ("/runs", "/runs/{run_id:path}", "/threads", "/threads/{thread_id:path}", "/dashboard",
         "/compare")

router = APIRouter()


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    """The runs list is the start page."""
    return RedirectResponse("/runs", status_code=307)


def _shell() -> FileResponse:
    # no-cache: a new release's shell must point at its own modules
    return FileResponse(SHELL, media_type="text/html", headers={"Cache-Control": "no-cache"})


for _path in PAGES:
    router.add_api_route(_path, _shell, methods=["GET"], include_in_schema=False)


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """Swagger UI from the vendored files (works offline)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Observatory receiver - API",
        swagger_js_url=f"{STATIC_URL}/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC_URL}/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{STATIC_URL}/favicon.svg",
    )


@router.get("/api/me", response_model=Me, responses=errors.responses(*errors.AUTHENTICATED))
def me(who: Caller) -> Me:
    """The project the caller's key (or loopback without keys) sees."""
    return Me(project=who.project_name)


def install(app: FastAPI) -> None:
    """Add the UI's pages, static files and /docs to ``app`` (created with docs_url=None)."""
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="ui-static")
