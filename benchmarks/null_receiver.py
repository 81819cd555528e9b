"""A loopback HTTP sink that accepts any POST and counts what arrived.

Run it in its own process (``python -m benchmarks.null_receiver --mode ok``):
it prints ``{"port": N}`` and serves until killed. A raw asyncio protocol
(keep-alive, Content-Length and chunked bodies) so it is never the bottleneck.

Modes: ``ok`` answers 200 with a body each SDK accepts; ``hang`` accepts
connections and reads requests but never answers. ``GET /__stats`` returns
the counters; ``POST /__reset`` zeroes them (both work in every mode).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from benchmarks.counting import count_items, decode_body

# Like the hosted service: advertise zstd, so LangSmith runs its default (compressed) path.
LANGSMITH_INFO = json.dumps(
    {"version": "0.0.0-null", "instance_flags": {"zstd_compression_enabled": True}}
).encode()


class Counters:
    """What arrived: requests, bytes on the wire, items, time of the last item."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.bytes = 0
        self.items = 0
        self.errors = 0
        self.last_item_at = 0.0
        self.paths: dict[str, int] = {}

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__).encode()


def _reply_for(method: str, path: str, content_type: str) -> tuple[bytes, bytes]:
    """(content type, body) of a 200 answer that the sending SDK accepts."""
    if method == "GET" and path.rstrip("/").endswith("/info"):
        return b"application/json", LANGSMITH_INFO
    if "/v1/traces" in path and "json" not in content_type:
        return b"application/x-protobuf", b""
    if path.rstrip("/").endswith("/batch") and "runs" not in path:
        return b"application/json", b'{"status": 1}'
    return b"application/json", b'{"status": "ok", "accepted": true}'


def _response(status: bytes, ctype: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Type: "
        + ctype
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: keep-alive\r\n\r\n"
        + body
    )


def _split_chunked(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """(body, end offset) of a complete chunked body at ``start``, else None."""
    body, pos = bytearray(), start
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)
            return (bytes(body), end + 4) if end >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos : pos + size]
        pos += size + 2


class _Connection(asyncio.Protocol):
    def __init__(self, counters: Counters, hang: bool) -> None:
        self.counters = counters
        self.hang = hang
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self._one_request():
            pass

    def _one_request(self) -> bool:
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        lines = bytes(self.buf[:head_end]).decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = head_end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = _split_chunked(self.buf, start)
            if parsed is None:
                return False
            body, end = parsed
        else:
            end = start + int(headers.get("content-length", "0") or 0)
            if len(self.buf) < end:
                return False
            body = bytes(self.buf[start:end])
        del self.buf[:end]
        self._handle(method, path, headers, body)
        return True

    def _handle(self, method: str, path: str, headers: dict, body: bytes) -> None:
        c = self.counters
        if path.startswith("/__stats"):
            self.transport.write(_response(b"200 OK", b"application/json", c.as_json()))
            return
        if path.startswith("/__reset"):
            c.reset()
            self.transport.write(_response(b"200 OK", b"application/json", b"{}"))
            return
        c.requests += 1
        c.bytes += len(body)
        key = path.split("?")[0]
        c.paths[key] = c.paths.get(key, 0) + 1
        if self.hang:
            return  # read it, never answer
        ctype = headers.get("content-type", "")
        if method == "POST" and body:
            try:
                items = count_items(ctype, decode_body(body, headers.get("content-encoding", "")))
            except Exception:  # noqa: BLE001 - a sink counts, it never fails a sender
                items, c.errors = 0, c.errors + 1
            if items:
                c.items += items
                c.last_item_at = time.monotonic()
        rtype, rbody = _reply_for(method, path, ctype)
        self.transport.write(_response(b"200 OK", rtype, rbody))


async def serve(port: int, hang: bool) -> None:
    """Serve on 127.0.0.1:``port`` (0 picks one) until cancelled."""
    counters = Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(counters, hang), "127.0.0.1", port, backlog=1024
    )
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=("ok", "hang"), default="ok")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.mode == "hang"))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
