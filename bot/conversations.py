"""Stored command-line conversations, so `monobot ask -c` can follow up without a hand-written history file.

Two tables of their own in the question-log database (settings.database_url, SQLite in the store by
default): one row per conversation and one per turn (the question, the answer text, and the answer object
so `/sources` and `monobot logs ID` can show what was cited). The question log itself (bot/feedback.py)
is not touched. Conversation ids are short hex strings; any unique prefix of one selects it, as with git.

Unlike the question log, a failure here is reported, not swallowed: a reader who asked to continue a
conversation must learn that it could not be read, rather than get an answer without its context.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from .contract import Answer

metadata = MetaData()

conversations = Table(
    "cli_conversations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False, index=True),
    Column("title", Text, nullable=False),  # the first question
)

turns = Table(
    "cli_conversation_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(32), ForeignKey("cli_conversations.id"), nullable=False, index=True),
    Column("created", Float, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("answer_id", String(64)),
    Column("answer_json", JSON),  # the answer object (citations included), for /sources and `logs ID`
)


class ConversationError(LookupError):
    """No conversation matches, or a prefix matches several; the message says which."""


class ConversationsUnavailable(RuntimeError):
    """The database cannot be read or written; the message names the URL's kind, never its credentials."""


@dataclass
class Summary:
    id: str
    created: float
    updated: float
    title: str
    turns: int

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class ConversationStore:
    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 5}
        self.engine = create_engine(url, **kwargs)
        self._ready = False

    def _begin(self) -> Any:
        if not self._ready:
            try:
                metadata.create_all(self.engine)
            except SQLAlchemyError as exc:
                raise self._unavailable(exc) from exc
            self._ready = True
        return self.engine.begin()

    def _unavailable(self, exc: Exception) -> ConversationsUnavailable:
        kind = self.url.split(":", 1)[0]
        return ConversationsUnavailable(f"the conversation database ({kind}) is unavailable: {type(exc).__name__}")

    # -- writing
    def create(self, title: str) -> str:
        cid = uuid.uuid4().hex[:12]
        now = time.time()
        try:
            with self._begin() as conn:
                conn.execute(insert(conversations).values(id=cid, created=now, updated=now, title=title[:500]))
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        return cid

    def add_turn(self, cid: str, question: str, answer: Answer) -> None:
        now = time.time()
        try:
            with self._begin() as conn:
                conn.execute(
                    insert(turns).values(
                        conversation_id=cid,
                        created=now,
                        question=question,
                        answer=answer.answer,
                        status=answer.status,
                        answer_id=answer.id,
                        answer_json=answer.to_dict(),
                    )
                )
                conn.execute(update(conversations).where(conversations.c.id == cid).values(updated=now))
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc

    # -- reading
    def resolve(self, ref: str) -> str:
        """The full id of the one conversation whose id starts with `ref`."""
        ref = ref.strip().lower()
        if not ref:
            raise ConversationError("the conversation id is empty")
        try:
            with self._begin() as conn:
                rows = conn.execute(select(conversations.c.id).where(conversations.c.id.like(f"{ref}%")).limit(5)).all()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        if not rows:
            raise ConversationError(f"no conversation {ref!r} (see `monobot logs`)")
        if len(rows) > 1:
            raise ConversationError(f"{ref!r} matches several conversations: {', '.join(r.id for r in rows)}")
        return str(rows[0].id)

    def latest(self) -> str | None:
        try:
            with self._begin() as conn:
                row = conn.execute(select(conversations.c.id).order_by(conversations.c.updated.desc()).limit(1)).first()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        return str(row.id) if row else None

    def turns(self, cid: str) -> list[dict[str, Any]]:
        try:
            with self._begin() as conn:
                rows = conn.execute(select(turns).where(turns.c.conversation_id == cid).order_by(turns.c.id)).all()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        return [dict(r._mapping) for r in rows]

    def history(self, cid: str) -> list[dict[str, str]]:
        """The conversation as the chain's history: user and assistant turns, oldest first."""
        out: list[dict[str, str]] = []
        for t in self.turns(cid):
            out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
        return out

    def recent(self, limit: int = 20) -> list[Summary]:
        count = select(turns.c.conversation_id, func.count().label("n")).group_by(turns.c.conversation_id).subquery()
        query = (
            select(conversations, func.coalesce(count.c.n, 0).label("turns"))
            .outerjoin(count, count.c.conversation_id == conversations.c.id)
            .order_by(conversations.c.updated.desc())
            .limit(limit)
        )
        try:
            with self._begin() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from exc
        return [Summary(r.id, r.created, r.updated, r.title, int(r.turns)) for r in rows]


__all__ = ["ConversationError", "ConversationStore", "ConversationsUnavailable", "Summary"]
