"""Do the monographs answer this question? Sentence candidates and the one place the abstain decision is made.

Dense similarity of the best passage and sentence says how close the monographs come to the question;
lexical coverage of the question's topic words says whether they are about what was asked. A question
naming a subject is close to every chunk about that subject, so dense similarity alone would answer
"Is Cerebrolysin safe in pregnancy?" from the nearest safety paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .contract import Evidence, Level
from .fuzzy import edit_distance
from .retrieve import Retrieval
from .text import expand, figures, normalize, terms


@dataclass
class Candidate:
    passage: int
    chunk_ordinal: int
    position: int
    text: str
    score: float
    cosine: float


_QUANTITY_RE = re.compile(
    r"\b(how (many|much|often|long|common|likely)|what (percentage|proportion|share|number|rate|dose|doses)|risk ratio|odds|rate|rates|"
    r"percent|percentage|figure|figures|number|numbers|estimate|interval|rr|ci|statistic\w*|incidence|frequency)\b",
    re.I,
)


def asks_quantity(question: str) -> bool:
    return bool(_QUANTITY_RE.search(question))


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
            infos = record.infos()
            cosines = vectors @ qvec if vectors is not None and len(vectors) == len(infos) else None
            for k, info in enumerate(infos):
                if info.skip:
                    continue
                s_cos = float(cosines[k]) if cosines is not None else hit.cosine
                overlap = sum(w for t, w in weights.items() if t in info.terms) / total
                score = (
                    0.5 * s_cos
                    + 0.3 * hit.cosine
                    + 0.2 * overlap
                    + info.bonus
                    + digit_bonus * info.digit
                    - 0.01 * p_index
                )
                out.append(Candidate(p_index, record.chunk_index, k, info.text, score, s_cos))
    return out


# Words that carry the question's form, not its topic: they must not count as lexical support.
_GENERIC = frozenset(
    [
        "find",
        "found",
        "show",
        "showed",
        "say",
        "said",
        "tell",
        "know",
        "mean",
        "use",
        "used",
        "using",
        "take",
        "taking",
        "took",
        "help",
        "helps",
        "helped",
        "work",
        "works",
        "worked",
        "good",
        "bad",
        "thing",
        "things",
        "get",
        "make",
        "give",
        "gave",
        "given",
        "does",
        "did",
        "way",
        "ways",
        "much",
        "many",
        "lot",
        "anything",
        "something",
        "someone",
        "people",
        "person",
        "really",
        "actually",
        "ever",
        "long",
        "soon",
        "often",
        "giving",
        "look",
        "looks",
        "looked",
        "like",
        "relevant",
        "usual",
        "usually",
        "seen",
        "see",
        "cause",
        "causes",
        "caused",
        "conclude",
        "concluded",
        "consist",
        "consists",
        "happen",
        "happens",
        "happened",
        "alongside",
        "recommendation",
        "recommend",
        "copy",
        "fix",
        "start",
        "started",
        "exist",
        "exists",
        "kind",
        "type",
        "sort",
        "part",
        "stuff",
        "true",
        "real",
        "wat",
        "whats",
        "wats",
        "ppl",
        "u",
        "ur",
        "r",
        "pls",
        "plz",
        "thx",
        "abt",
        "bc",
        "cuz",
        "gonna",
        "wanna",
        "tho",
        "what",
        "which",
        "shouldn",
        "couldn",
        "wouldn",
        "didn",
        "doesn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "don",
        "won",
        "hasn",
        "haven",
        "concern",
        "concerns",
        "worry",
        "worries",
        "issue",
        "issues",
        "problem",
        "problems",
        "treatment",
        "treatments",
        "treat",
        "treated",
        "therapy",
        "table",
        "summary",
        "section",
        "monograph",
        "monographs",
        "page",
        "article",
        "site",
        "text",
    ]
)
STRONG_DENSE = 0.68  # with no topic word of the question in the passages, only a very close paraphrase counts
LEXICAL_COVERAGE = 0.5  # without a named subject, a rare exact term (a trial name) can carry the question
LEXICAL_FLOOR = 0.12
KEY_TERM_DENSE = 0.80  # only a near-verbatim paraphrase may skip a topic word the passages lack
UNKNOWN_COVERAGE = 0.45  # a word no monograph uses abstains only when little else of the question is covered
KEY_COVERAGE = 0.75  # below this share of the topic (IDF-weighted), a missing topic word means "not covered"


def _topic(retrieval: Retrieval) -> list[str]:
    """The question's topic words: not the subject (nor a misspelling of it), not form words, not bare digits."""
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
        return any(
            len(w) >= size and (w.startswith(term) or (term.startswith(w) and len(w) >= len(term) - 2)) for w in present
        )
    return False


def coverage(
    retrieval: Retrieval, passages: int = 3, is_word: Callable[[str], bool] = lambda w: False
) -> tuple[float, bool, list[str], list[str]]:
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
            present |= h.record.terms()
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


def evidence(
    retrieval: Retrieval,
    cands: list[Candidate],
    abstain: float,
    weak: float,
    is_word: Callable[[str], bool] = lambda w: False,
) -> Evidence:
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
        return _evidence(score, chunk, sentence, cov, "strong", "quotes a figure the passages state")
    if unknown and cov < UNKNOWN_COVERAGE and score < KEY_TERM_DENSE:
        return _evidence(
            score,
            chunk,
            sentence,
            cov,
            "none",
            f"the monographs never mention {', '.join(repr(m) for m in unknown[:3])}",
        )
    if retrieval.subjects and has_topic and cov == 0 and score < STRONG_DENSE:
        return _evidence(
            score, chunk, sentence, cov, "none", "the passages about this subject never mention the question's topic"
        )
    if not retrieval.subjects and has_topic and cov >= LEXICAL_COVERAGE and score >= LEXICAL_FLOOR and score < abstain:
        level: Level = "strong" if cov >= 0.8 else "weak"
        return _evidence(
            score, chunk, sentence, cov, level, "matched on exact terms (names the embedding model does not know)"
        )
    if score < abstain:
        return _evidence(score, chunk, sentence, cov, "none", "no passage is close enough to the question")
    if (elsewhere or unknown) and cov < KEY_COVERAGE:
        lacking = (unknown + elsewhere)[:3]
        return _evidence(
            score,
            chunk,
            sentence,
            cov,
            "weak",
            f"the passages do not mention {', '.join(repr(m) for m in lacking)}",
            lacking,
        )
    return _evidence(score, chunk, sentence, cov, "weak" if score < weak else "strong")


def _evidence(
    score: float,
    chunk: float,
    sentence: float,
    coverage: float,
    level: Level,
    reason: str = "",
    missing: list[str] | None = None,
) -> Evidence:
    return Evidence(
        score=round(score, 4),
        chunk=round(chunk, 4),
        sentence=round(sentence, 4),
        coverage=round(coverage, 4),
        level=level,
        reason=reason,
        missing=missing or [],
    )


_COMPARISON = re.compile(r"\b(?:better|worse|safer|stronger|weaker|than|versus|vs\.?|compared?|instead of|or)\b", re.I)


def assess(
    retrieval: Retrieval,
    cands: list[Candidate],
    question: str,
    unknown: list[str],
    abstain: float,
    weak: float,
    is_word: Callable[[str], bool] = lambda w: False,
) -> Evidence:
    """The abstain decision, made in one place: level "none" means the bot says the monographs don't cover it.

    `unknown` are names the corpus never uses ("Noopept"): a question about one of them, with no corpus
    subject named (or comparing one with a subject), is about a drug the monographs do not cover.
    """
    ev = evidence(retrieval, cands, abstain, weak, is_word)
    if unknown and (not retrieval.subjects or _COMPARISON.search(question)):
        return ev.model_copy(
            update={"level": "none", "reason": f"names something no monograph mentions: {', '.join(unknown)}"}
        )
    if not cands and ev.level != "none":
        return ev.model_copy(update={"level": "none", "reason": "no sentence in the passages can be quoted"})
    return ev
