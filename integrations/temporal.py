"""Temporal: workflow and activity executions as Observatory runs, replay-safe.

    from observatory.integrations.temporal import ObservatoryInterceptor

    client = await Client.connect("localhost:7233", interceptors=[ObservatoryInterceptor()])
    worker = Worker(client, task_queue="q", workflows=[...], activities=[...])  # inherits it

One object is both a client and a worker interceptor, like temporalio's own
``contrib.opentelemetry.TracingInterceptor``, which this follows:

* client: ``start_workflow`` (and update-with-start) puts the current
  Observatory run's id in the ``_observatory`` header, so a workflow started
  from inside an ``@observatory.agent`` function nests under it;
* workflow: each execution is an ``agent`` run whose id is Temporal's run id.
  Its start and end are emitted only when not replaying (never by
  ``Replayer``, never on cache-eviction or query replays), with
  ``workflow.now()`` timestamps, through an extern function: nothing inside the
  sandbox does I/O, blocks, or touches the SDK. Activities and child workflows
  it starts carry its run id in the header; continue-as-new passes its own
  parent on, so the next execution is a sibling;
* activity: each attempt is a ``tool`` run (``activity_run_type``) under the
  workflow's run, made current while the activity runs, so decorated code
  inside nests under it (thread-pool sync activities included).

A workflow ends as ``success`` (result, or continue-as-new), ``error`` (an
exception that fails the workflow, cancellation, timeout). An exception that
only fails the workflow *task* (Temporal retries it) is not an end: it is
reported as a ``temporal.workflow_task_failed`` event on the run.

Importing this module imports ``temporalio``; ``observatory.integrations``
itself does not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, NoReturn

import temporalio.activity
import temporalio.api.common.v1
import temporalio.client
import temporalio.converter
import temporalio.exceptions
import temporalio.worker
import temporalio.workflow

import observatory
from observatory.instrumentation import current_run_var

from ._runs import RunMap, event_on, resume_run

logger = logging.getLogger("observatory.integrations")

__all__ = ["ObservatoryInterceptor"]

HEADER_KEY = "_observatory"
"""Temporal header carrying ``{"run_id": parent run id, "agent": its agent name}``."""
_EXTERN = "__observatory_workflow_event"

_Headers = Mapping[str, temporalio.api.common.v1.Payload]


@dataclasses.dataclass(frozen=True)
class _WorkflowEvent:
    """What the workflow side hands out of the sandbox: plain values only."""

    kind: str  # "start" | "end" | "event"
    run_id: str
    name: str
    time: float
    parent: Mapping[str, Any] | None = None
    input: Any = None
    output: Any = None
    error: BaseException | None = None
    status: str | None = None
    metadata: Mapping[str, Any] | None = None


class ObservatoryInterceptor(temporalio.client.Interceptor, temporalio.worker.Interceptor):
    """Client and worker interceptor reporting workflows and activities to Observatory.

    Pass it to ``Client.connect(interceptors=[...])`` (workers built from that
    client inherit it) or to ``Worker(interceptors=[...])``.
    ``activity_run_type`` is the run type of activity attempts (``"tool"``).
    """

    def __init__(self, *, activity_run_type: str = "tool") -> None:
        self.activity_run_type = activity_run_type
        self.payload_converter = temporalio.converter.PayloadConverter.default
        self._workflows = RunMap()

    # -- temporalio hooks -------------------------------------------------------

    def intercept_client(self, next: temporalio.client.OutboundInterceptor) -> temporalio.client.OutboundInterceptor:
        """Client calls: put the current run in the headers of started workflows."""
        return _ClientOutbound(next, self)

    def intercept_activity(
        self, next: temporalio.worker.ActivityInboundInterceptor
    ) -> temporalio.worker.ActivityInboundInterceptor:
        """Activity executions: one run per attempt."""
        return _ActivityInbound(next, self)

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        """Workflow executions: register the extern function the sandbox reports through."""
        input.unsafe_extern_functions[_EXTERN] = self._on_workflow_event
        return _WorkflowInbound

    # -- outside the sandbox ---------------------------------------------------

    def _header(self, headers: _Headers, run_id: str | None, agent: str | None) -> _Headers:
        if not run_id or HEADER_KEY in headers:
            return headers
        payload = self.payload_converter.to_payloads([{"run_id": run_id, "agent": agent}])[0]
        return {**headers, HEADER_KEY: payload}

    def _on_workflow_event(self, event: _WorkflowEvent) -> None:
        # Called synchronously on the workflow thread, where the sandbox's
        # import hooks and restrictions are active: lift them for the SDK (whose
        # first event of a process may start its sender thread), queue, return.
        unsafe = temporalio.workflow.unsafe
        try:
            with unsafe.sandbox_unrestricted(), unsafe.imports_passed_through():
                self._record(event)
        except Exception:
            logger.debug("observatory: workflow event failed", exc_info=True)

    def _record(self, event: _WorkflowEvent) -> None:
        parent = event.parent or {}
        if event.kind == "start":
            if self._workflows.get(event.run_id) is None:  # a retried first task starts once
                self._workflows.start(
                    event.run_id, "agent", event.name, parent=parent.get("run_id"),
                    run_id=event.run_id, input=event.input, metadata=event.metadata,
                    start_time=event.time,
                )
        elif event.kind == "end":
            entry = self._workflows.pop(event.run_id)
            run = entry.run if entry is not None else resume_run(
                "agent", event.name, event.run_id, parent.get("run_id"))
            if event.metadata:
                run.set_metadata(**event.metadata)
            run.end(event.output, error=event.error, status=event.status, end_time=event.time)
        else:
            entry = self._workflows.get(event.run_id)
            event_on(entry.run if entry is not None else event.run_id, event.name, **(event.metadata or {}))


def _read_header(headers: _Headers, converter: temporalio.converter.PayloadConverter) -> dict[str, Any] | None:
    payload = headers.get(HEADER_KEY)
    if payload is None:
        return None
    try:
        value = converter.from_payloads([payload])[0]
    except Exception:
        return None
    return value if isinstance(value, dict) else None


def _error_fields(error: BaseException) -> dict[str, Any]:
    return {"error": {"type": type(error).__name__, "message": str(error)}}


# -- client ------------------------------------------------------------------------


class _ClientOutbound(temporalio.client.OutboundInterceptor):
    def __init__(self, next: temporalio.client.OutboundInterceptor, root: ObservatoryInterceptor) -> None:
        super().__init__(next)
        self.root = root

    def _headers(self, headers: _Headers) -> _Headers:
        try:
            run = current_run_var.get()
            if run:
                return self.root._header(headers, run.run_id, run.agent)
        except Exception:
            logger.debug("observatory: could not add the run header", exc_info=True)
        return headers

    async def start_workflow(self, input: temporalio.client.StartWorkflowInput) -> temporalio.client.WorkflowHandle[Any, Any]:
        input.headers = self._headers(input.headers)
        return await super().start_workflow(input)

    async def start_update_with_start_workflow(
        self, input: temporalio.client.StartWorkflowUpdateWithStartInput
    ) -> temporalio.client.WorkflowUpdateHandle[Any]:
        start = input.start_workflow_input
        start.headers = self._headers(start.headers)
        return await super().start_update_with_start_workflow(input)


# -- activities ----------------------------------------------------------------------


class _ActivityInbound(temporalio.worker.ActivityInboundInterceptor):
    def __init__(self, next: temporalio.worker.ActivityInboundInterceptor, root: ObservatoryInterceptor) -> None:
        super().__init__(next)
        self.root = root

    def _start(self, input: temporalio.worker.ExecuteActivityInput) -> Any:
        info = temporalio.activity.info()
        parent = _read_header(input.headers, self.root.payload_converter) or {}
        metadata = {
            "temporal_activity_id": info.activity_id,
            "temporal_attempt": info.attempt,
            "temporal_task_queue": info.task_queue,
        }
        if info.workflow_id:
            metadata["temporal_workflow_id"] = info.workflow_id
            metadata["temporal_workflow_run_id"] = info.workflow_run_id
        if info.is_local:
            metadata["temporal_local_activity"] = True
        run = observatory.start_run(
            self.root.activity_run_type, info.activity_type,
            parent=parent.get("run_id") or current_run_var.get(),
            input=list(input.args), metadata=metadata,
        )
        if run and parent.get("agent") and run.agent is None:
            run.agent = parent["agent"]
        return run

    async def execute_activity(self, input: temporalio.worker.ExecuteActivityInput) -> Any:
        try:
            run = self._start(input)
        except Exception:
            logger.debug("observatory: could not start the activity run", exc_info=True)
            return await super().execute_activity(input)
        token = current_run_var.set(run) if run else None
        try:
            result = await super().execute_activity(input)
        except BaseException as exc:
            _end_activity(run, exc)
            raise
        finally:
            if token is not None:
                current_run_var.reset(token)
        run.end(result)
        return result


def _end_activity(run: Any, exc: BaseException) -> None:
    try:
        if isinstance(exc, temporalio.exceptions.ApplicationError) and (
            exc.category == temporalio.exceptions.ApplicationErrorCategory.BENIGN
        ):
            run.set_metadata(benign_error=True)
            run.end(error=exc, status="success")
        else:
            run.end(error=exc)
    except Exception:
        logger.debug("observatory: could not end the activity run", exc_info=True)


# -- workflows (inside the sandbox: deterministic, no I/O) ------------------------------


class _WorkflowInbound(temporalio.worker.WorkflowInboundInterceptor):
    def __init__(self, next: temporalio.worker.WorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self._emit = temporalio.workflow.extern_functions().get(_EXTERN)
        self._converter = temporalio.converter.PayloadConverter.default
        self.run_id: str | None = None
        self.name = ""
        self.parent: dict[str, Any] | None = None

    def init(self, outbound: temporalio.worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound, self))

    def send(self, kind: str, name: str | None = None, **fields: Any) -> None:
        """Hand one event out of the sandbox, unless replaying (no I/O, no wall clock)."""
        if self._emit is None or temporalio.workflow.unsafe.is_replaying():
            return
        if self.run_id is None:  # a signal can be handled before execute_workflow starts
            self._identify()
        self._emit(_WorkflowEvent(kind, self.run_id, name or self.name,
                                  temporalio.workflow.now().timestamp(), self.parent, **fields))

    def _identify(self) -> temporalio.workflow.Info:
        info = temporalio.workflow.info()
        self.run_id, self.name = info.run_id, info.workflow_type
        self.parent = _read_header(info.headers, self._converter)
        return info

    async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
        info = self._identify()
        metadata: dict[str, Any] = {
            "temporal_workflow_id": info.workflow_id, "temporal_task_queue": info.task_queue,
        }
        if info.attempt > 1:
            metadata["temporal_attempt"] = info.attempt
        if self.parent and self.parent.get("continued_from"):
            metadata["temporal_continued_from"] = self.parent["continued_from"]
        self.send("start", input=list(input.args), metadata=metadata)
        try:
            result = await super().execute_workflow(input)
        except temporalio.workflow.ContinueAsNewError:
            self.send("end", status="success", metadata={"temporal_continued_as_new": True})
            raise
        except (Exception, asyncio.CancelledError) as err:
            # During eviction is_replaying() is already True: nothing is sent.
            if _fails_workflow(err):
                self.send("end", error=err)
            else:
                self.send("event", name="temporal.workflow_task_failed", metadata=_error_fields(err))
            raise
        self.send("end", output=result)
        return result

    async def handle_signal(self, input: temporalio.worker.HandleSignalInput) -> None:
        self.send("event", name="temporal.signal", metadata={"signal": input.signal})
        await super().handle_signal(input)

    async def handle_update_handler(self, input: temporalio.worker.HandleUpdateInput) -> Any:
        self.send("event", name="temporal.update", metadata={"update": input.update, "update_id": input.id})
        return await super().handle_update_handler(input)

    def child_headers(self, headers: _Headers) -> _Headers:
        if not self.run_id or HEADER_KEY in headers:
            return headers
        return {**headers, HEADER_KEY: self._converter.to_payloads([{"run_id": self.run_id, "agent": self.name}])[0]}


def _fails_workflow(err: BaseException) -> bool:
    """Whether Temporal completes the workflow with this exception (vs. retrying the task)."""
    if isinstance(err, asyncio.CancelledError | temporalio.exceptions.FailureError | asyncio.TimeoutError):
        return True
    try:
        # The worker's own rule, which knows the configured failure exception types.
        from temporalio.workflow import _Runtime

        return bool(_Runtime.current().workflow_is_failure_exception(err))  # type: ignore[attr-defined]
    except Exception:
        return False


class _WorkflowOutbound(temporalio.worker.WorkflowOutboundInterceptor):
    def __init__(self, next: temporalio.worker.WorkflowOutboundInterceptor, root: _WorkflowInbound) -> None:
        super().__init__(next)
        self.root = root

    def start_activity(self, input: temporalio.worker.StartActivityInput) -> temporalio.workflow.ActivityHandle[Any]:
        input.headers = self.root.child_headers(input.headers)
        return super().start_activity(input)

    def start_local_activity(
        self, input: temporalio.worker.StartLocalActivityInput
    ) -> temporalio.workflow.ActivityHandle[Any]:
        input.headers = self.root.child_headers(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(
        self, input: temporalio.worker.StartChildWorkflowInput
    ) -> temporalio.workflow.ChildWorkflowHandle[Any, Any]:
        input.headers = self.root.child_headers(input.headers)
        return await super().start_child_workflow(input)

    def continue_as_new(self, input: temporalio.worker.ContinueAsNewInput) -> NoReturn:
        parent = dict(self.root.parent or {})
        parent["continued_from"] = self.root.run_id
        payload = self.root._converter.to_payloads([parent])[0]
        input.headers = {**input.headers, HEADER_KEY: payload}
        super().continue_as_new(input)
