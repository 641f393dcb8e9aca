"""guard → condense → retrieve → answer → cite, as one LangChain runnable that every surface calls.

The CLI, the web API, Slack and eval all call `Bot.ask` (or the runnable behind it), so a fix to the
chain reaches every surface and eval measures exactly what users get. Dependencies (store, embedder,
chat model, guard, clock) are passed in, so tests swap them without monkeypatching.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from langchain_core.runnables import Runnable, RunnableLambda

from .answer import Answer, Citation, GuardDecision
from .compose import candidates, citation_for, compose, evidence, select_lead
from .embedding import Embedder
from .index import IndexStore, IndexUnavailable
from .llm import LLMFailure, LLMWriter, llm_budget
from .prompts import Prompts
from .retrieve import Retrieval, Retriever, StageTimer
from .settings import Settings
from .subjects import SubjectMatcher, condense, unknown_names

log = logging.getLogger(__name__)

_COMPARISON = re.compile(r"\b(?:better|worse|safer|stronger|weaker|than|versus|vs\.?|compared?|instead of|or)\b", re.I)
_DOSE_FIGURE = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:mL|ml|mg|mcg|µg|IU)\b")


class Guard(Protocol):
    """The guardrail's side of the chain: judge the conversation, judge generated text, and word the outcome."""

    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision: ...

    def check_output(self, text: str) -> GuardDecision | None: ...

    def check_answer(self, question: str, text: str) -> GuardDecision | None: ...

    def refusal(self, category: str, subject: str | None) -> str: ...

    def notice(self) -> str: ...


class AllowAll:
    """No guardrail: for tests of the rest of the chain, and for measuring what the guardrail costs."""

    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision:
        return GuardDecision()

    def check_output(self, text: str) -> GuardDecision | None:
        return None

    def check_answer(self, question: str, text: str) -> GuardDecision | None:
        return None

    def refusal(self, category: str, subject: str | None) -> str:
        return "I can't help with that."

    def notice(self) -> str:
        return ""


class _Steps(Runnable):
    """A Runnable that calls the steps directly (invoke; batch and stream come from Runnable's defaults)."""

    name = "monobot"

    def __init__(self, run: Callable[[Any], Any]) -> None:
        self._call = run

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:  # noqa: A002 - LangChain's signature
        return self._call(input)


@dataclass
class Turn:
    """State passed between the chain's steps."""

    question: str
    history: list[dict]
    timings: dict[str, float] = field(default_factory=dict)
    vector: np.ndarray | None = None  # the question's embedding, computed once for guard and retrieval
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
        self.writer = LLMWriter(chat_model, self.prompts, settings.llm_timeout, settings.llm_context_tokens) if chat_model is not None else None
        self.guard: Guard = guard or _default_guard(self.prompts, embedder, chat_model, settings)
        self.clock = clock
        self.retriever = Retriever(store, embedder)
        self._matchers: dict[str, SubjectMatcher] = {}
        # The steps as a LangChain runnable sequence, for composing monobot into other chains and for tracing
        # each step with LangChain callbacks. `ask` runs the same four steps through `runnable`, a Runnable
        # without callback plumbing: the sequence's config and callback setup costs about 0.4 ms a question,
        # a tenth of a whole extractive answer, and `timings_ms` already reports every step.
        self.steps: Runnable = (
            RunnableLambda(self._guard, name="guard")
            | RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._answer, name="answer")
        )
        self.runnable: Runnable = _Steps(self._run)

    # -- public
    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        started = self.clock()
        with llm_budget(self.settings.llm_timeout):  # one LLM time budget per question, shared by judge, condense and answer
            turn: Turn = self.runnable.invoke(Turn(question=question.strip(), history=list(history or [])))
        assert turn.answer is not None
        turn.timings["total"] = (self.clock() - started) * 1000
        turn.answer.timings_ms = turn.timings
        if turn.retrieval is not None:
            turn.answer.retrieved = [
                {"doc": p.first.doc, "section": p.first.section, "url": p.first.url, "score": round(p.score, 5), "cosine": round(p.cosine, 4)}
                for p in turn.retrieval.passages
            ]
        return turn.answer

    # -- steps
    def _run(self, turn: Turn) -> Turn:
        return self._answer(self._retrieve(self._condense(self._guard(turn))))

    def _timer(self, turn: Turn) -> StageTimer:
        return StageTimer(turn.timings, self.clock)

    def _guard(self, turn: Turn) -> Turn:
        timer = self._timer(turn)
        with timer("embed"):
            turn.vector = self.embedder.embed_query(turn.question)
        with timer("guard"):
            turn.guard = self.guard.check(turn.question, turn.history, turn.vector)
        if turn.guard.decision == "refuse":
            turn.answer = self._refuse(turn)
        return turn

    def _matcher(self) -> SubjectMatcher:
        snapshot = self.store.snapshot()
        info = snapshot.info
        matcher = self._matchers.get(info.collection)
        if matcher is None:
            matcher = SubjectMatcher(info.subjects, known=snapshot.lexical.known)
            self._matchers = {info.collection: matcher}
        return matcher

    def _condense(self, turn: Turn) -> Turn:
        if turn.answer:
            return turn
        with self._timer(turn)("condense"):
            matcher = self._matcher()
            turn.standalone, turn.subjects = condense(turn.question, turn.history, matcher)
            if self.writer is not None and turn.history and turn.standalone != turn.question:
                try:
                    turn.standalone = self.writer.condense(turn.question, turn.history)
                    turn.subjects = matcher.find(turn.standalone) or turn.subjects
                except LLMFailure as exc:
                    log.warning("condense fell back to the deterministic rule: %s", exc)
            lexical = self.store.snapshot().lexical
            turn.unknown = unknown_names(turn.question, lambda t: lexical.known(t) or lexical.correct(t) is not None, self.embedder.is_word)
        return turn

    def _retrieve(self, turn: Turn) -> Turn:
        if turn.answer:
            return turn
        vector = turn.vector if turn.standalone == turn.question else None
        turn.retrieval = self.retriever.retrieve(turn.standalone, turn.subjects, self._timer(turn), vector=vector)
        return turn

    def _answer(self, turn: Turn) -> Turn:
        if turn.answer:
            return turn
        assert turn.retrieval is not None
        timer = self._timer(turn)
        with timer("compose"):
            cands = candidates(turn.retrieval)
            ev = evidence(turn.retrieval, cands, self.settings.abstain_threshold, self.settings.weak_threshold, self.embedder.is_word)
            if turn.unknown and (not turn.subjects or _COMPARISON.search(turn.question)):
                ev.level, ev.reason = "none", f"names something no monograph mentions: {', '.join(turn.unknown)}"
            if ev.level == "none" or not cands:
                turn.answer = self._abstain(turn, ev.to_dict())
                return turn
            text, citations = compose(turn.retrieval, select_lead(cands))
            mode = "extractive"
        guard = turn.guard
        if self.writer is not None:
            with timer("llm"):
                pool = [citation_for(n, passage) for n, passage in enumerate(turn.retrieval.passages[: self.settings.top_k], 1)]
                try:
                    written = self.writer.write(turn.standalone, pool, check=self.guard.check_output)
                    text, citations, mode = written.text, written.citations, "llm"
                except LLMFailure as exc:
                    log.warning("LLM answer rejected, extractive answer used: %s", exc)
                    if str(exc).startswith("output check"):
                        guard = GuardDecision(guard.decision, guard.category, f"{exc}; extractive answer shown", 1.0)
        late = self.guard.check_answer(turn.question, text)
        if late is not None:
            turn.guard = late
            turn.answer = self._refuse(turn)
            return turn
        if ev.level == "weak" and mode == "extractive":
            if ev.missing:
                missing = " or ".join(f"“{_as_asked(m, turn.standalone)}”" for m in ev.missing)
                text = f"{self.prompts.message('weak_evidence_missing', missing=missing)} {text}"
            else:
                text = f"{self.prompts.message('weak_evidence')} {text}"
        notice = None
        if guard.decision == "notice" or _DOSE_FIGURE.search(text):
            notice = self.guard.notice() or None
            if guard.decision == "allow" and notice:
                reason = "; ".join(r for r in ("the answer quotes doses used in trials", guard.reason) if r)
                guard = GuardDecision("notice", guard.category or "trial_doses", reason, guard.score)
        turn.answer = Answer(
            question=turn.question,
            status="answered",
            answer=text,
            citations=citations,
            guardrail=guard,
            mode=mode,
            standalone_question=turn.standalone,
            evidence=ev.to_dict(),
            notice=notice,
        )
        return turn

    def _abstain(self, turn: Turn, ev: dict) -> Answer:
        subjects = sorted(self.store.snapshot().info.subjects, key=str.lower)
        shown = subjects[:8] + ([f"{len(subjects) - 8} more"] if len(subjects) > 8 else [])
        covered = ", ".join(shown[:-1]) + (f" and {shown[-1]}" if len(shown) > 1 else "".join(shown))
        return Answer(
            question=turn.question,
            status="abstained",
            answer=self.prompts.message("abstain", subjects=covered or "no drugs yet"),
            guardrail=turn.guard,
            mode="none",
            standalone_question=turn.standalone,
            evidence=ev,
        )

    def _refuse(self, turn: Turn) -> Answer:
        """A short, kind refusal that offers the relevant safety (or regulatory) section instead, cited."""
        matcher = self._matcher()
        _, subjects = condense(turn.question, turn.history, matcher)
        subject = subjects[0] if subjects else None
        category = turn.guard.category or "dosing"
        text = self.guard.refusal(category, subject or self.prompts.message("refusal_no_subject"))
        citations: list[Citation] = []
        if subject:
            topic = "approved regulatory status legal" if category == "sourcing" else "side effects safety risks"
            with self._timer(turn)("retrieve_safety"):
                retrieval = self.retriever.retrieve(f"{subject} {topic}", [subject], self._timer(turn))
            if retrieval.passages:
                citations = [citation_for(1, retrieval.passages[0])]
                text = f"{text} {self.prompts.message('refusal_offer')} [1]"
        return Answer(
            question=turn.question,
            status="refused",
            answer=text,
            citations=citations,
            guardrail=turn.guard,
            mode="none",
            standalone_question=turn.question,
        )


def _as_asked(term: str, question: str) -> str:
    """The reader's own spelling of a (lowercased, stemmed) term: "Russia", not "russia"."""
    found = re.search(rf"\b({re.escape(term)}\w*)", question, re.IGNORECASE)
    return found.group(1) if found else term


def _default_guard(prompts: Prompts, embedder: Embedder, chat_model: Any | None, settings: Settings) -> Guard:
    from .guard import Guardrail
    from .guard.judge import LLMJudge

    judge = LLMJudge(chat_model, prompts, settings.llm_timeout) if chat_model is not None else None
    return Guardrail(prompts, embed=embedder.embed, judge=judge)


def build_bot(settings: Settings, **overrides: Any) -> Bot:
    """The production wiring: the settings' store, embedder and (optional) chat model."""
    from .index import get_embedder
    from .llm import chat_model_from_settings

    store = overrides.pop("store", None) or IndexStore(settings)
    embedder = overrides.pop("embedder", None) or get_embedder(settings)
    chat_model = overrides.pop("chat_model", None) or chat_model_from_settings(settings)
    return Bot(settings, store, embedder, chat_model=chat_model, **overrides)


__all__ = ["AllowAll", "Bot", "Guard", "IndexUnavailable", "build_bot"]
