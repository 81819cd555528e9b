"""A small real HTTP receiver on 127.0.0.1 for SDK tests: records batches, can misbehave.

``CaptureServer.plan`` is a list of behaviours consumed one request at a time
(then ``default``): an int status code, ``"slow"`` (answers after
``slow_seconds``), ``"reset"`` (closes the connection without answering) or
``"ok"``.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CaptureServer:
    def __init__(self, port: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.plan: list[Any] = []
        self.default: Any = "ok"
        self.slow_seconds = 2.0
        self.retry_after: str | None = None
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with server.lock:
                    behaviour = server.plan.pop(0) if server.plan else server.default
                if behaviour == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    self.close_connection = True
                    return
                if behaviour == "slow":
                    time.sleep(server.slow_seconds)
                    behaviour = "ok"
                if isinstance(behaviour, int) and behaviour != 200:
                    payload = json.dumps({"detail": f"planned {behaviour}"}).encode()
                    self.send_response(behaviour)
                    if server.retry_after is not None:
                        self.send_header("Retry-After", server.retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    with server.lock:
                        server.requests.append({"status": behaviour, "headers": dict(self.headers)})
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                batch = json.loads(body)["events"]
                with server.arrived:
                    server.events.extend(batch)
                    server.requests.append({"status": 200, "headers": dict(self.headers), "count": len(batch)})
                    server.arrived.notify_all()
                payload = json.dumps({"accepted": len(batch), "duplicates": 0, "rejected": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` events arrived."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.events) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
