"""A loopback stand-in for the OpenAI Chat Completions API (three canned behaviours)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("tools"):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": "It is sunny."}
        finish = "stop"
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1780000000,
        "model": body["model"] + "-2024-07-18",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 30, "total_tokens": 1230,
                  "prompt_tokens_details": {"cached_tokens": 1000}},
    }


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if any("fail" in str(m.get("content")) for m in body.get("messages", [])):
            status, answer = 500, {"error": {"message": "upstream exploded", "type": "server_error"}}
        else:
            status, answer = 200, _completion(body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class OpenAIStub:
    """``OpenAIStub().url`` is a base URL for ``openai.OpenAI(base_url=...)``."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
