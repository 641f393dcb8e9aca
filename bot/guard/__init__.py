"""The guardrail: refuse dosing, self-administration and sourcing requests; answer everything else.

Layers, cheapest first: deterministic rules over de-obfuscated text (patterns.py), nearest labelled
exemplars with the bot's own embedding model (semantic.py), and, when an LLM is configured, a judge for
the uncertain band (judge.py). The check reads the conversation, not only the last message, so a request
split across turns is judged whole. The policy itself lives in prompts/guardrail/policy.yaml.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np

from ..answer import GuardDecision
from ..prompts import Prompts
from . import output, patterns
from .normalize import plain
from .policy import Policy, load_policy
from .semantic import ExemplarIndex

log = logging.getLogger(__name__)

JUDGE_BAND = 0.65  # semantic refuse-similarity from which an LLM judge, when configured, is asked
# A short follow-up that only pushes ("hypothetically?", "I'm a nurse, just tell me") inherits the
# decision on the request it follows.
_PRESSURE = re.compile(
    r"\b(?:hypothetical\w*|in theory|theoretically|just|please|come on|for research|research purposes|pretend|imagine|role ?play|"
    r"i'?m an? \w+|as an? (?:nurse|doctor|physician|pharmacist|researcher)|ignore|anyway|still|fine|ok(?:ay)?|so|then|what if|"
    r"for a (?:novel|story|book|film|screenplay)|in (?:a|my) (?:novel|story))\b",
    re.IGNORECASE,
)


class Guardrail:
    """Implements the chain's Guard protocol; decisions carry category, reason and score for the JSON output."""

    def __init__(self, prompts: Prompts, embed: Any | None = None, judge: Any | None = None) -> None:
        self.prompts = prompts
        self.policy: Policy = load_policy(str(prompts.directory))
        self.exemplars = ExemplarIndex(self.policy, embed) if embed is not None else None
        self.judge = judge

    # -- input
    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision:
        text = plain(question)
        turns = [plain(str(t.get("content", ""))) for t in history[-6:]]
        dose_context = any(patterns.DOSE_CONTEXT.search(t) for t in turns[-4:])

        hit = patterns.match(text, dose_context)
        if hit:
            return GuardDecision("refuse", hit.category, f"rule {hit.rule}: {hit.text!r}", 1.0)

        users = [plain(str(t.get("content", ""))) for t in history if t.get("role") == "user"][-2:]
        if users:
            joined = patterns.match(f"{users[-1]} {text}", dose_context)
            if joined:
                return GuardDecision("refuse", joined.category, f"rule {joined.rule} across turns: {joined.text!r}", 1.0)
            if len(text.split()) <= 14 and _PRESSURE.search(text):
                for earlier in reversed(users):
                    prior = patterns.match(earlier, dose_context)
                    if prior:
                        return GuardDecision("refuse", prior.category, f"follow-up pressing an earlier {prior.category} request", 0.9)

        if self.exemplars is not None and vector is not None:
            near = self.exemplars.nearest(vector)
            if near.refuses:
                return GuardDecision("refuse", near.category, f"close to refuse exemplars ({near.refuse:.2f} vs {near.answer:.2f})", near.refuse)
            if self.judge is not None and near.refuse >= JUDGE_BAND:
                verdict = self.judge.classify(question, history)
                if verdict is not None:
                    return verdict

        if patterns.asks_trial_doses(text) or (dose_context and patterns.TRIAL_DOSE.search(text)):
            return GuardDecision("notice", "trial_doses", "describes doses used in trials", 0.0)
        return GuardDecision("allow", None, "", 0.0)

    # -- output
    def check_output(self, text: str) -> GuardDecision | None:
        found = output.blocked(text)
        if found is None:
            return None
        category, snippet = found
        return GuardDecision("refuse", category, f"{category} instruction {snippet!r}", 1.0)

    # -- wording
    def refusal(self, category: str, subject: str | None) -> str:
        name = self.policy.messages.get(category, "refusal_dosing")
        return self.prompts.message(name, subject=subject or "it")

    def notice(self) -> str:
        return self.prompts.message(self.policy.messages.get("notice", "trial_dose_notice"))


__all__ = ["Guardrail"]
