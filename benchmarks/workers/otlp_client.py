"""One OTLP exporter: POST gzip ``ExportTraceServiceRequest`` protobufs to ``/v1/traces``.

Each trace is four GenAI-shaped spans, as an instrumented agent exports them: an
``invoke_agent`` span, a ``chat`` span with model and tokens under it, an
``execute_tool`` span, and an HTTP client span. Bounded by request count and by time.
"""

from __future__ import annotations

import gzip
import os
import time

from benchmarks.workers._common import args, emit


def _attrs(span, **values) -> None:
    for key, value in values.items():
        kv = span.attributes.add(key=key.replace("__", "."))
        if isinstance(value, str):
            kv.value.string_value = value
        else:
            kv.value.int_value = value


def _request(size: int) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    kv = resource.resource.attributes.add(key="service.name")
    kv.value.string_value = "bench"
    spans = resource.scope_spans.add()
    spans.scope.name = "bench"
    now = time.time_ns()
    for _ in range(size // 4):
        trace = os.urandom(16)
        ids = [os.urandom(8) for _i in range(4)]
        for i, (name, parent) in enumerate(
            (("invoke_agent bench-agent", b""), ("chat gpt-4o-mini", ids[0]),
             ("execute_tool search", ids[0]), ("GET /search", ids[2]))
        ):
            span = spans.spans.add(trace_id=trace, span_id=ids[i], parent_span_id=parent, name=name,
                                   kind=3 if i == 3 else 1,
                                   start_time_unix_nano=now + i * 1000,
                                   end_time_unix_nano=now + 5_000_000 - i * 1000)
            if i == 0:
                _attrs(span, gen_ai__operation__name="invoke_agent", gen_ai__agent__name="bench-agent")
            elif i == 1:
                _attrs(span, gen_ai__operation__name="chat", gen_ai__provider__name="openai",
                       gen_ai__request__model="gpt-4o-mini", gen_ai__usage__input_tokens=120,
                       gen_ai__usage__output_tokens=30)
            elif i == 2:
                _attrs(span, gen_ai__operation__name="execute_tool", gen_ai__tool__name="search")
            else:
                _attrs(span, http__request__method="GET", url__full="http://search.local/q")
    return gzip.compress(request.SerializeToString(), 1)


def run(a: dict) -> dict:
    import httpx
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    bodies = [_request(a["batch_size"]) for _ in range(a["batches"])]
    latencies, accepted, errors = [], 0, 0
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
    deadline = time.monotonic() + a["max_s"]
    with httpx.Client(base_url=a["url"], timeout=60) as client:
        t0 = time.monotonic()
        for body in bodies:
            s = time.perf_counter()
            resp = client.post("/v1/traces", content=body, headers=headers)
            latencies.append(time.perf_counter() - s)
            if resp.status_code == 200:
                answer = ExportTraceServiceResponse.FromString(resp.content)
                accepted += a["batch_size"] - answer.partial_success.rejected_spans
            else:
                errors += 1
            if time.monotonic() > deadline:
                break
        t1 = time.monotonic()
    return {"start": t0, "end": t1, "latencies": latencies, "accepted": accepted, "errors": errors}


if __name__ == "__main__":
    emit(run(args()))
