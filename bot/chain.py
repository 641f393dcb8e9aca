"""guard → condense → retrieve → answer → cite, as one LangChain runnable that every surface calls.

The CLI, the web API, Slack and eval all call `Bot.ask` (or the runnable behind it), so a fix to the
chain reaches every surface and eval measures exactly what users get. Dependencies (store, embedder,
chat model, guard, clock) are passed in, so tests swap them without monkeypatching.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.runnables import Runnable, RunnableLambda

from .answer import Answer, GuardDecision
from .compose import candidates, compose, evidence, select_lead
from .embedding import Embedder
from .index import IndexStore, IndexUnavailable
from .llm import LLMFailure, LLMWriter
from .prompts import Prompts
from .retrieve import Retrieval, Retriever, StageTimer
from .settings import Settings
from .subjects import SubjectMatcher, condense, unknown_names

log = logging.getLogger(__name__)


class Guard(Protocol):
    """Decides, before retrieval, whether a conversation may be answered (the guardrail issue fills this in)."""

    def check(self, question: str, history: list[dict]) -> GuardDecision: ...


class AllowAll:
    def check(self, question: str, history: list[dict]) -> GuardDecision:
        return GuardDecision()


@dataclass
class Turn:
    """State passed between the chain's steps."""

    question: str
    history: list[dict]
    timings: dict[str, float] = field(default_factory=dict)
    guard: GuardDecision = field(default_factory=GuardDecision)
    standalone: str = ""
    subjects: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    retrieval: Retrieval | None = None
    answer: Answer | None = None


class Bot:
    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        embedder: Embedder,
        prompts: Prompts | None = None,
        chat_model: Any | None = None,
        guard: Guard | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.prompts = prompts or Prompts(settings.prompts_dir)
        self.writer = LLMWriter(chat_model, self.prompts, settings.llm_timeout) if chat_model is not None else None
        self.guard = guard or AllowAll()
        self.clock = clock
        self.retriever = Retriever(store, embedder)
        self._matchers: dict[str, SubjectMatcher] = {}
        self.runnable: Runnable = (
            RunnableLambda(self._guard, name="guard")
            | RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._answer, name="answer")
        )

    # -- public
    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        started = self.clock()
        turn: Turn = self.runnable.invoke(Turn(question=question.strip(), history=list(history or [])))
        assert turn.answer is not None
        turn.timings["total"] = (self.clock() - started) * 1000
        turn.answer.timings_ms = turn.timings
        return turn.answer

    # -- steps
    def _timer(self, turn: Turn) -> StageTimer:
        return StageTimer(turn.timings, self.clock)

    def _guard(self, turn: Turn) -> Turn:
        with self._timer(turn)("guard"):
            turn.guard = self.guard.check(turn.question, turn.history)
        if turn.guard.decision == "refuse":
            turn.answer = Answer(
                question=turn.question, status="refused", answer=turn.guard.reason, guardrail=turn.guard, mode="none"
            )
        return turn

    def _matcher(self) -> SubjectMatcher:
        info = self.store.snapshot().info
        matcher = self._matchers.get(info.collection)
        if matcher is None:
            matcher = SubjectMatcher(info.subjects)
            self._matchers = {info.collection: matcher}
        return matcher

    def _condense(self, turn: Turn) -> Turn:
        if turn.answer:
            return turn
        with self._timer(turn)("condense"):
            matcher = self._matcher()
            turn.standalone, turn.subjects = condense(turn.question, turn.history, matcher)
            if not turn.subjects:
                lexical = self.store.snapshot().lexical
                turn.unknown = unknown_names(turn.question, lexical.known, self.embedder.is_word)
            if self.writer is not None and turn.history and turn.standalone != turn.question:
                try:
                    turn.standalone = self.writer.condense(turn.question, turn.history)
                    turn.subjects = matcher.find(turn.standalone) or turn.subjects
                except LLMFailure as exc:
                    log.warning("condense fell back to the deterministic rule: %s", exc)
        return turn

    def _retrieve(self, turn: Turn) -> Turn:
        if turn.answer:
            return turn
        turn.retrieval = self.retriever.retrieve(turn.standalone, turn.subjects, self._timer(turn))
        return turn

    def _answer(self, turn: Turn) -> Turn:
        if turn.answer:
            return turn
        assert turn.retrieval is not None
        timer = self._timer(turn)
        with timer("compose"):
            cands = candidates(turn.retrieval)
            ev = evidence(turn.retrieval, cands, self.settings.abstain_threshold, self.settings.weak_threshold)
            if turn.unknown and not turn.subjects:
                ev.level = "none"  # it names a drug or thing no monograph mentions
            if ev.level == "none" or not cands:
                turn.answer = self._abstain(turn, {**ev.to_dict(), "unknown_names": turn.unknown})
                return turn
            text, citations = compose(turn.retrieval, select_lead(cands))
            mode = "extractive"
        if self.writer is not None:
            with timer("llm"):
                pool = [citation for citation in _top_citations(turn.retrieval, self.settings.top_k)]
                try:
                    written = self.writer.write(turn.standalone, pool)
                    text, citations, mode = written.text, written.citations, "llm"
                except LLMFailure as exc:
                    log.warning("LLM answer rejected, extractive answer used: %s", exc)
        if ev.level == "weak" and mode == "extractive":
            text = f"{self.prompts.message('weak_evidence')} {text}"
        turn.answer = Answer(
            question=turn.question,
            status="answered",
            answer=text,
            citations=citations,
            guardrail=turn.guard,
            mode=mode,
            standalone_question=turn.standalone,
            evidence=ev.to_dict(),
        )
        return turn

    def _abstain(self, turn: Turn, ev: dict) -> Answer:
        subjects = self.store.snapshot().info.subjects
        covered = ", ".join(subjects[:-1]) + (f" and {subjects[-1]}" if len(subjects) > 1 else "".join(subjects))
        return Answer(
            question=turn.question,
            status="abstained",
            answer=self.prompts.message("abstain", subjects=covered or "no drugs yet"),
            guardrail=turn.guard,
            mode="none",
            standalone_question=turn.standalone,
            evidence=ev,
        )


def _top_citations(retrieval: Retrieval, k: int) -> list:
    from .compose import citation_for

    return [citation_for(n, passage) for n, passage in enumerate(retrieval.passages[:k], 1)]


def build_bot(settings: Settings, **overrides: Any) -> Bot:
    """The production wiring: the settings' store, embedder and (optional) chat model."""
    from .index import get_embedder
    from .llm import chat_model_from_settings

    store = overrides.pop("store", None) or IndexStore(settings)
    embedder = overrides.pop("embedder", None) or get_embedder(settings)
    chat_model = overrides.pop("chat_model", None) or chat_model_from_settings(settings)
    return Bot(settings, store, embedder, chat_model=chat_model, **overrides)


__all__ = ["AllowAll", "Bot", "Guard", "IndexUnavailable", "build_bot"]
