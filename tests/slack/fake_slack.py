"""A fake Slack Web API on 127.0.0.1 that records every call, modelled on bolt-python's mock_web_api_server.

Real HTTP with the real slack_sdk client (pointed here through base_url); replies can be scripted per
method: `ratelimited` with Retry-After, server errors, or canned data such as thread replies.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.script: dict[str, deque] = defaultdict(deque)
        self.threads: dict[str, list[dict]] = {}
        self.max_page = 1000  # most messages one conversations.replies page returns, whatever `limit` asks
        self._ts = 0
        self._lock = threading.Lock()

    # -- scripting
    def fail_next(self, method: str, status: int, error: str, retry_after: int | None = None, times: int = 1) -> None:
        for _ in range(times):
            self.script[method].append(
                (status, {"ok": False, "error": error}, {"Retry-After": str(retry_after)} if retry_after else {})
            )

    def next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"1700000000.{self._ts:06d}"

    def calls_to(self, method: str) -> list[dict]:
        return [c for c in self.calls if c["method"] == method]

    def wait_for(self, predicate, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return self.calls
            time.sleep(0.05)
        raise AssertionError(f"timed out; calls so far: {[c['method'] for c in self.calls]}")

    def replies_page(self, body: dict) -> dict:
        """conversations.replies as Slack pages it: oldest first, `limit` per page, an opaque next_cursor."""
        messages = self.threads.get(body.get("ts"), [])
        limit = min(int(body.get("limit") or 1000), self.max_page)
        start = int(base64.b64decode(body["cursor"]).decode().split(":")[1]) if body.get("cursor") else 0
        page = messages[start : start + limit]
        payload: dict = {"ok": True, "messages": page, "has_more": start + limit < len(messages)}
        if payload["has_more"]:
            payload["response_metadata"] = {
                "next_cursor": base64.b64encode(f"offset:{start + limit}".encode()).decode()
            }
        return payload

    # -- server
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> dict:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)).decode()
                query = parse_qs(urlparse(self.path).query)
                data: dict = {k: v[0] for k, v in query.items()}
                if raw:
                    if self.headers.get("Content-Type", "").startswith("application/json"):
                        data.update(json.loads(raw))
                    else:
                        data.update({k: v[0] for k, v in parse_qs(raw).items()})
                for key in ("blocks",):
                    if isinstance(data.get(key), str):
                        data[key] = json.loads(data[key])
                return data

            def _reply(self, status: int, payload: dict, headers: dict | None = None) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                path = urlparse(self.path).path
                body = self._body()
                if path.startswith("/response/"):
                    fake.calls.append({"method": "response_url", "body": body})
                    return self._reply(200, {"ok": True})
                method = path.rsplit("/", 1)[-1]
                fake.calls.append({"method": method, "body": body})
                if fake.script[method]:
                    status, payload, headers = fake.script[method].popleft()
                    return self._reply(status, payload, headers)
                if method == "auth.test":
                    return self._reply(
                        200, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "monobot"}
                    )
                if method == "chat.postMessage":
                    return self._reply(
                        200,
                        {
                            "ok": True,
                            "channel": body.get("channel"),
                            "ts": fake.next_ts(),
                            "message": {"text": body.get("text")},
                        },
                    )
                if method == "conversations.replies":
                    return self._reply(200, fake.replies_page(body))
                return self._reply(200, {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")})

            do_POST = _handle
            do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # shutdown() waits up to one poll interval (0.5 s by default), once per test
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
