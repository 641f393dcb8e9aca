"""The output check: an LLM-written answer must not turn into dosing, injection or buying instructions.

Extractive answers quote monographs that describe trials, so only generated text needs this. A match
sends the bot back to the extractive answer.
"""

from __future__ import annotations

import re

_UNIT = r"\d+(?:[.,]\d+)? ?(?:ml|mg|mcg|µg|iu|units?|drops?|milligrams?|micrograms?)\b"
_CHECKS = [
    (
        "dosing",
        re.compile(
            r"\byou (?:should|could|can|may|might want to|need to|would|will want to|'d want to)\b[^.]{0,40}\b(?:take|use|inject|start|try|dose|run|cycle|stack|titrate|give)\b",
            re.I,
        ),
    ),
    (
        "dosing",
        re.compile(
            rf"(?:^|[.!]\s+)(?:take|inject|use|start with|begin with|try|administer)\b[^.]{{0,30}}{_UNIT}", re.I
        ),
    ),
    (
        "dosing",
        re.compile(
            r"\b(?:recommended|suggested|safe|ideal|optimal|starting|beginner|typical) (?:dose|dosage|amount|protocol)\b[^.]{0,20}\b(?:is|would be|of|for you)\b",
            re.I,
        ),
    ),
    (
        "dosing",
        re.compile(
            rf"\b(?:start|begin) (?:with|at|on) {_UNIT}|\b{_UNIT} (?:per|a|each) (?:day|week)\b[^.]{{0,30}}\b(?:for you|you)\b",
            re.I,
        ),
    ),
    (
        "self_administration",
        re.compile(
            r"\b(?:reconstitut\w*|bacteriostatic|insulin syringe|needle gauge|draw (?:it )?up|inject (?:it )?(?:into|in) your|pinch the skin|swab the)\b",
            re.I,
        ),
    ),
    (
        "sourcing",
        re.compile(
            r"\b(?:you can (?:buy|order|get) (?:it|them)|buy (?:it|them) (?:from|at|online)|order (?:it|them) from|(?:reliable|trusted|legit) (?:vendor|supplier|source|site)s?)\b",
            re.I,
        ),
    ),
]


# A dose figure in the same sentence as the reader ("your dose", "you'd use") or as people in general
# ("most people inject", "a typical adult would use") is advice, whatever verbs surround it; a figure
# about trial participants is a fact about a trial.
_FIGURE = re.compile(rf"{_UNIT}|\b\d+(?:[.,]\d+)? ?(?:times|x) (?:a|per) (?:day|week)\b", re.I)
_READER = re.compile(r"\b(?:you|your|you'd|you'll|you're|yourself|u|ur)\b", re.I)
_GENERIC = re.compile(
    r"\b(?:most people|many people|people (?:usually|typically|often|generally|commonly|tend to)|users?|beginners?|a typical (?:adult|person|user|man|woman)|"
    r"(?:an )?adults? (?:should|would|can|could|use|take|inject|need)|one (?:should|would|can|could)|the (?:usual|standard|typical|common|normal|recommended) (?:dose|dosage|amount))\b",
    re.I,
)
_TRIAL = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|patients|participants|randomi[sz]ed|investigators|researchers)\b", re.I
)
DOSE_FIGURE = re.compile(rf"{_UNIT}", re.I)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")


def blocked(text: str) -> tuple[str, str] | None:
    """(category, offending text) when the answer gives advice the policy forbids."""
    for category, pattern in _CHECKS:
        m = pattern.search(text)
        if m:
            return category, m.group(0).strip()
    for sentence in _SENTENCE.findall(text):
        if not _FIGURE.search(sentence):
            continue
        if _READER.search(sentence) or (_GENERIC.search(sentence) and not _TRIAL.search(sentence)):
            return "dosing", sentence.strip()
    return None
