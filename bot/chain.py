"""guard → condense → retrieve → assess → draft → finalize → present: one LangChain runnable behind every surface.

The CLI, the web API, Slack and eval all call `Bot.ask`, which invokes `Bot.chain`, so a fix to the
chain reaches every surface and eval measures exactly what users get. Each step has one job:

- *guard*: embed the question once and let the guardrail refuse before anything is retrieved;
- *condense*: make a follow-up standalone (the conversation's subject, or the LLM's rewrite);
- *retrieve*: hybrid dense + BM25 search;
- *assess*: the one place that decides whether the monographs answer the question (else abstain);
- *draft*: the extractive answer, or the LLM's when one is configured and its text passes every check;
- *finalize*: the guardrail's last word on the drafted text (late refusal, or the trial-dose notice);
- *present*: the weak-evidence wording.

Dependencies (store, embedder, chat model, guard, clock) are passed in, so tests swap them without
monkeypatching. The question's LLM time budget travels in the Turn, so every step that may call a model
(the guard's judge, condense, the writer) draws on the same deadline.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
from langchain_core.runnables import Runnable, RunnableConfig

from .badges import stale_notice, strongest
from .compose import citation_for, compose, reviewed_of, select_lead
from .contract import Answer, Citation, Evidence, GuardDecision, Mode, Retrieved
from .embedding import Embedder
from .evidence import AnswerabilityModel, Assessor, Candidate, candidates
from .index import IndexStore, Snapshot
from .llm import LLMBudget, LLMFailure, LLMWriter, OutputBlocked, active_budget
from .prompts import Prompts
from .retrieve import Retrieval, Retriever, StageTimer
from .settings import Settings
from .spelling import Respeller
from .subjects import SubjectMatcher, condense, focus, unknown_names
from .suggest import sections_from_records, suggestions
from .vocab import Commonness, lexicon_cache

log = logging.getLogger(__name__)


class Guard(Protocol):
    """The guardrail's side of the chain: judge the conversation, judge text, and word the outcome."""

    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision: ...

    def check_output(self, text: str) -> GuardDecision | None: ...

    def finalize(self, question: str, text: str, decision: GuardDecision) -> GuardDecision: ...

    def refusal(self, category: str, subject: str | None) -> str: ...

    def notice(self) -> str: ...


class AllowAll:
    """No guardrail: for tests of the rest of the chain, and for measuring what the guardrail costs."""

    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision:
        return GuardDecision()

    def check_output(self, text: str) -> GuardDecision | None:
        return None

    def finalize(self, question: str, text: str, decision: GuardDecision) -> GuardDecision:
        return decision

    def refusal(self, category: str, subject: str | None) -> str:
        return "I can't help with that."

    def notice(self) -> str:
        return ""


@dataclass
class Draft:
    """An answer's text before the guardrail's last word: quoted sentences, or the LLM's checked text."""

    text: str
    citations: list[Citation]
    mode: Mode
    blocked: GuardDecision | None = None  # the LLM's text failed the output check; this is the extractive one


@dataclass
class Turn:
    """State passed between the chain's steps."""

    question: str
    history: list[dict]
    budget: LLMBudget
    timings: dict[str, float] = field(default_factory=dict)
    vector: np.ndarray | None = None  # the question's embedding, computed once for guard and retrieval
    guard: GuardDecision = field(default_factory=GuardDecision)
    standalone: str = ""
    subjects: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    retrieval: Retrieval | None = None
    candidates: list[Candidate] = field(default_factory=list)
    evidence: Evidence | None = None
    draft: Draft | None = None
    answer: Answer | None = None


class Bot:
    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        embedder: Embedder,
        guard: Guard,
        prompts: Prompts | None = None,
        chat_model: Any | None = None,
        clock: Callable[[], float] = time.perf_counter,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.guard = guard
        self.prompts = prompts or Prompts(settings.prompts_dir)
        self.writer = (
            LLMWriter(chat_model, self.prompts, settings.llm_timeout, settings.llm_context_tokens)
            if chat_model is not None
            else None
        )
        self.clock = clock
        self.today = today  # for the staleness notice; tests pass a fixed date
        self.retriever = Retriever(store, embedder, exact_rows=settings.exact_search_rows)
        self._matchers: dict[str, SubjectMatcher] = {}
        self._assessor: Assessor | None = None
        self._lexicon: Commonness | None = None
        self._respeller: Respeller | None = None
        self._sections: dict[str, dict[str, list[str]]] = {}
        steps = [
            ("guard", self._guard),
            ("condense", self._condense),
            ("retrieve", self._retrieve),
            ("assess", self._assess),
            ("draft", self._draft),
            ("finalize", self._finalize),
            ("present", self._present),
        ]
        self.chain: Runnable = _Step("start", self._start)
        for name, step in steps:
            self.chain = self.chain | _Step(name, _skip_when_answered(step))

    # -- public
    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        started = self.clock()
        turn: Turn = self.chain.invoke({"question": question, "history": history or []})
        assert turn.answer is not None
        turn.timings["total"] = (self.clock() - started) * 1000
        turn.answer.timings_ms = turn.timings
        if turn.retrieval is not None:
            turn.answer.retrieved = [
                Retrieved(
                    doc=p.first.doc,
                    section=p.first.section,
                    url=p.first.url,
                    score=round(p.score, 5),
                    cosine=round(p.cosine, 4),
                )
                for p in turn.retrieval.passages
            ]
        return turn.answer

    # -- steps
    def _start(self, request: dict) -> Turn:
        """The question's state, with its one LLM time budget (judge, condense and writer share it)."""
        return Turn(
            question=str(request["question"]).strip(),
            history=list(request["history"]),
            budget=LLMBudget(self.settings.llm_timeout),
        )

    def _timer(self, turn: Turn) -> StageTimer:
        return StageTimer(turn.timings, self.clock)

    def _guard(self, turn: Turn) -> None:
        timer = self._timer(turn)
        with timer("embed"):
            turn.vector = self.embedder.embed_query(turn.question)
        with timer("guard"), active_budget(turn.budget):
            turn.guard = self.guard.check(turn.question, turn.history, turn.vector)
        if turn.guard.decision == "refuse":
            turn.answer = self._refuse(turn)

    def _matcher(self) -> SubjectMatcher:
        snapshot = self.store.snapshot()
        matcher = self._matchers.get(snapshot.info.collection)
        if matcher is None:
            matcher = SubjectMatcher(
                snapshot.info.subjects,
                known=snapshot.lexical.known,
                aliases=snapshot.info.aliases,
                cased=snapshot.info.cased_aliases,
            )
            self._matchers = {snapshot.info.collection: matcher}
        return matcher

    def _condense(self, turn: Turn) -> None:
        with self._timer(turn)("condense"):
            matcher = self._matcher()
            turn.standalone, turn.subjects = condense(focus(turn.question, matcher), turn.history, matcher)
            if self.writer is not None and turn.history and turn.standalone != turn.question:
                try:
                    turn.standalone = self.writer.condense(turn.question, turn.history, turn.budget)
                    turn.subjects = matcher.find(turn.standalone) or turn.subjects
                except LLMFailure as exc:
                    log.warning("condense fell back to the deterministic rule: %s", exc.kind)
            lexical = self.store.snapshot().lexical
            turn.standalone = self.respeller().respell(turn.standalone, matcher, lexical.known)
            turn.unknown = unknown_names(
                turn.question, lambda t: lexical.known(t) or lexical.correct(t) is not None, self.embedder.is_word
            )

    def _retrieve(self, turn: Turn) -> None:
        vector = turn.vector if turn.standalone == turn.question else None
        turn.retrieval = self.retriever.retrieve(turn.standalone, turn.subjects, self._timer(turn), vector=vector)

    def lexicon(self) -> Commonness:
        """The word-commonness table, loaded on first use; ingest builds it into the store's model cache."""
        if self._lexicon is None:
            self._lexicon = Commonness.load(lexicon_cache(self.settings))
        return self._lexicon

    def respeller(self) -> Respeller:
        if self._respeller is None:
            self._respeller = Respeller(self.lexicon())
        return self._respeller

    def assessor(self) -> Assessor:
        """The answerability model (prompts/answerability.json) and the commonness table it reads."""
        if self._assessor is None:
            model = AnswerabilityModel.load(self.prompts.directory / "answerability.json")
            self._assessor = Assessor(
                model,
                self.lexicon(),
                self.embedder.is_word,
                self.settings.abstain_threshold,
                self.settings.weak_threshold,
            )
        return self._assessor

    def _assess(self, turn: Turn) -> None:
        assert turn.retrieval is not None
        with self._timer(turn)("compose"):
            turn.candidates = candidates(turn.retrieval)
            turn.evidence = self.assessor().assess(turn.retrieval, turn.candidates, turn.unknown)
        if turn.evidence.level == "none":
            turn.answer = self._abstain(turn, turn.evidence)

    def _draft(self, turn: Turn) -> None:
        assert turn.retrieval is not None
        with self._timer(turn)("compose"):
            text, citations = compose(turn.retrieval, select_lead(turn.candidates))
        turn.draft = Draft(text, citations, "extractive")
        if self.writer is None:
            return
        with self._timer(turn)("llm"):
            passages = turn.retrieval.passages[: self.settings.top_k]
            pool = [citation_for(n, p, reviewed_of(turn.retrieval, p)) for n, p in enumerate(passages, 1)]
            try:
                written = self.writer.write(turn.standalone, pool, turn.budget, check=self.guard.check_output)
                turn.draft = Draft(written.text, written.citations, "llm")
            except OutputBlocked as exc:
                log.warning(
                    "LLM answer blocked by the output check, extractive answer used (%s)", exc.decision.category
                )
                turn.draft.blocked = exc.decision
            except LLMFailure as exc:
                log.warning("LLM answer rejected, extractive answer used: %s", exc.kind)

    def _finalize(self, turn: Turn) -> None:
        """The guardrail's last word on the text a reader would see: a late refusal, or the trial-dose notice."""
        assert turn.draft is not None
        decision = turn.guard
        if turn.draft.blocked is not None:
            decision = decision.model_copy(
                update={"reason": f"output check: {turn.draft.blocked.reason}; extractive answer shown", "score": 1.0}
            )
        final = self.guard.finalize(turn.question, turn.draft.text, decision)
        if final.decision == "refuse":
            turn.guard = final
            turn.answer = self._refuse(turn)
            return
        turn.guard = final

    def _present(self, turn: Turn) -> None:
        assert turn.draft is not None and turn.evidence is not None
        text = turn.draft.text
        ev = turn.evidence
        if ev.level == "weak" and turn.draft.mode == "extractive":
            if ev.missing:
                missing = " or ".join(f"“{_as_asked(m, turn.standalone)}”" for m in ev.missing)
                text = f"{self.prompts.message('weak_evidence_missing', missing=missing)} {text}"
            else:
                text = f"{self.prompts.message('weak_evidence')} {text}"
        notice = (self.guard.notice() or None) if turn.guard.decision == "notice" else None
        ev = ev.model_copy(update={"strongest_source": strongest(c.study_type for c in turn.draft.citations)})
        stale = stale_notice(
            [c.reviewed for c in turn.draft.citations],
            self.today(),
            self.settings.stale_after_months,
            self.prompts.text("messages/stale_notice"),
        )
        snapshot = self.store.snapshot()
        subjects = {doc: info.get("subject", "") for doc, info in snapshot.info.docs.items()}
        follow_ups = suggestions(turn.draft.citations, self._sections_of(snapshot), subjects=subjects)
        turn.answer = Answer(
            question=turn.question,
            status="answered",
            answer=text,
            citations=turn.draft.citations,
            guardrail=turn.guard,
            mode=turn.draft.mode,
            standalone_question=turn.standalone,
            evidence=ev,
            notice=notice,
            stale_notice=stale,
            suggestions=follow_ups,
        )

    def _sections_of(self, snapshot: Snapshot) -> dict[str, list[str]]:
        """Each document's section headings, once per generation: from the live pointer, where ingest keeps
        them; an index written before that is scanned row by row (0.5 s at 20,000 chunks) instead."""
        name = snapshot.info.collection
        if name not in self._sections:
            docs = snapshot.info.docs
            if all("sections" in info for info in docs.values()):
                self._sections = {name: {doc: list(info["sections"]) for doc, info in docs.items()}}
            else:
                records = snapshot.records
                rows = (records.record(i) for i in range(records.rows)) if records is not None else iter(())
                self._sections = {name: sections_from_records(rows)}
        return self._sections[name]

    # -- the other outcomes
    def _abstain(self, turn: Turn, ev: Evidence) -> Answer:
        subjects = sorted(self.store.snapshot().info.subjects, key=str.lower)
        shown = subjects[:8] + ([f"{len(subjects) - 8} more"] if len(subjects) > 8 else [])
        covered = ", ".join(shown[:-1]) + (f" and {shown[-1]}" if len(shown) > 1 else "".join(shown))
        message = "out_of_scope" if ev.reason.startswith("out of scope") else "abstain"
        return Answer(
            question=turn.question,
            status="abstained",
            answer=self.prompts.message(message, subjects=covered or "no drugs yet"),
            guardrail=turn.guard,
            mode="none",
            standalone_question=turn.standalone,
            evidence=ev,
        )

    def _refuse(self, turn: Turn) -> Answer:
        """A short, kind refusal that offers the relevant safety (or regulatory) section instead, cited."""
        _, subjects = condense(turn.question, turn.history, self._matcher())
        subject = subjects[0] if subjects else None
        category = turn.guard.category or "dosing"
        text = self.guard.refusal(category, subject or self.prompts.message("refusal_no_subject"))
        citations: list[Citation] = []
        if subject:
            topic = "approved regulatory status legal" if category == "sourcing" else "side effects safety risks"
            with self._timer(turn)("retrieve_safety"):
                retrieval = self.retriever.retrieve(f"{subject} {topic}", [subject], self._timer(turn))
            if retrieval.passages:
                citations = [citation_for(1, retrieval.passages[0], reviewed_of(retrieval, retrieval.passages[0]))]
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


class _Step(Runnable[Any, Turn]):
    """One step of the chain as a LangChain Runnable. RunnableLambda inspects its function's signature on
    every call (about 1 ms a step, 6 ms a question on the bench machine); a step takes neither config nor
    callbacks, so it is called directly. The sequence still traces each step by name."""

    def __init__(self, name: str, fn: Callable[[Any], Turn]) -> None:
        self.name = name
        self._fn = fn

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Turn:
        return self._fn(input)


def _skip_when_answered(step: Callable[[Turn], None]) -> Callable[[Turn], Turn]:
    """A step runs until some earlier step has produced the answer (a refusal or an abstention)."""

    def run(turn: Turn) -> Turn:
        if turn.answer is None:
            step(turn)
        return turn

    run.__name__ = step.__name__
    return run


def _as_asked(term: str, question: str) -> str:
    """The reader's own spelling of a (lowercased, stemmed) term: "Russia", not "russia"."""
    found = re.search(rf"\b({re.escape(term)}\w*)", question, re.IGNORECASE)
    return found.group(1) if found else term


__all__ = ["AllowAll", "Bot", "Draft", "Guard", "Turn"]
