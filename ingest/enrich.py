"""One step after parsing, before chunking (issue 18): what readers are told about the evidence.

Every source gets its study type (ingest/studytype.py), so each chunk's source dicts carry `study_type`
to the answer; the document gets the date it was last reviewed (ingest/reviewed.py), which the index keeps
per document beside its title. Called once per parsed Document by ingest/pipeline.parse_and_chunk.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from . import reviewed, studytype
from .model import Document


def enrich(document: Document, raw: bytes, fmt: str, *, reviewed_default: str | None = None, today: date) -> Document:
    """The document with study types on its sources and its review date (`reviewed_default` when the
    page gives none); what was skipped (a date in the future, a front-matter date that is not one) is
    added to its notes for the ingest summary."""
    sources = {n: replace(s, study_type=studytype.classify(s)) for n, s in document.sources.items()}
    found = reviewed.review_date(document, raw, fmt, today, reviewed_default)
    return replace(document, sources=sources, reviewed=found.date, notes=[*document.notes, *found.notes])


def version() -> str:
    """What enrichment depends on besides the file (both rule files): part of the index fingerprint."""
    return f"{studytype.rules().version}|{reviewed.version()}"
