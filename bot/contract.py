"""The answer contract: one typed object for the web API, `ask --json`, Slack and eval.

These pydantic models are the API's `response_model`s and documented error bodies, so the OpenAPI
schema describes exactly what every surface returns, and schemathesis checks responses against it.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer

from .badges import reviewed_label, strongest, study_type_label

Status = Literal["answered", "refused", "abstained"]
# How strong a cited source is, strongest first (bot/… study-type rules; "unknown" is never a guess).
StudyType = Literal[
    "systematic_review", "rct", "observational", "case_report", "animal_in_vitro", "regulatory", "unknown"
]
Mode = Literal["extractive", "llm", "none"]
Level = Literal["strong", "weak", "none"]


class Source(BaseModel):
    """A primary source behind an excerpt (the monograph's own [k] reference)."""

    n: int = Field(description="The monograph's own reference number, as in the excerpt's [k] markers.")
    citation: str = Field(description="The reference as the monograph lists it.")
    pmid: str | None = Field(default=None, description="PubMed ID, when the reference has one.")
    doi: str | None = Field(default=None, description="DOI, when the reference has one.")
    link: str | None = Field(default=None, description="The reference's own http(s) link, when the page gives one.")
    study_type: StudyType | None = Field(default=None, description="What kind of study the reference is.")

    @computed_field(description="Where to read the source: PubMed, else the DOI resolver, else its own link.")  # type: ignore[prop-decorator]
    @property
    def url(self) -> str | None:
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.link


class Citation(BaseModel):
    """One cited excerpt: answer markers [n] refer to `n`."""

    n: int
    doc: str = Field(description="Monograph slug.")
    title: str
    section: str
    url: str = Field(description="Link to the monograph section.")
    excerpt: str = Field(description="The passage, verbatim.")
    sources: list[Source] = Field(default_factory=list)
    study_type: StudyType | None = Field(default=None, description="The strongest study type among `sources`.")
    reviewed: str | None = Field(
        default=None, description="When the monograph was last reviewed (ISO date, YYYY-MM or YYYY-MM-DD)."
    )


class GuardDecision(BaseModel):
    """What the guardrail decided about the conversation, and why."""

    decision: Literal["allow", "refuse", "notice"] = "allow"
    category: str | None = None
    reason: str = ""
    score: float = 0.0


class Evidence(BaseModel):
    """How well the monographs support the answer; `level` none means the bot abstained."""

    score: float
    chunk: float
    sentence: float
    coverage: float
    level: Level
    reason: str = ""
    missing: list[str] = Field(default_factory=list, description="Topic words the cited passages lack.")
    signals: dict[str, float] = Field(default_factory=dict, description="The answerability model's inputs, for eval.")
    strongest_source: StudyType | None = Field(default=None, description="The strongest study type behind the answer.")


class Retrieved(BaseModel):
    """A ranked passage the answer was chosen from (eval and debugging only)."""

    doc: str
    section: str
    url: str
    score: float
    cosine: float


class Answer(BaseModel):
    """The answer object of `monobot ask --json`, `POST /api/chat` and the stream's `done` event."""

    model_config = ConfigDict(validate_assignment=False)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    question: str
    status: Status
    answer: str = Field(description="Text with [n] markers that refer to `citations`.")
    citations: list[Citation] = Field(default_factory=list)
    guardrail: GuardDecision = Field(default_factory=GuardDecision)
    notice: str | None = Field(default=None, description="The trial-dose notice, when the answer quotes doses.")
    stale_notice: str | None = Field(
        default=None, description="Set when a cited monograph is older than the staleness limit."
    )
    suggestions: list[str] = Field(
        default_factory=list, description="Up to three follow-up questions from the cited monographs' other sections."
    )
    mode: Mode = "extractive"
    standalone_question: str = ""
    evidence: Evidence | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    retrieved: list[Retrieved] = Field(default_factory=list, exclude=True)

    @field_serializer("timings_ms")
    def _rounded(self, timings: dict[str, float]) -> dict[str, float]:
        return {k: round(v, 2) for k, v in timings.items()}

    def to_dict(self, include_retrieved: bool = False) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if include_retrieved:
            data["retrieved"] = [r.model_dump(mode="json") for r in self.retrieved]
        return data

    def render_text(self) -> str:
        """For a person at a terminal: the answer and its notices, then the numbered excerpts, each with its
        strongest study type and review date, and its sources, each followed by its own study type."""
        lines = [self.answer]
        for notice in (self.notice, self.stale_notice):
            if notice:
                lines += ["", notice]
        for c in self.citations:
            kind = study_type_label(c.study_type or strongest(s.study_type for s in c.sources))
            tags = [t for t in (kind, reviewed_label(c.reviewed)) if t]
            lines += ["", f"[{c.n}] {c.title} — {c.section}" + (f" ({'; '.join(tags)})" if tags else "")]
            lines += [f"    {c.url}"] + [f"    > {line}" for line in c.excerpt.splitlines()]
            for s in c.sources:
                pm = f" PMID {s.pmid} ({s.url})" if s.pmid else ""
                label = study_type_label(s.study_type)
                lines.append(f"    · [{s.n}] {s.citation.split('. PMID')[0]}{pm}" + (f" — {label}" if label else ""))
        return "\n".join(lines)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_request, rate_limited, unavailable.")
    message: str = Field(description="What went wrong, for a person.")
    request_id: str = Field(description="Also in the X-Request-ID header and the server log.")


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorDetail


class FeedbackAck(BaseModel):
    ok: bool = True


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """`/readyz`: ready (200) with what is being served, or unavailable (503) with the reason."""

    status: Literal["ready", "unavailable"]
    reason: str | None = None
    generation: int | None = None
    chunks: int | None = None
    documents: int | None = None
