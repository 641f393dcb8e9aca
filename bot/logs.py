"""Structured logs: one JSON object per line, with the request id of the web or Slack request being served.

The request id lives in a context variable set by the web middleware (X-Request-ID) and by the Slack
handlers (the event id), so log lines written deep in the chain carry it too. Secrets never reach the
output: known token shapes and the configured secret values are masked in every line. Question text is
dropped from error logs unless MONOBOT_DEBUG is on.

Libraries write what they like: Bolt logs a whole request body (a staff member's id and question) when
a signature check fails, and "Unhandled request (<body>)" at WARNING; provider SDKs log request
retries with URLs and error texts that can echo the prompt. So, unless MONOBOT_DEBUG is on, every
logger that is not monobot's own (or uvicorn's server lines) is capped by `LibraryCap`: nothing below
WARNING, and at WARNING and above only the message's leading phrase (up to the first `(`, `{`, `:` or
line break), never its arguments or payload.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("monobot_request_id", default="")

_TOKEN_SHAPES = re.compile(
    r"\b(?:xox[abposr]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|sk-[A-Za-z0-9_-]{12,}|Bearer\s+[A-Za-z0-9._-]{12,})"
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_QUESTION_FIELDS = {"question", "message_text", "text"}
# Loggers whose messages are written by this project (or are uvicorn's fixed server and access lines).
OWN_LOGGERS = ("monobot", "bot", "ingest", "eval", "uvicorn")
_LEADING_PHRASE = re.compile(r"[^({:\n]{0,120}")


def is_own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


class LibraryCap(logging.Filter):
    """Third-party log records: dropped below WARNING, reduced to their leading phrase above (unless debug)."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        if self.debug or is_own(record.name):
            return True
        if record.levelno < logging.WARNING:
            return False
        try:
            message = record.getMessage()
        except Exception:  # a library's broken format string must not break logging
            message = str(record.msg)
        phrase = _LEADING_PHRASE.match(message)
        record.msg = (phrase.group(0).strip() if phrase else "") or "(message withheld)"
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = (), debug: bool = False) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]
        self.debug = debug

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN_SHAPES.sub("[redacted]", text)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id.get(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in entry or key.startswith("_"):
                continue
            if key in _QUESTION_FIELDS and not self.debug:
                continue
            entry[key] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info) if self.debug else type(record.exc_info[1]).__name__
        return self.redact(json.dumps(entry, ensure_ascii=False))


def configure(level: str = "INFO", secrets: Iterable[str] = (), debug: bool = False, stream=None) -> logging.Handler:
    """Route every logger (monobot's, uvicorn's, Bolt's) to one JSON-lines handler on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets, debug))
    handler.addFilter(LibraryCap(debug))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "slack_bolt", "slack_sdk", "httpx", "chromadb"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Cheaper than building records LibraryCap then drops; the cap itself holds whatever a library's level.
    for name in ("httpx", "httpcore", "chromadb", "slack_bolt", "slack_sdk", "urllib3", "openai", "langchain"):
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    return handler


def secrets_of(settings: Any) -> list[str]:
    """Every secret value in the settings, for masking."""
    values = []
    for name in ("slack_bot_token", "slack_app_token", "slack_signing_secret", "llm_api_key"):
        value = getattr(settings, name, None)
        if value is not None:
            values.append(value.get_secret_value() if hasattr(value, "get_secret_value") else str(value))
    return values
