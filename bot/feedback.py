"""The question log and reader feedback, shared by the web API and the Slack app.

SQLite by default, any SQLAlchemy URL in production (MONOBOT_DB_URL). No IP addresses are stored:
surfaces pass an optional salted hash of the client for abuse analysis. A database that is down must
never stop the bot answering, so logging failures are swallowed (and logged), while feedback failures
raise FeedbackUnavailable for the surface to report clearly.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Float, MetaData, String, Table, Text, create_engine, event, insert, select
from sqlalchemy.exc import SQLAlchemyError

from .contract import Answer

log = logging.getLogger(__name__)

metadata = MetaData()

questions = Table(
    "questions",
    metadata,
    Column("answer_id", String(64), primary_key=True),
    Column("created", Float, nullable=False),
    Column("channel", String(16), nullable=False),  # web | slack | cli | eval
    Column("question", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("mode", String(16)),
    Column("guardrail", JSON),
    Column("citations", JSON),  # [{n, doc, section, url}] — enough to audit what was shown
    Column("client_hash", String(64)),  # salted hash, never an IP address
    Column("total_ms", Float),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("answer_id", String(64), nullable=False, index=True),
    Column("created", Float, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("rating", String(8), nullable=False),
    Column("comment", Text),
    Column("user_hash", String(64)),
)


class FeedbackUnavailable(RuntimeError):
    """The feedback database cannot be written; the surface says so instead of failing silently."""


class UnknownAnswer(LookupError):
    """Feedback for an answer id this store never logged."""


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets readers and the log writer work at once; NORMAL sync is durable enough for a question log."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class FeedbackStore:
    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:  # reported when used; the bot must start without its log
                    log.warning("feedback database folder unavailable: %s", exc)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 5}
        self.engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._ready = False
        self._lock = threading.Lock()
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=10_000)
        self._writer: threading.Thread | None = None

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    metadata.create_all(self.engine)
                    self._ready = True

    def log_answer(self, answer: Answer, channel: str, client_hash: str | None = None) -> None:
        """Queue the answer for the log; a background thread writes it, so no reader waits on the database."""
        row = self._row(answer, channel, client_hash)
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            log.warning("question log queue full; an answer was not logged")
            return
        if self._writer is None or not self._writer.is_alive():
            with self._lock:
                if self._writer is None or not self._writer.is_alive():
                    self._writer = threading.Thread(target=self._drain, name="monobot-question-log", daemon=True)
                    self._writer.start()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until queued log rows are written (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while (self._queue.unfinished_tasks or not self._queue.empty()) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _drain(self) -> None:
        while True:
            rows = [self._queue.get()]
            while len(rows) < 200:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._ensure()
                with self.engine.begin() as conn:
                    conn.execute(insert(questions), rows)
            except SQLAlchemyError as exc:
                log.warning("question log unavailable: %s (%d answers not logged)", type(exc).__name__, len(rows))
            finally:
                for _ in rows:
                    self._queue.task_done()

    @staticmethod
    def _row(answer: Answer, channel: str, client_hash: str | None) -> dict:
        return {
            "answer_id": answer.id,
            "created": time.time(),
            "channel": channel,
            "question": answer.question,
            "status": answer.status,
            "mode": answer.mode,
            "guardrail": json.loads(json.dumps(answer.to_dict()["guardrail"])),
            "citations": [{"n": c.n, "doc": c.doc, "section": c.section, "url": c.url} for c in answer.citations],
            "client_hash": client_hash,
            "total_ms": answer.timings_ms.get("total"),
        }

    def record_feedback(
        self,
        answer_id: str,
        rating: str,
        channel: str,
        comment: str | None = None,
        user_hash: str | None = None,
        require_known: bool = True,
    ) -> str:
        if rating not in ("up", "down"):
            raise ValueError("rating must be 'up' or 'down'")
        try:
            self._ensure()
            with self.engine.begin() as conn:
                if require_known and not self._known(conn, answer_id):
                    raise UnknownAnswer(answer_id)
                feedback_id = f"{answer_id}:{channel}:{user_hash or '-'}"
                existing = conn.execute(select(feedback.c.id).where(feedback.c.id == feedback_id)).first()
                values = {"created": time.time(), "rating": rating, "comment": comment}
                if existing:
                    conn.execute(feedback.update().where(feedback.c.id == feedback_id).values(**values))
                else:
                    conn.execute(
                        insert(feedback).values(
                            id=feedback_id, answer_id=answer_id, channel=channel, user_hash=user_hash, **values
                        )
                    )
                return feedback_id
        except SQLAlchemyError as exc:
            raise FeedbackUnavailable(f"feedback database unavailable ({type(exc).__name__})") from exc

    def _known(self, conn: Any, answer_id: str) -> bool:
        query = select(questions.c.answer_id).where(questions.c.answer_id == answer_id)
        if conn.execute(query).first() is not None:
            return True
        self.flush(2.0)  # the answer may still be in the log queue
        return conn.execute(query).first() is not None

    def feedback_for(self, answer_id: str) -> list[dict]:
        self._ensure()
        with self.engine.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback).where(feedback.c.answer_id == answer_id))]

    def ping(self) -> bool:
        try:
            self._ensure()
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False
