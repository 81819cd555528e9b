"""The parts of the OpenAPI description FastAPI cannot infer from the handlers.

- ``POST /api/report`` reads its body itself (gzip, per-event rejections), so
  FastAPI sees no body: the :class:`~observatory.protocol.Batch` schema is added here.
- FastAPI declares its validation errors as a list (``HTTPValidationError``);
  :mod:`.errors` answers them as ``ErrorBody`` like every other error.
- Authentication is a Bearer key, optional while the receiver has no key and the
  caller is on loopback: every operation that can answer 401 gets the ``bearer``
  scheme, with ``{}`` beside it for that keyless mode (so ``/docs`` can send a key).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from observatory.protocol import Batch

from .errors import DESCRIPTIONS

SCHEME = "bearer"
_REF = "#/components/schemas/{model}"

REPORT_BODY = (
    "A batch of events. `Content-Encoding: gzip` or `deflate` is accepted; the limit "
    "applies after decompression. Each item is checked on its own: an item that is "
    "not a valid `Event` is rejected by its index in the answer, the rest are stored."
)


def _report_body(schemas: dict[str, Any]) -> dict[str, Any]:
    batch = Batch.model_json_schema(ref_template=_REF)
    schemas.update(batch.pop("$defs", {}))
    events = batch["properties"]["events"]
    # true to the receiver: any item is taken, and a bad one is rejected on its own
    events["items"] = {"anyOf": [events["items"], {}], "description": "an `Event`"}
    schemas["Batch"] = batch
    return {
        "required": True,
        "description": REPORT_BODY,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Batch")}}},
    }


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the request body of ``/api/report`` and the Bearer scheme to ``schema``."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `observatory keys create --project NAME`. "
        "Optional only while the receiver has never had a key and the caller is on loopback.",
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if path == "/api/report" and method == "post":
                operation["requestBody"] = _report_body(schemas)
            answers = operation.get("responses", {})
            if "HTTPValidationError" in json.dumps(answers.get("422", {})):
                answers["422"] = {
                    "description": DESCRIPTIONS[422],
                    "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}
                    },
                }
            if "401" in answers:
                operation["security"] = [{SCHEME: []}, {}]
    if "HTTPValidationError" not in json.dumps(schema["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return schema


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed description (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
