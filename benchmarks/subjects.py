"""The SDKs under test, each behind one small interface, for worker processes.

``load()`` imports (raises ``Skip`` when the package is missing), ``start(url)``
points the SDK at a loopback receiver and nowhere else, ``wrap(fn, name)``
instruments a sync or async function the way a user would, ``event()`` emits
one standalone event (None when the SDK has none), ``flush()`` and ``shutdown()``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from collections import deque


class Skip(Exception):
    """This subject cannot run here; the message says why."""


class Floor:
    """Two small dicts appended to a deque around the call: the cheapest enqueue."""

    name = "floor"
    delivers = False

    def load(self) -> None:
        self.queue: deque = deque(maxlen=1_000_000)

    def start(self, url: str) -> None:
        pass

    def wrap(self, fn, name: str, inner: bool = False):
        append = self.queue.append
        if inspect.iscoroutinefunction(fn):

            async def floor_async(*args, **kwargs):
                append({"name": name, "phase": "start"})
                result = await fn(*args, **kwargs)
                append({"name": name, "phase": "end"})
                return result

            return floor_async

        def floor_sync(*args, **kwargs):
            append({"name": name, "phase": "start"})
            result = fn(*args, **kwargs)
            append({"name": name, "phase": "end"})
            return result

        return floor_sync

    def event(self):
        append = self.queue.append
        return lambda: append({"name": "bench_event", "i": 1})

    def flush(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


class Observatory:
    """``@observatory.agent`` (outer) / ``@observatory.tool`` (inner), ``track_event``."""

    name = "observatory"
    delivers = True

    def load(self) -> None:
        try:
            import observatory
        except ImportError as exc:
            raise Skip("not installed") from exc
        missing = [
            a
            for a in ("init", "agent", "tool", "track_event", "flush", "shutdown")
            if not hasattr(observatory, a)
        ]
        if missing:
            raise Skip("observatory API not there yet: " + ", ".join(missing))
        self.sdk = observatory

    sizable = True

    def start(self, url: str, queue_size: int | None = None, **options) -> None:
        if queue_size is not None:
            options["max_queue_size"] = queue_size
        self.sdk.init(api_url=url, api_key="bench-key", app_id="bench", **options)
        self.shutdown_timeout = options.get("shutdown_timeout", self.sdk.Config().shutdown_timeout)

    def wrap(self, fn, name: str, inner: bool = False):
        return (self.sdk.tool if inner else self.sdk.agent)(name=name)(fn)

    def event(self):
        track = self.sdk.track_event
        return lambda: track("bench_event", i=1)

    def flush(self) -> None:
        self.sdk.flush(timeout=60)

    def shutdown(self) -> None:
        self.sdk.shutdown()

    def stats(self) -> dict:
        return self.sdk.stats() if hasattr(self.sdk, "stats") else {}


class Langfuse:
    """Langfuse ``@observe`` (OTel spans exported as OTLP/HTTP protobuf)."""

    name = "langfuse"
    delivers = True

    def load(self) -> None:
        try:
            import langfuse
        except ImportError as exc:
            raise Skip("not installed") from exc
        self.sdk = langfuse

    def start(self, url: str) -> None:
        os.environ.update(
            {
                "LANGFUSE_PUBLIC_KEY": "pk-lf-bench",
                "LANGFUSE_SECRET_KEY": "sk-lf-bench",
                "LANGFUSE_BASE_URL": url,
                "LANGFUSE_HOST": url,
                "LANGFUSE_TRACING_ENABLED": "true",
                "LANGFUSE_MEDIA_UPLOAD_ENABLED": "false",
            }
        )
        self.client = self.sdk.get_client()

    def wrap(self, fn, name: str, inner: bool = False):
        return self.sdk.observe(name=name)(fn)

    def event(self):
        create = self.client.create_event
        return lambda: create(name="bench_event", metadata={"i": 1})

    def flush(self) -> None:
        self.client.flush()

    def shutdown(self) -> None:
        self.client.shutdown()


class LangSmith:
    """LangSmith ``@traceable`` with its own client (no event API)."""

    name = "langsmith"
    delivers = True

    def load(self) -> None:
        os.environ.update(
            {
                "LANGSMITH_TRACING": "true",
                "LANGSMITH_PROJECT": "bench",
                "LANGCHAIN_TRACING_V2": "true",
            }
        )
        try:
            import langsmith
        except ImportError as exc:
            raise Skip("not installed") from exc
        self.sdk = langsmith

    def start(self, url: str) -> None:
        os.environ.update(
            {
                "LANGSMITH_ENDPOINT": url,
                "LANGSMITH_API_KEY": "ls-bench",
                "LANGCHAIN_ENDPOINT": url,
            }
        )
        self.client = self.sdk.Client(api_url=url, api_key="ls-bench")

    def wrap(self, fn, name: str, inner: bool = False):
        return self.sdk.traceable(name=name, client=self.client)(fn)

    def event(self):
        return None

    def flush(self) -> None:
        self.client.flush()

    def shutdown(self) -> None:
        self.client.flush()
        self.client.cleanup()


class OpenTelemetry:
    """An OTel span per call: ``BatchSpanProcessor`` + OTLP/HTTP exporter, defaults."""

    name = "otel"
    delivers = True

    def load(self) -> None:
        try:
            from opentelemetry import trace
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise Skip("not installed") from exc
        self.parts = (trace, OTLPSpanExporter, TracerProvider, BatchSpanProcessor)

    sizable = True

    def start(self, url: str, queue_size: int | None = None) -> None:
        trace, exporter_cls, provider_cls, processor_cls = self.parts
        self.provider = provider_cls()
        sized = {"max_queue_size": queue_size} if queue_size is not None else {}
        self.provider.add_span_processor(
            processor_cls(exporter_cls(endpoint=url + "/v1/traces"), **sized)
        )
        trace.set_tracer_provider(self.provider)
        self.tracer = self.provider.get_tracer("bench")

    def wrap(self, fn, name: str, inner: bool = False):
        span = self.tracer.start_as_current_span
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def otel_async(*args, **kwargs):
                with span(name):
                    return await fn(*args, **kwargs)

            return otel_async

        @functools.wraps(fn)
        def otel_sync(*args, **kwargs):
            with span(name):
                return fn(*args, **kwargs)

        return otel_sync

    def event(self):
        start = self.tracer.start_span
        return lambda: start("bench_event").end()

    def flush(self) -> None:
        self.provider.force_flush()

    def shutdown(self) -> None:
        self.provider.shutdown()


class ObservatoryOtel(Observatory):
    """``observatory.init(otel=True)``: each run is also a span of an OTel SDK provider
    (``BatchSpanProcessor`` + OTLP/HTTP exporter to the same receiver, defaults)."""

    name = "observatory_otel"
    opt_in = True
    """Only when named in ``--subjects`` (it measures an option, not another SDK)."""

    def load(self) -> None:
        super().load()
        self.otel = OpenTelemetry()
        self.otel.load()
        if "otel" not in {f.name for f in dataclasses.fields(self.sdk.Config)}:
            raise Skip("observatory has no otel option yet")

    def start(self, url: str, queue_size: int | None = None, **options) -> None:
        self.otel.start(url, queue_size)
        super().start(url, queue_size, otel=True, **options)

    def flush(self) -> None:
        super().flush()
        self.otel.flush()

    def shutdown(self) -> None:
        super().shutdown()
        self.otel.shutdown()


class PostHog:
    """PostHog ``capture`` after each call (it has no decorator), default client."""

    name = "posthog"
    delivers = True

    def load(self) -> None:
        try:
            import posthog
        except ImportError as exc:
            raise Skip("not installed") from exc
        self.sdk = posthog

    sizable = True

    def start(self, url: str, queue_size: int | None = None) -> None:
        sized = {"max_queue_size": queue_size} if queue_size is not None else {}
        self.client = self.sdk.Posthog(
            "phc_bench", host=url, disable_geoip=True, enable_exception_autocapture=False, **sized
        )

    def wrap(self, fn, name: str, inner: bool = False):
        capture = self.client.capture
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def ph_async(*args, **kwargs):
                result = await fn(*args, **kwargs)
                capture(name, distinct_id="bench-user", properties={"fn": name})
                return result

            return ph_async

        @functools.wraps(fn)
        def ph_sync(*args, **kwargs):
            result = fn(*args, **kwargs)
            capture(name, distinct_id="bench-user", properties={"fn": name})
            return result

        return ph_sync

    def event(self):
        capture = self.client.capture
        return lambda: capture("bench_event", distinct_id="bench-user", properties={"i": 1})

    def flush(self) -> None:
        self.client.flush()

    def shutdown(self) -> None:
        self.client.shutdown()


SUBJECTS = {
    cls.name: cls
    for cls in (Floor, Observatory, ObservatoryOtel, Langfuse, LangSmith, OpenTelemetry, PostHog)
}
"""Every subject, in table order."""

PEERS = ("langfuse", "langsmith", "otel", "posthog")


def make(name: str):
    """A loaded subject (raises ``Skip``)."""
    subject = SUBJECTS[name]()
    subject.load()
    return subject
