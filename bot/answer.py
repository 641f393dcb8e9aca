"""The answer object: the one output contract that the CLI, the web API, Slack and eval all share."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["answered", "refused", "abstained"]


@dataclass
class SourceRef:
    """A primary source behind an excerpt (the monograph's own [k] reference)."""

    n: int
    citation: str
    pmid: str | None = None

    @property
    def pubmed_url(self) -> str | None:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else None


@dataclass
class Citation:
    n: int
    doc: str
    title: str
    section: str
    url: str
    excerpt: str
    sources: list[SourceRef] = field(default_factory=list)


@dataclass
class GuardDecision:
    decision: Literal["allow", "refuse", "notice"] = "allow"
    category: str | None = None
    reason: str = ""
    score: float = 0.0


@dataclass
class Answer:
    question: str
    status: Status
    answer: str
    citations: list[Citation] = field(default_factory=list)
    guardrail: GuardDecision = field(default_factory=GuardDecision)
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: Literal["extractive", "llm", "none"] = "extractive"
    standalone_question: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    notice: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Ranked passages the answer was chosen from (doc, section, url, score): for eval and debugging,
    # included in to_dict() only on request so the public contract stays small.
    retrieved: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, include_retrieved: bool = False) -> dict[str, Any]:
        data = asdict(self)
        for citation, raw in zip(self.citations, data["citations"]):
            for source, raw_source in zip(citation.sources, raw["sources"]):
                raw_source["url"] = source.pubmed_url
        return {
            "id": data["id"],
            "question": data["question"],
            "status": data["status"],
            "answer": data["answer"],
            "citations": data["citations"],
            "guardrail": data["guardrail"],
            "notice": data["notice"],
            "mode": data["mode"],
            "standalone_question": data["standalone_question"],
            "evidence": data["evidence"],
            "timings_ms": {k: round(v, 2) for k, v in data["timings_ms"].items()},
        } | ({"retrieved": data["retrieved"]} if include_retrieved else {})

    def render_text(self) -> str:
        """For a person at a terminal: the answer, then the numbered excerpts with their sources."""
        lines = [self.answer]
        if self.notice:
            lines += ["", self.notice]
        for c in self.citations:
            lines += ["", f"[{c.n}] {c.title} — {c.section}", f"    {c.url}"]
            lines += [f"    > {line}" for line in c.excerpt.splitlines()]
            for s in c.sources:
                pm = f" PMID {s.pmid} ({s.pubmed_url})" if s.pmid else ""
                lines.append(f"    · [{s.n}] {s.citation.split('. PMID')[0]}{pm}")
        return "\n".join(lines)
