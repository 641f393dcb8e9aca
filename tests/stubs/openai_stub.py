"""An OpenAI-compatible chat-completions server on 127.0.0.1 that plays back scripted replies.

Real HTTP, real client (langchain-openai's ChatOpenAI with base_url): the LLM path is tested over the
same protocol it uses in production. Each reply can be text, an HTTP error, or a delay (a hanging provider).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0
    script: Callable[[dict], str] | None = None  # computes the text from the request body


@dataclass
class OpenAIStub:
    replies: deque = field(default_factory=deque)
    requests: list = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Reply(text="I don't know."))

    def start(self) -> OpenAIStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests.append({"path": self.path, "json": json.loads(body or b"{}")})
                reply = stub.replies.popleft() if stub.replies else stub.default
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    payload = json.dumps({"error": {"message": "stub failure", "type": "server_error"}}).encode()
                else:
                    payload = json.dumps(
                        {
                            "id": "chatcmpl-stub",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": "stub",
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {
                                        "role": "assistant",
                                        "content": reply.script(stub.requests[-1]["json"])
                                        if reply.script
                                        else reply.text,
                                    },
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                        }
                    ).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # shutdown() waits up to one poll interval (0.5 s by default), once per test
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
