"""The extractive answer: the sentences that best answer the question, quoted from the monographs, each cited.

No text is generated, so no figure can be wrong: every sentence of the lead is a sentence of a cited
excerpt (with the monograph's own [k] source markers moved into the citation's sources). Sentences are
ranked with vectors pooled at ingest, so answering costs no extra embedding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .answer import Citation, SourceRef
from .index import ChunkRecord
from .retrieve import Passage, Retrieval
from .text import CITE_RE, expand, figures, normalize, terms

MAX_LEAD = 4
LEAD_MARGIN = 0.1


@dataclass
class Candidate:
    passage: int
    chunk_ordinal: int
    position: int
    text: str
    score: float
    cosine: float


@dataclass
class Evidence:
    score: float
    chunk: float
    sentence: float
    coverage: float
    level: str
    reason: str = ""
    missing: list[str] = field(default_factory=list)  # topic words the passages lack, for the weak-evidence wording

    def to_dict(self) -> dict:
        return {
            "score": round(self.score, 4),
            "chunk": round(self.chunk, 4),
            "sentence": round(self.sentence, 4),
            "coverage": round(self.coverage, 4),
            "level": self.level,
            "reason": self.reason,
            "missing": self.missing,
        }


# Sentences that point elsewhere rather than state evidence ("see our review", "this page is about").
_META_RE = re.compile(
    r"\b(this page|this monograph|see the|see our|return to|as our|lays out|read on|below we|we look at|covered separately|(?:is|are) covered (?:in|by|separately)|"
    r"companion monographs?|other monographs?|(?:the )?[\w-]+ monograph\b)",
    re.I,
)


_QUANTITY_RE = re.compile(
    r"\b(how (many|much|often|long|common|likely)|what (percentage|proportion|share|number|rate|dose|doses)|risk ratio|odds|rate|rates|"
    r"percent|percentage|figure|figures|number|numbers|estimate|interval|rr|ci|statistic\w*|incidence|frequency)\b",
    re.I,
)


def asks_quantity(question: str) -> bool:
    return bool(_QUANTITY_RE.search(question))


@dataclass(frozen=True)
class SentenceInfo:
    """What ranking needs of one sentence, independent of the question: worked out once (at ingest)."""

    text: str  # as quoted: source markers removed, a table row labelled by its header
    terms: frozenset[str]
    bonus: float  # sourced (+0.03), very short (-0.04)
    digit: bool
    skip: bool  # too short to quote, or a signpost ("covered in the side-effects monograph")


def _info(raw: str, text: str, kind: str, with_terms: bool = False) -> SentenceInfo:
    bonus = (0.03 if kind == "table" or CITE_RE.search(raw) else 0.0) - (0.04 if len(text.split()) < 8 else 0.0)
    found = frozenset(expand(terms(text))) if with_terms else frozenset()
    return SentenceInfo(text, found, bonus, bool(re.search(r"\d", text)), len(text) < 20 or bool(_META_RE.search(text)))


def sentence_info(record: ChunkRecord) -> list[SentenceInfo]:
    """The record's sentences for ranking; precomputed rows (bot/records.py) carry them already."""
    if record.sentence_info is None and record.precomputed is not None:
        record.sentence_info = [SentenceInfo(t, frozenset(found), bonus, digit, skip) for t, found, bonus, digit, skip in record.precomputed[0]]
    if record.sentence_info is None:
        raws = [record.text] if record.kind == "table" else [record.text[a:b] for a, b in record.sentences]
        record.sentence_info = [_info(raw, text, record.kind, with_terms=True) for raw, text in zip(raws, record.sentence_texts())]
    return record.sentence_info


def chunk_terms(record: ChunkRecord) -> frozenset[str]:
    """The chunk's terms with its heading and title, as the topic check matches them (precomputed rows carry them)."""
    return record.chunk_terms if record.chunk_terms is not None else frozenset(expand(terms(f"{record.text} {record.section} {record.title}")))


def candidates(retrieval: Retrieval, limit_passages: int = 6) -> list[Candidate]:
    qvec = retrieval.vector
    lexical = retrieval.snapshot.lexical
    subject_terms = {t for s in retrieval.subjects for t in terms(s)}
    qterms = [t for t in dict.fromkeys(terms(retrieval.query)) if t not in subject_terms]
    weights = {t: lexical.term_idf(t) for t in qterms}
    total = sum(weights.values()) or 1.0
    digit_bonus = 0.06 if asks_quantity(retrieval.query) else 0.015
    out: list[Candidate] = []
    for p_index, passage in enumerate(retrieval.passages[:limit_passages]):
        for hit in passage.hits:
            record = hit.record
            vectors = record.sentence_vectors
            infos = sentence_info(record)
            cosines = vectors @ qvec if vectors is not None and len(vectors) == len(infos) else None
            for k, info in enumerate(infos):
                if info.skip:
                    continue
                s_cos = float(cosines[k]) if cosines is not None else hit.cosine
                overlap = sum(w for t, w in weights.items() if t in info.terms) / total
                score = 0.5 * s_cos + 0.3 * hit.cosine + 0.2 * overlap + info.bonus + digit_bonus * info.digit - 0.01 * p_index
                out.append(Candidate(p_index, record.chunk_index, k, info.text, score, s_cos))
    return out


# Words that carry the question's form, not its topic: they must not count as lexical support.
_GENERIC = frozenset(
    """find found show showed say said tell know mean use used using take taking took help helps helped work works worked good bad thing
    things get make give gave given does did way ways much many lot anything something someone people person really actually ever
    long soon often giving look looks looked like relevant usual usually seen see cause causes caused conclude concluded consist consists
    happen happens happened alongside recommendation recommend copy fix start started exist exists kind type sort part stuff true real
    wat whats wats ppl u ur r pls plz thx abt bc cuz gonna wanna tho what which
    shouldn couldn wouldn didn doesn isn aren wasn weren don won hasn haven
    concern concerns worry worries issue issues problem problems treatment treatments treat treated therapy
    table summary section monograph monographs page article site text""".split()
)
STRONG_DENSE = 0.68  # with no topic word of the question in the passages, only a very close paraphrase counts
LEXICAL_COVERAGE = 0.5  # without a named subject, a rare exact term (a trial name) can carry the question
LEXICAL_FLOOR = 0.12
KEY_TERM_DENSE = 0.80  # only a near-verbatim paraphrase may skip a topic word the passages lack
UNKNOWN_COVERAGE = 0.45  # a word no monograph uses abstains only when little else of the question is covered
KEY_COVERAGE = 0.75  # below this share of the topic (IDF-weighted), a missing topic word means "not covered"


def _topic(retrieval: Retrieval) -> list[str]:
    """The question's topic words: not the subject (nor a misspelling of it), not form words, not bare digits."""
    from .subjects import edit_distance

    subject_terms = {t for s in retrieval.subjects for t in terms(s)}
    out = []
    for t in dict.fromkeys(terms(retrieval.query)):
        if t in subject_terms or t in _GENERIC or t.isdigit() or len(t) < 2:
            continue
        if len(t) >= 6 and any(edit_distance(t, s, 2) <= 2 for s in subject_terms):
            continue  # "cerebrolisin"
        out.append(t)
    return out


def _present(term: str, fixed: str | None, present: set[str]) -> bool:
    if term in present or (fixed is not None and fixed in present):
        return True
    if any(s in present for s in expand([fixed] if fixed else [term])):
        return True
    # "old" meets "older", "russia" meets "russian": a shared stem of at least four letters (three for a three-letter word).
    size = 3 if len(term) == 3 else 4
    if len(term) >= size:
        return any(len(w) >= size and (w.startswith(term) or (term.startswith(w) and len(w) >= len(term) - 2)) for w in present)
    return False


def coverage(retrieval: Retrieval, passages: int = 3, is_word: Callable[[str], bool] = lambda w: False) -> tuple[float, bool, list[str], list[str]]:
    """Share (IDF-weighted) of the question's topic words found in the top passages, whether it has any,
    the missing topic words the corpus never uses anywhere ("pregnancy": nothing to answer from), and the
    missing ones it uses elsewhere ("Russia", in another monograph: this passage is only near the question)."""
    lexical = retrieval.snapshot.lexical
    topic = _topic(retrieval)
    if not topic:
        return 1.0, False, [], []
    present: set[str] = set()
    for p in retrieval.passages[:passages]:
        for h in p.hits:
            present |= chunk_terms(h.record)
    weights = {t: lexical.term_idf(t) for t in topic}
    total = sum(weights.values()) or 1.0
    found = 0.0
    unknown: list[str] = []
    elsewhere: list[str] = []
    for t, w in weights.items():
        # A real word ("shelf") is what the reader meant, not a misspelling of a corpus word ("self").
        fixed = None if is_word(t) else lexical.correct(t)
        if _present(t, fixed, present):
            found += w
        elif fixed is not None or any(lexical.known_stem(x) for x in expand([t])):
            elsewhere.append(fixed or t)
        elif t.isalpha() and ((is_word(t) and len(t) >= 3) or len(t) >= 6):
            # "modelled", "bigger", "quickly" describe the question more often than they name its topic.
            (elsewhere if len(t) > 5 and t.endswith(("ed", "er", "ly", "est")) else unknown).append(t)
        else:
            found += w * 0.5  # slang or an uncorrectable typo ("ppl"): neither evidence for nor against
    unknown.sort(key=lambda t: -weights[t])
    return found / total, True, unknown, elsewhere


def exact_figures(retrieval: Retrieval, passages: int = 3) -> bool:
    """The question quotes a figure ("RR 2.39", "1,335 participants") that a top passage states verbatim."""
    wanted = set(figures(normalize(retrieval.query)))
    if not wanted:
        return False
    found: set[str] = set()
    for p in retrieval.passages[:passages]:
        found |= set(figures(normalize(p.text)))
    return wanted <= found


def evidence(retrieval: Retrieval, cands: list[Candidate], abstain: float, weak: float, is_word: Callable[[str], bool] = lambda w: False) -> Evidence:
    """Do the monographs answer this? Dense similarity, checked against lexical support for the topic.

    A question naming a subject ("Is Cerebrolysin safe in pregnancy?") is close to every chunk about that
    subject, so dense similarity alone would answer it from the nearest safety paragraph; the words that
    name its topic ("pregnancy") must also appear in the passages, unless the paraphrase is near-verbatim.
    An exact figure quoted from a passage ("RR 2.39") is evidence however short the question. Without a
    subject, an exact rare term (a trial name the small embedding model does not know) can carry the
    question.
    """
    chunk = max((p.cosine for p in retrieval.passages[:3]), default=0.0)
    sentence = max((c.cosine for c in cands), default=0.0)
    score = 0.5 * chunk + 0.5 * sentence
    cov, has_topic, unknown, elsewhere = coverage(retrieval, is_word=is_word)
    if exact_figures(retrieval):
        return Evidence(score, chunk, sentence, cov, "strong", "quotes a figure the passages state")
    if unknown and cov < UNKNOWN_COVERAGE and score < KEY_TERM_DENSE:
        return Evidence(score, chunk, sentence, cov, "none", f"the monographs never mention {', '.join(repr(m) for m in unknown[:3])}")
    if retrieval.subjects and has_topic and cov == 0 and score < STRONG_DENSE:
        return Evidence(score, chunk, sentence, cov, "none", "the passages about this subject never mention the question's topic")
    if not retrieval.subjects and has_topic and cov >= LEXICAL_COVERAGE and score >= LEXICAL_FLOOR and score < abstain:
        level = "strong" if cov >= 0.8 else "weak"
        return Evidence(score, chunk, sentence, cov, level, "matched on exact terms (names the embedding model does not know)")
    if score < abstain:
        return Evidence(score, chunk, sentence, cov, "none", "no passage is close enough to the question")
    if (elsewhere or unknown) and cov < KEY_COVERAGE:
        lacking = (unknown + elsewhere)[:3]
        return Evidence(score, chunk, sentence, cov, "weak", f"the passages do not mention {', '.join(repr(m) for m in lacking)}", lacking)
    return Evidence(score, chunk, sentence, cov, "weak" if score < weak else "strong")


def select_lead(cands: list[Candidate]) -> list[Candidate]:
    ranked = sorted(cands, key=lambda c: -c.score)
    if not ranked:
        return []
    best = ranked[0].score
    lead: list[Candidate] = []
    for cand in ranked:
        if len(lead) >= MAX_LEAD or cand.score < best - LEAD_MARGIN:
            break
        if any(cand.text == other.text for other in lead):
            continue
        lead.append(cand)
    if len(lead) == MAX_LEAD and lead[-1].score < best - LEAD_MARGIN / 2:
        lead.pop()
    # Read in a natural order: best passage first, each passage's sentences in page order.
    first_use = {}
    for cand in lead:
        first_use.setdefault(cand.passage, len(first_use))
    return sorted(lead, key=lambda c: (first_use[c.passage], c.chunk_ordinal, c.position))


def citation_for(n: int, passage: Passage) -> Citation:
    record = passage.first
    return Citation(
        n=n,
        doc=record.doc,
        title=record.title,
        section=record.section,
        url=record.url,
        excerpt=passage.text,
        sources=[SourceRef(n=s["n"], citation=s["citation"], pmid=s.get("pmid")) for s in passage.sources],
    )


def compose(retrieval: Retrieval, lead: list[Candidate]) -> tuple[str, list[Citation]]:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for cand in lead:
        if cand.passage not in numbers:
            numbers[cand.passage] = len(numbers) + 1
            citations.append(citation_for(numbers[cand.passage], retrieval.passages[cand.passage]))
        sentences.append(f"{cand.text} [{numbers[cand.passage]}]")
    return " ".join(sentences), citations
