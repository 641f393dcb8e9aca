"""Synthetic monographs in the site's plain-text format, for benchmarks at 1,000 and 10,000 documents.

Deterministic from a seed. Fictional drug names, trials and sources; varied vocabulary so BM25 and the
embedding model see something like real text: a title and dek, a lead, five or six headed sections of
one or two paragraphs, a pipe table, a byline and a Sources list with inline [n] citations.
"""

from __future__ import annotations

import random
from pathlib import Path

_SYLLABLES = [
    "cor",
    "vex",
    "ala",
    "neu",
    "ro",
    "pep",
    "tin",
    "lix",
    "ora",
    "zen",
    "tro",
    "phi",
    "cal",
    "dra",
    "mon",
    "sel",
    "var",
    "qui",
    "ten",
    "bra",
    "xyl",
    "gal",
    "nor",
    "sta",
]
_SUFFIXES = ["lysin", "peptide", "tide", "zepam", "lin", "mab", "tropin", "relin", "sin", "vanil", "ptin", "dexin"]
_CONDITIONS = [
    "ischaemic stroke",
    "vascular dementia",
    "mild cognitive impairment",
    "traumatic brain injury",
    "generalised anxiety",
    "tendon injury",
    "ulcerative colitis",
    "peripheral neuropathy",
    "post-operative delirium",
    "chronic fatigue",
    "migraine",
    "insomnia",
    "depression",
    "Parkinson's disease",
    "age-related memory decline",
    "spinal cord injury",
    "osteoarthritis",
    "muscle strain",
    "gastric ulcers",
    "ADHD",
]
_OUTCOMES = [
    "functional independence",
    "memory scores",
    "motor recovery",
    "anxiety ratings",
    "pain scores",
    "time to healing",
    "quality of life",
    "reaction time",
    "sleep latency",
    "grip strength",
    "walking speed",
    "attention scores",
    "relapse rate",
    "hospital stay",
    "mortality",
]
_POPULATIONS = [
    "older adults",
    "hospitalised patients",
    "healthy volunteers",
    "outpatients",
    "athletes",
    "post-menopausal women",
    "students",
    "veterans",
    "rodents",
    "rats",
    "mice",
]
_EFFECTS = [
    "headache",
    "nausea",
    "dizziness",
    "injection-site pain",
    "insomnia",
    "fatigue",
    "nasal irritation",
    "rash",
    "palpitations",
    "restlessness",
    "dry mouth",
    "diarrhoea",
]
_REGULATORS = ["the FDA", "the EMA", "Health Canada", "the TGA", "the MHRA", "WADA"]
_JOURNALS = [
    "Stroke",
    "Neurology",
    "J Neurol Sci",
    "Cochrane Database Syst Rev",
    "BMJ",
    "Lancet Neurol",
    "Clin Ther",
    "Peptides",
    "Eur J Pharmacol",
    "Brain Res",
]
_SURNAMES = [
    "Ahmed",
    "Baker",
    "Chen",
    "Duarte",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
]
_HEADINGS = [
    "What did the trials find?",
    "How safe is it?",
    "Which patients were studied?",
    "How strong is the evidence?",
    "What remains unknown?",
    "How was it given in studies?",
    "What is it made of?",
    "Does it work in people?",
    "What do regulators say?",
    "What about long-term use?",
    "Are there drug interactions?",
    "Who funded the research?",
    "The bottom line",
]
_OPENERS = ["In", "Across", "Within", "Among", "During"]
_VERBS = ["reported", "found", "observed", "described", "noted", "measured", "documented"]
_HEDGES = [
    "The evidence is weak",
    "Certainty is low",
    "The findings are preliminary",
    "Results were inconsistent",
    "The data are sparse",
]


def drug_name(rng: random.Random, i: int) -> str:
    if i % 5 == 0:
        return f"{rng.choice('ABCDGKLMPRSTVXZ')}{rng.choice('ABCDGKLMPRSTVXZ')}-{rng.randint(100, 999)}"
    return (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)).capitalize() + rng.choice(_SUFFIXES)


def _trial(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVW") for _ in range(rng.randint(3, 5)))


def _sentence(rng: random.Random, drug: str, refs: int) -> str:
    kind = rng.randrange(7)
    cite = f"[{rng.randint(1, refs)}]" if rng.random() < 0.55 else ""
    if kind == 0:
        return f"{rng.choice(_OPENERS)} a trial of {rng.randint(40, 1400)} {rng.choice(_POPULATIONS)} with {rng.choice(_CONDITIONS)}, {drug} {rng.choice(['improved', 'did not change', 'slightly worsened', 'modestly improved'])} {rng.choice(_OUTCOMES)} compared with placebo.{cite}"
    if kind == 1:
        lo = round(rng.uniform(0.5, 1.2), 2)
        return f"The pooled risk ratio for {rng.choice(_OUTCOMES)} was {round(lo + rng.uniform(0.05, 0.6), 2)} (95% CI {lo}–{round(lo + rng.uniform(0.7, 2.5), 2)}), based on {rng.randint(2, 9)} trials.{cite}"
    if kind == 2:
        return f"The most common side effects {rng.choice(_VERBS)} were {rng.choice(_EFFECTS)} and {rng.choice(_EFFECTS)}, mostly mild and short-lived.{cite}"
    if kind == 3:
        return f"{rng.choice(_HEDGES)}: the studies were small, often unblinded, and rarely followed {rng.choice(_POPULATIONS)} beyond {rng.randint(2, 26)} weeks.{cite}"
    if kind == 4:
        return f"The {_trial(rng)} trial gave {rng.randint(1, 60)} mg a day for {rng.randint(5, 90)} days under medical supervision, and {rng.choice(_VERBS)} no clear effect on {rng.choice(_OUTCOMES)}.{cite}"
    if kind == 5:
        return f"{drug} is not approved by {rng.choice(_REGULATORS)}, and products sold online as research chemicals are not made to pharmaceutical standards.{cite}"
    return f"Animal studies in {rng.choice(['rats', 'mice', 'rodents'])} suggest effects on {rng.choice(['BDNF signalling', 'inflammation', 'blood-vessel growth', 'GABA receptors', 'oxidative stress'])}, but such findings often fail to carry over to people.{cite}"


def monograph(rng: random.Random, i: int) -> tuple[str, str]:
    """(slug, text) of one synthetic monograph."""
    drug = drug_name(rng, i)
    topic = rng.choice(["evidence", "side effects", "trial dosing", "safety", "research review"])
    refs = rng.randint(3, 6)
    lines = [
        f"{drug} {topic}: what the studies show (synthetic monograph {i})",
        f"A generated summary of {drug} for benchmarks: {rng.choice(_HEDGES).lower()}, and nothing here is real.",
    ]
    lines.append(" ".join(_sentence(rng, drug, refs) for _ in range(rng.randint(3, 5))))
    headings = rng.sample(_HEADINGS, rng.randint(6, 7))
    table_at = rng.randrange(len(headings))
    for h_index, heading in enumerate(headings):
        lines.append(heading)
        for _ in range(rng.randint(1, 3)):
            lines.append(" ".join(_sentence(rng, drug, refs) for _ in range(rng.randint(4, 7))))
        if h_index == table_at:
            lines.append("| Outcome | Finding | Estimate |")
            lines.append("|---|---|---|")
            for _ in range(rng.randint(4, 6)):
                lo = round(rng.uniform(0.4, 1.3), 2)
                lines.append(
                    f"| {rng.choice(_OUTCOMES).capitalize()} | {rng.choice(['No difference', 'Possible benefit', 'Possible harm', 'Unclear'])} | RR {round(lo + 0.2, 2)} ({lo}–{round(lo + 1.1, 2)}) |"
                )
    lines.append("Reviewed against primary sources by the synthetic benchmark desk")
    lines.append("Sources")
    for n in range(1, refs + 1):
        authors = ", ".join(
            f"{rng.choice(_SURNAMES)} {rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}" for _ in range(2)
        )
        lines.append(
            f"- [{n}] {authors}, et al. ({rng.randint(1995, 2025)}). {drug} in {rng.choice(_CONDITIONS)}: a {rng.choice(['randomised', 'open-label', 'pilot', 'observational'])} study. {rng.choice(_JOURNALS)}. PMID {rng.randint(10_000_000, 39_999_999)}"
        )
    slug = f"synthetic-{i:05d}-{drug.lower().replace(' ', '-')}"
    return slug, "\n".join(lines) + "\n"


def generate(count: int, directory: Path, seed: int = 7) -> list[Path]:
    """Write `count` monographs into `directory` (reusing files already there with the same content)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        slug, text = monograph(rng, i)
        path = directory / f"{slug}.txt"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        paths.append(path)
    return paths


def questions_for(directory: Path, count: int = 24, seed: int = 11) -> list[str]:
    """A fixed question list about documents of a synthetic corpus, plus a few general ones."""
    rng = random.Random(seed)
    names = sorted(p.stem.split("-", 2)[2] for p in directory.glob("synthetic-*.txt"))
    picks = [
        n.capitalize() if not n[0:2].isalpha() or "-" not in n else n.upper()
        for n in rng.sample(names, min(count - 4, len(names)))
    ]
    templates = [
        "Is {d} safe?",
        "What did the trials of {d} find?",
        "What side effects does {d} cause?",
        "Is {d} approved by the FDA?",
        "How strong is the evidence for {d}?",
    ]
    out = [rng.choice(templates).format(d=d) for d in picks]
    return out + [
        "Which peptides were tested in rats?",
        "What is a risk ratio?",
        "Are research chemicals regulated?",
        "How much should I take?",
    ]
