"""A stand-in for the chain, for transport tests (web API, SSE, Slack): fixed answers, every call recorded.

Transport tests check what the transport does with an answer (status codes, event order, escaping,
threads), so they must not depend on the corpus's wording or on retrieval.
"""

from __future__ import annotations

import uuid

from bot.contract import Answer, Citation, GuardDecision, Source
from bot.index import IndexUnavailable, LiveInfo

ANSWERED = Answer(
    question="",
    status="answered",
    answer="Trial participants tolerated it about as well as placebo. [1] A rare allergic reaction was reported. [1]",
    citations=[
        Citation(
            n=1,
            doc="fake-monograph",
            title="Fake monograph",
            section="Safety",
            url="https://example.org/monographs/fake-monograph#safety",
            excerpt="Trial participants tolerated it about as well as placebo.[1] A rare allergic reaction was reported.[2]",
            sources=[
                Source(n=1, citation="Doe J (2020). A randomised trial. J Fake. PMID 123", pmid="123"),
                Source(n=2, citation="Roe R (2021). A case report."),
            ],
        )
    ],
)
REFUSED = Answer(
    question="",
    status="refused",
    answer="I can't help with where to buy it. The safety section is here instead. [1]",
    citations=ANSWERED.citations,
    guardrail=GuardDecision(decision="refuse", category="sourcing", reason="fixed", score=1.0),
    mode="none",
)


class FakeStore:
    """Readiness without an index: `available` says whether the 'store' answers."""

    def __init__(self) -> None:
        self.available = True
        self.forgotten = 0

    def snapshot(self) -> object:
        if not self.available:
            raise IndexUnavailable("the fake store is down")
        return object()

    def ping(self) -> LiveInfo:
        self.snapshot()
        return LiveInfo(
            collection="fake-g000001",
            generation=1,
            model_id="fake",
            dim=3,
            docs={"fake-monograph": {"title": "Fake"}},
            chunks=2,
            created=0.0,
        )

    def forget(self) -> None:
        self.forgotten += 1


class FakeBot:
    """Answers every question with a fixed answer (REFUSED for the questions in `refuse`)."""

    def __init__(self, refuse: tuple[str, ...] = ("Where can I buy BPC-157?",)) -> None:
        self.store = FakeStore()
        self.refuse = refuse
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        self.calls.append((question, list(history or [])))
        if not self.store.available:
            raise IndexUnavailable("the fake store is down")
        base = REFUSED if question in self.refuse else ANSWERED
        return base.model_copy(
            update={
                "id": uuid.uuid4().hex,
                "question": question,
                "standalone_question": question,
                "timings_ms": {"total": 1.0},
            },
            deep=True,
        )
