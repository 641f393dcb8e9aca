"""Slow clients (issue 16 item 7): slowloris connections are closed at the header and body deadlines,
connections past the cap are refused at once, and other clients are served meanwhile.

Before: 600 connections sending one byte every 5 s were held for 75 s and never closed. Here: 120
connections on 127.0.0.1 drip one byte every 0.25 s against 1 s deadlines; bounded in time and count.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from bot.feedback import FeedbackStore
from bot.web.server import worker_settings

from ..web.test_api_abuse import served

pytestmark = pytest.mark.slow  # starts a live server and opens many sockets

DRIP = 0.25  # seconds between bytes
LIMIT = 12.0  # no slow connection may live longer than this (the deadlines are 1 s)


class Slowloris:
    """One connection sending a request a byte at a time, until the server closes it (or LIMIT passes)."""

    def __init__(self, port: int, head: bytes, drip: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=LIMIT)
        self.head, self.drip = head, drip
        self.closed = threading.Event()
        self.reply = b""

    def run(self) -> None:
        try:
            self.sock.sendall(self.head)
            self.sock.settimeout(DRIP)
            deadline = time.monotonic() + LIMIT
            while time.monotonic() < deadline:
                try:
                    data = self.sock.recv(4096)
                    self.reply += data
                    if not data:  # the server closed the connection
                        self.closed.set()
                        return
                except TimeoutError:
                    self.sock.sendall(self.drip)
        except (ConnectionResetError, BrokenPipeError):
            self.closed.set()
        finally:
            self.sock.close()


def attack(port: int, count: int, head: bytes, drip: bytes) -> list[Slowloris]:
    clients = [Slowloris(port, head, drip) for _ in range(count)]
    for c in clients:
        threading.Thread(target=c.run, daemon=True).start()
    return clients


def test_slowloris_headers_and_bodies_are_cut_off_and_others_served(sample_settings, tmp_path):
    settings = worker_settings(
        sample_settings.model_copy(
            update={"rate_limit_per_minute": 10_000, "header_timeout": 1.0, "body_timeout": 1.0, "max_connections": 300}
        )
    )
    with served(settings, FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")) as url:
        port = int(url.rsplit(":", 1)[1])
        headers = attack(port, 60, b"POST /api/chat HTTP/1.1\r\nHost: x\r\n", b"X")
        bodies = attack(
            port,
            60,
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{",
            b" ",
        )
        with httpx.Client(timeout=10) as http:  # an ordinary reader, while the attack runs
            served_codes = [
                http.post(f"{url}/api/chat", json={"message": "Is Semax safe?"}).status_code for _ in range(5)
            ]
        assert served_codes == [200] * 5
        for c in headers + bodies:
            assert c.closed.wait(LIMIT + 2), "a slow connection was never closed"
        assert all(b"408" in c.reply.split(b"\r\n", 1)[0] for c in headers)
        assert all(c.reply == b"" or b"408" in c.reply.split(b"\r\n", 1)[0] for c in bodies)
        with httpx.Client(timeout=10) as http:
            assert http.get(f"{url}/healthz").status_code == 200


def test_connections_past_the_cap_are_refused_at_once(sample_settings, tmp_path):
    settings = worker_settings(
        sample_settings.model_copy(update={"header_timeout": 5.0, "body_timeout": 5.0, "max_connections": 20})
    )
    with served(settings, FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")) as url:
        port = int(url.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
        try:
            extra = socket.create_connection(("127.0.0.1", port), timeout=5)
            with extra:
                reply = b""
                while chunk := extra.recv(4096):  # the server writes its 503 and closes
                    reply += chunk
            assert reply.startswith(b"HTTP/1.1 503") and b'"busy"' in reply
        finally:
            for s in held:
                s.close()
