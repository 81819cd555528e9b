"""The OpenAPI description is true: schemathesis (Python API) against the real receiver.

Every operation gets a bounded number of generated requests, valid and invalid;
every answer must match the description (status, content type, body schema) and
none may be a 5xx. CI also runs the schemathesis CLI over ``observatory serve``
(.ci/run); this is the same contract inside the test suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from observatory.server.runner import run_server  # noqa: E402

from . import schemathesis_hooks  # noqa: E402,F401  (registers the before_call hook)

EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def receiver_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("contract") / "obs.db"
    url, stop = run_server(f"sqlite:///{path}")
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="module")
def api_schema(receiver_url: str) -> Any:
    return schemathesis.openapi.from_url(receiver_url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


# OTLP's body is protobuf defined by the OpenTelemetry specification, not by a JSON
# Schema: /v1/traces is checked with real exporters in test_otlp.py instead.
@schema.exclude(path="/v1/traces").parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_answer_matches_the_description(case: Any) -> None:
    case.call_and_validate()


def test_the_description_declares_what_the_issue_found_missing(receiver_url: str) -> None:
    import httpx

    spec = httpx.get(receiver_url + "/openapi.json").json()
    report = spec["paths"]["/api/report"]["post"]
    body = report["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/Batch") and "gzip" in report["requestBody"]["description"]
    assert {"400", "401", "403", "413", "415", "503"} <= set(report["responses"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert report["security"] == [{"bearer": []}, {}]
    assert "404" in spec["paths"]["/api/run/{run_id}"]["get"]["responses"]
    assert "HTTPValidationError" not in str(spec)

