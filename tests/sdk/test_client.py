"""The background client over real HTTP on 127.0.0.1: delivery, retries, failures, exit, fork."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

import observatory
from observatory import _state

from .capture_server import CaptureServer, free_port


def emit(n: int, prefix: str = "e") -> None:
    for i in range(n):
        observatory.track_event("custom_tick", seq=f"{prefix}{i}")


def seqs(server: CaptureServer) -> Counter:
    return Counter(e.get("seq") for e in server.events if e["name"] == "custom_tick")


def run_script(code: str, env: dict[str, str], timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
    )
    return proc, time.monotonic() - started


def test_delivers_with_bearer_key_and_gzip(server: CaptureServer) -> None:
    observatory.init(api_url=server.url, api_key="sk-test", app_id="app", flush_interval=0.05)
    try:
        emit(300)
        observatory.track_event("custom_tick", seq="big", blob="x" * 20_000)
        assert observatory.flush(5) is True
        stats = observatory.stats()
    finally:
        observatory.shutdown(1)
        _state._clear()
    assert len(server.events) == 301
    headers = [r["headers"] for r in server.requests]
    assert all(h["Authorization"] == "Bearer sk-test" for h in headers)
    assert any(h.get("Content-Encoding") == "gzip" for h in headers)
    assert {e["app_id"] for e in server.events} == {"app"}
    assert stats["sent"] == 301 and stats["dropped"] == {} and stats["failed_requests"] == 0


def test_events_are_batched(server: CaptureServer) -> None:
    observatory.init(api_url=server.url, batch_size=100, flush_interval=5)
    try:
        emit(1000)
        assert observatory.flush(10)
    finally:
        observatory.shutdown(1)
        _state._clear()
    counts = [r["count"] for r in server.requests]
    assert sum(counts) == 1000 and max(counts) <= 100 and len(counts) <= 20


@pytest.mark.parametrize("failures", [[500, 503], [429], ["reset", 502], [408, "reset"]])
def test_transient_failures_lose_nothing_and_duplicate_nothing(http_client: CaptureServer, failures: list) -> None:
    server = http_client
    server.plan = list(failures)
    server.retry_after = "0"
    emit(200)
    assert observatory.flush(15) is True
    assert seqs(server) == Counter({f"e{i}": 1 for i in range(200)})
    stats = observatory.stats()
    assert stats["retries"] >= len(failures) and stats["dropped"] == {}
    assert stats["failed_requests"] >= len(failures)


def test_slow_receiver_is_retried_with_the_same_event_ids(server: CaptureServer) -> None:
    server.plan = ["slow"]
    server.slow_seconds = 1.0
    observatory.init(api_url=server.url, timeout=0.3, flush_interval=0.05, max_retries=3)
    try:
        emit(50)
        assert observatory.flush(15) is True
        retries = observatory.stats()["retries"]
    finally:
        observatory.shutdown(1)
        _state._clear()
    server.wait_for(100, timeout=3)
    by_id = Counter(e["event_id"] for e in server.events)
    # the slow answer arrived after the client gave up: each event twice, same id
    assert len(by_id) == 50 and set(by_id.values()) <= {1, 2}
    assert retries >= 1


def test_client_errors_are_not_retried_and_are_logged_once(http_client: CaptureServer, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="observatory")
    server = http_client
    server.default = 400
    emit(10)
    assert observatory.flush(5) is False
    emit(10)
    observatory.flush(5)
    stats = observatory.stats()
    assert stats["retries"] == 0 and stats["dropped"] == {"http_400": 20}
    assert len([r for r in caplog.records if "refused a batch" in r.getMessage()]) == 1
    assert "planned 400" in caplog.text


def test_receiver_down_never_raises_and_memory_stays_bounded() -> None:
    port = free_port()
    observatory.init(
        api_url=f"http://127.0.0.1:{port}", max_queue_size=500, max_buffer_bytes=64_000,
        max_retries=1, retry_budget=1, flush_interval=0.05,
    )
    try:
        @observatory.tool
        def work(i: int) -> int:
            return i

        for i in range(20_000):
            assert work(i) == i
            if i % 1000 == 0:
                client = _state.get_client()
                assert len(client.queue) <= 500
                consumer = client._consumer
                assert consumer is None or consumer.outbox_bytes <= 64_000 + 4 * 1024 * 1024
        stats = observatory.stats()
        assert stats["dropped"]["queue_full"] > 0
        assert observatory.flush(0.5) is False
    finally:
        started = time.monotonic()
        observatory.shutdown(1)
        assert time.monotonic() - started < 1.5
        _state._clear()


def test_flush_after_outage_recovers(server: CaptureServer) -> None:
    server.plan = [503] * 2
    server.retry_after = "0.1"
    observatory.init(api_url=server.url, flush_interval=0.05, max_retries=5)
    try:
        emit(20)
        assert observatory.flush(10)
    finally:
        observatory.shutdown(1)
        _state._clear()
    assert seqs(server) == Counter({f"e{i}": 1 for i in range(20)})


def test_receiver_restart_within_retry_budget_loses_nothing() -> None:
    port = free_port()
    observatory.init(api_url=f"http://127.0.0.1:{port}", flush_interval=0.05, retry_budget=20)
    server = None
    try:
        emit(100)
        time.sleep(1.5)  # the receiver is down for a while: the batch is retried
        server = CaptureServer(port)
        assert observatory.flush(20) is True
        assert seqs(server) == Counter({f"e{i}": 1 for i in range(100)})
        assert observatory.stats()["retries"] >= 1
    finally:
        observatory.shutdown(1)
        _state._clear()
        if server is not None:
            server.close()


def test_eight_threads_deliver_every_event_exactly_once(server: CaptureServer) -> None:
    observatory.init(api_url=server.url, max_queue_size=100_000, flush_interval=0.05)
    try:
        threads = [threading.Thread(target=emit, args=(10_000, f"t{t}-")) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert observatory.flush(60)
    finally:
        observatory.shutdown(2)
        _state._clear()
    counts = seqs(server)
    assert len(counts) == 80_000 and set(counts.values()) == {1}
    assert len({e["event_id"] for e in server.events}) == 80_000


def test_process_exit_without_flush_delivers_everything(server: CaptureServer) -> None:
    proc, _ = run_script(
        """
        import observatory
        for i in range(5000):
            observatory.track_event("custom_tick", seq=i)
        """,
        {"OBSERVATORY_API_URL": server.url, "OBSERVATORY_MAX_QUEUE_SIZE": "10000"},
    )
    assert proc.returncode == 0, proc.stderr
    assert server.wait_for(5000, timeout=5)
    assert len({e["seq"] for e in server.events}) == 5000


@pytest.mark.parametrize("mode", ["refused", "hangs"])
def test_exit_is_bounded_when_receiver_misbehaves(mode: str) -> None:
    listener = None
    if mode == "refused":
        url = f"http://127.0.0.1:{free_port()}"
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(100)  # accepts connections (backlog) and never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        baseline, _ = run_script("import observatory", {})
        _, bare = run_script("import observatory", {})
        proc, elapsed = run_script(
            """
            import observatory
            for i in range(2000):
                observatory.track_event("custom_tick", seq=i)
            """,
            {"OBSERVATORY_API_URL": url, "OBSERVATORY_SHUTDOWN_TIMEOUT": "1.0", "OBSERVATORY_TIMEOUT": "5"},
        )
    finally:
        if listener is not None:
            listener.close()
    assert proc.returncode == 0
    assert elapsed - bare < 1.0 + 0.5, (elapsed, bare)
    assert "could not be delivered" in proc.stderr


def test_forked_child_sends_its_own_events_only(server: CaptureServer) -> None:
    proc, _ = run_script(
        """
        import os, observatory
        observatory.init(flush_interval=60)  # keep the parent's events queued across the fork
        for i in range(100):
            observatory.track_event("custom_tick", seq=f"parent{i}")
        pid = os.fork()
        if pid == 0:
            for i in range(100):
                observatory.track_event("custom_tick", seq=f"child{i}")
            observatory.flush(5)
            os._exit(0)
        os.waitpid(pid, 0)
        """,
        {"OBSERVATORY_API_URL": server.url},
    )
    assert proc.returncode == 0, proc.stderr
    assert server.wait_for(200, timeout=5)
    counts = seqs(server)
    assert counts == Counter({**{f"parent{i}": 1 for i in range(100)}, **{f"child{i}": 1 for i in range(100)}})
    assert len({e["event_id"] for e in server.events}) == 200


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_children_deliver_without_flush(server: CaptureServer, tmp_path, method: str) -> None:
    module = tmp_path / "mp_work.py"
    module.write_text(textwrap.dedent(
        """
        import observatory

        @observatory.tool
        def step(i):
            return i

        def work(name):
            for i in range(300):
                step(i)
            observatory.track_event("custom_tick", seq=name)
        """
    ))
    proc, _ = run_script(
        f"""
        import sys, multiprocessing
        sys.path.insert(0, {str(tmp_path)!r})
        import mp_work
        if __name__ == "__main__":
            ctx = multiprocessing.get_context({method!r})
            procs = [ctx.Process(target=mp_work.work, args=(f"child{{i}}",)) for i in range(2)]
            for p in procs: p.start()
            for p in procs: p.join(30)
            assert all(p.exitcode == 0 for p in procs)
        """,
        {"OBSERVATORY_API_URL": server.url, "PYTHONPATH": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert server.wait_for(2 * 601, timeout=5)
    assert seqs(server) == Counter({"child0": 1, "child1": 1})
    assert len([e for e in server.events if e["name"] == "tool_end"]) == 600


def test_import_starts_no_thread_and_imports_no_http_client() -> None:
    proc, _ = run_script(
        """
        import sys, threading
        before = threading.active_count()
        import observatory
        assert threading.active_count() == before, "thread at import"
        assert "httpx" not in sys.modules, "httpx imported"
        assert "pydantic" not in sys.modules, "pydantic imported"
        @observatory.agent
        def f(): return 1
        assert threading.active_count() == before
        f()
        assert threading.active_count() == before + 1
        print("ok")
        """,
        {"OBSERVATORY_API_URL": f"http://127.0.0.1:{free_port()}", "OBSERVATORY_SHUTDOWN_TIMEOUT": "0.2"},
    )
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


def test_flush_after_delivers_before_the_handler_returns(server: CaptureServer) -> None:
    observatory.init(api_url=server.url, flush_interval=60)  # only an explicit flush sends
    try:
        @observatory.flush_after(timeout=5)
        def handler(event: dict, context: object) -> str:
            """Lambda-style handler."""
            observatory.track_event("custom_tick", seq="sync")
            return "ok"

        @observatory.flush_after
        async def async_handler() -> str:
            observatory.track_event("custom_tick", seq="async")
            return "ok"

        assert handler.__name__ == "handler" and handler.__doc__ == "Lambda-style handler."
        assert handler({}, None) == "ok"
        assert seqs(server) == Counter({"sync": 1})
        import asyncio

        assert asyncio.run(async_handler()) == "ok"
        assert seqs(server) == Counter({"sync": 1, "async": 1})
        with observatory.flush_after(timeout=5) as block:
            observatory.track_event("custom_tick", seq="block")
        assert block.delivered is True and seqs(server)["block"] == 1
    finally:
        observatory.shutdown(1)
        _state._clear()


def test_flush_after_returns_promptly_when_receiver_is_down() -> None:
    observatory.init(api_url=f"http://127.0.0.1:{free_port()}", flush_interval=60, max_retries=10)
    try:
        started = time.monotonic()
        with observatory.flush_after(timeout=0.5) as block:
            observatory.track_event("custom_tick", seq="x")
        assert block.delivered is False
        assert time.monotonic() - started < 1.5
    finally:
        observatory.shutdown(0.2)
        _state._clear()


def test_forked_children_of_an_unused_sdk_get_distinct_ids() -> None:
    proc, _ = run_script(
        """
        import os, observatory
        from observatory import _state
        read, write = os.pipe()
        for _ in range(3):
            if os.fork() == 0:
                client = _state.get_client()  # first use happens in the child
                run = observatory.start_run("agent", "child", send_start=False)
                os.write(write, (run.run_id + "\\n").encode())
                os._exit(0)
        for _ in range(3):
            os.wait()
        os.close(write)
        print(os.read(read, 4096).decode())
        """,
        {"OBSERVATORY_ENABLED": "true"},
    )
    ids = proc.stdout.split()
    assert len(ids) == 3 and len(set(ids)) == 3, proc.stdout + proc.stderr


def test_decorated_functions_pickle_by_reference_for_process_pools(server: CaptureServer, tmp_path) -> None:
    module = tmp_path / "pool_work.py"
    module.write_text(textwrap.dedent(
        """
        import observatory

        @observatory.tool
        def square(x):
            return x * x
        """
    ))
    proc, _ = run_script(
        """
        import pickle, concurrent.futures, multiprocessing
        import pool_work
        assert pickle.loads(pickle.dumps(pool_work.square)) is pool_work.square
        if __name__ == "__main__":
            with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
                print(sorted(pool.map(pool_work.square, range(6))))
        """,
        {"OBSERVATORY_API_URL": server.url, "PYTHONPATH": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "[0, 1, 4, 9, 16, 25]" in proc.stdout


def test_shutdown_counts_the_batch_in_flight_as_lost() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(10)  # accepts, never answers
    try:
        observatory.init(api_url=f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=5, flush_interval=0.05)
        emit(5)
        time.sleep(0.5)  # the batch is now waiting for an answer
        assert observatory.stats()["queued"] == 5
        started = time.monotonic()
        assert observatory.shutdown(timeout=0.5) is False
        assert time.monotonic() - started < 1.0
        assert observatory.stats()["dropped"] == {"shutdown": 5}
    finally:
        _state._clear()
        listener.close()


def test_a_retry_after_longer_than_the_retry_budget_is_logged_and_counted(http_client: CaptureServer, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="observatory")
    server = http_client  # retry_budget=5
    server.default = 429
    server.retry_after = "3600"
    emit(10)
    assert observatory.flush(5) is False
    emit(10)
    assert observatory.flush(5) is False
    stats = observatory.stats()
    assert stats["dropped"] == {"rate_limited": 20}
    assert stats["retries"] == 0 and len(server.requests) == 2  # not retried: the wait is past the budget
    logged = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert logged == [  # once a minute, not once per batch
        "observatory: dropped 10 events: the receiver answered HTTP 429 and asked to wait 3600 s "
        "(Retry-After), longer than what is left of retry_budget (5 s); counted in stats()['dropped']['rate_limited']"
    ]
