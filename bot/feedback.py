"""The question log and reader feedback, shared by the web API and the Slack app.

SQLite by default, any SQLAlchemy URL in production (MONOBOT_DB_URL). No IP addresses are stored:
surfaces pass an optional salted hash of the client for abuse analysis.

A write that is lost is never acknowledged. `log_answer` returns a future that completes only when the
row is committed (rows are written in batches by one background thread, so readers share commits), and
fails with DatabaseUnavailable otherwise; `record_feedback` raises it. The surfaces answer 503 then
(MONOBOT_QUESTION_LOG_REQUIRED=false keeps answering and only logs the loss).

SQLite's failure mode is silent: delete the file while serving and every open connection keeps writing
to the deleted inode, and all of it is gone at the next restart. So the file is created once, then only
ever opened with mode=rw (a vanished file is never silently recreated), and before each batch, each
feedback write and each readiness probe the path is checked against the inode the store opened: a
missing file makes the store unavailable (pooled connections are dropped); a different file at the path
(a restored backup) is reconnected to, without a restart.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

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


probe = Table(
    "write_probe",  # one row, rewritten by each readiness probe: proves the database takes writes
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Float, nullable=False),
)


class FeedbackUnavailable(RuntimeError):
    """The feedback database cannot be written; the surface says so instead of failing silently."""


class DatabaseUnavailable(FeedbackUnavailable):
    """The question-log database is gone, unwritable or unreachable; nothing was written."""


class UnknownAnswer(LookupError):
    """Feedback for an answer id this store never logged."""


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets readers and the log writer work at once; NORMAL sync is durable enough for a question log."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_file(url: str) -> str | None:
    """The file of a plain `sqlite:///path` URL (None for memory databases, URIs and other databases)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url[len("sqlite:///") :]
    return path if path and path != ":memory:" else None


class FeedbackStore:
    def __init__(self, url: str, write_timeout: float = 5.0) -> None:
        self.url = url
        self.write_timeout = write_timeout
        self.path = _sqlite_file(url)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        engine_url = url
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 5}
        self.failure: str | None = None  # why the last write failed; None once one succeeds
        if self.path is not None:
            self.failure = self._create_file(self.path)
            engine_url = f"sqlite:///file:{quote(str(Path(self.path).absolute()))}?mode=rw&uri=true"
        self.engine = create_engine(engine_url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._identity: tuple[int, int] | None = None
        self._ready = False
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[dict, Future[None]]] = queue.Queue(maxsize=10_000)
        self._writer: threading.Thread | None = None

    @staticmethod
    def _create_file(path: str) -> str | None:
        """Create the database file once, here; afterwards it is only opened (mode=rw), never recreated.

        Returns why it could not be created (reported by readiness and the first write), else None.
        """
        if Path(path).exists():
            return None
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()
        except (OSError, sqlite3.Error) as exc:  # the bot still starts; readiness says why it is not ready
            log.warning("question-log database cannot be created: %s", type(exc).__name__)
            return f"the database file {path} could not be created ({type(exc).__name__})"
        return None

    def _check_file(self) -> None:
        """Raise DatabaseUnavailable when the SQLite file has vanished; reconnect when another file replaced it."""
        if self.path is None:
            return
        try:
            st = os.stat(self.path)
        except OSError:
            self.engine.dispose()  # drop connections still writing to the deleted inode
            what = "could not be created" if self._identity is None else "has vanished"
            raise DatabaseUnavailable(f"the database file {self.path} {what}") from None
        identity = (st.st_dev, st.st_ino)
        if self._identity is not None and identity != self._identity:
            log.warning("question-log database file was replaced; reconnecting")
            self.engine.dispose()
            self._ready = False
        self._identity = identity

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    metadata.create_all(self.engine)
                    self._ready = True

    def _failed(self, exc: Exception) -> DatabaseUnavailable:
        reason = str(exc) if isinstance(exc, DatabaseUnavailable) else f"database error ({type(exc).__name__})"
        if self.failure != reason:
            log.warning("question-log database unavailable: %s", reason)
        self.failure = reason
        return exc if isinstance(exc, DatabaseUnavailable) else DatabaseUnavailable(reason)

    def log_answer(self, answer: Answer, channel: str, client_hash: str | None = None) -> Future[None]:
        """Queue the answer for the log; the future completes once its row is committed (or fails).

        A background thread writes queued rows in batches, so no reader waits on another's commit.
        """
        done: Future[None] = Future()
        try:
            self._queue.put_nowait((self._row(answer, channel, client_hash), done))
        except queue.Full:
            log.warning("question log queue full; an answer was not logged")
            done.set_exception(DatabaseUnavailable("the question log is backed up"))
            return done
        if self._writer is None or not self._writer.is_alive():
            with self._lock:
                if self._writer is None or not self._writer.is_alive():
                    self._writer = threading.Thread(target=self._drain, name="monobot-question-log", daemon=True)
                    self._writer.start()
        return done

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until queued log rows are written (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while (self._queue.unfinished_tasks or not self._queue.empty()) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _drain(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < 200:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._check_file()
                self._ensure()
                with self.engine.begin() as conn:
                    conn.execute(insert(questions), [row for row, _ in batch])
                self.failure = None
                for _, done in batch:
                    done.set_result(None)
            except (SQLAlchemyError, DatabaseUnavailable) as exc:
                error = self._failed(exc)
                log.warning("%d answers not logged", len(batch))
                for _, done in batch:
                    done.set_exception(error)
            finally:
                for _ in batch:
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
        """Store one rating per client per answer (a second rating replaces the first); raises
        DatabaseUnavailable when it cannot be stored, so the surface never thanks for a lost vote."""
        if rating not in ("up", "down"):
            raise ValueError("rating must be 'up' or 'down'")
        feedback_id = f"{answer_id}:{channel}:{user_hash or '-'}"
        values = {"created": time.time(), "rating": rating, "comment": comment}
        try:
            self._check_file()
            self._ensure()
            with self.engine.begin() as conn:
                if require_known and not self._known(conn, answer_id):
                    raise UnknownAnswer(answer_id)
                if not conn.execute(feedback.update().where(feedback.c.id == feedback_id).values(**values)).rowcount:
                    conn.execute(
                        insert(feedback).values(
                            id=feedback_id, answer_id=answer_id, channel=channel, user_hash=user_hash, **values
                        )
                    )
            self.failure = None
            return feedback_id
        except IntegrityError:  # the same client's vote arrived twice at once: the other insert won
            try:
                with self.engine.begin() as conn:
                    conn.execute(feedback.update().where(feedback.c.id == feedback_id).values(**values))
            except SQLAlchemyError as exc:
                raise self._failed(exc) from exc
            return feedback_id
        except (SQLAlchemyError, DatabaseUnavailable) as exc:
            raise self._failed(exc) from exc

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

    def check(self) -> str | None:
        """Readiness: None when the database takes a write now, else why not (the probe rewrites one row)."""
        try:
            self._check_file()
            self._ensure()
            with self.engine.begin() as conn:
                if not conn.execute(update(probe).where(probe.c.id == 1).values(at=time.time())).rowcount:
                    conn.execute(insert(probe).values(id=1, at=time.time()))
        except (SQLAlchemyError, DatabaseUnavailable) as exc:
            return str(self._failed(exc))
        self.failure = None
        return None

    def ping(self) -> bool:
        return self.check() is None
