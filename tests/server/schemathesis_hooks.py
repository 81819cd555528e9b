"""Schemathesis hooks for the receiver's contract run (CI's `.ci/run` and
tests/server/test_openapi_contract.py): the two rules of a run listing that a
JSON Schema cannot state.

- ``cursor`` is opaque: only a ``next_cursor`` the server issued is valid (a
  forged one is a 422, tested in test_queries.py), so generated ones are dropped.
- A range whose low end is above its high end is a 422 ("nothing can match"), so
  of such a pair only the low end is kept.

``before_call`` runs in every phase, and schemathesis re-judges a case it edits.
"""

from __future__ import annotations

from typing import Any

import schemathesis

RANGES = (("min_latency_s", "max_latency_s"), ("min_cost", "max_cost"), ("from", "to"))


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    query = case.query
    if not isinstance(query, dict):
        return
    query.pop("cursor", None)
    for low, high in RANGES:
        if low in query and high in query:
            query.pop(high)
