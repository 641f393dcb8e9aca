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

from ..contract import GuardDecision
from ..prompts import Prompts
from . import output, patterns, signals
from .normalize import plain, variants
from .policy import Policy, load_policy
from .semantic import ExemplarIndex

log = logging.getLogger(__name__)

RISK_SIMILARITY = 0.93  # semantic refusal of a question that asks about risk, legality or evidence
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
        forms = variants(question)
        text = forms[0]
        turns = [plain(str(t.get("content", ""))) for t in history[-6:]]
        dose_context = any(patterns.DOSE_CONTEXT.search(t) for t in turns[-4:])

        for form in forms:
            hit = patterns.match(form, dose_context)
            if hit:
                return GuardDecision(
                    decision="refuse", category=hit.category, reason=f"rule {hit.rule}: {hit.text!r}", score=1.0
                )

        for form in forms:
            signal = signals.read(form)
            if signal:
                return GuardDecision(
                    decision="refuse", category=signal.category, reason=f"signals: {signal.reason}", score=0.95
                )

        users = [plain(str(t.get("content", ""))) for t in history if t.get("role") == "user"][-3:]
        if users:
            # The earlier message alone was already judged (and answered or refused); only a request that
            # needs both halves is refused here, so a new, harmless question after a refusal is answered.
            joined = (
                None if patterns.match(users[-1], dose_context) else patterns.match(f"{users[-1]} {text}", dose_context)
            )
            if joined:
                return GuardDecision(
                    decision="refuse",
                    category=joined.category,
                    reason=f"rule {joined.rule} across turns: {joined.text!r}",
                    score=1.0,
                )
            if len(text.split()) <= 14 and _PRESSURE.search(text) and not signals.RISK.search(text):
                for earlier in reversed(users):
                    prior = patterns.match(earlier, dose_context)
                    if prior:
                        return GuardDecision(
                            decision="refuse",
                            category=prior.category,
                            reason=f"follow-up pressing an earlier {prior.category} request",
                            score=0.9,
                        )
            # "I'm going to try BPC-157" … "what dose did the trials use?": the trial's dose is now a personal one.
            if any(patterns.INTENT.search(u) for u in users) and (
                patterns.FRAGMENT.search(text) or patterns.TRIAL_DOSE.search(text)
            ):
                return GuardDecision(
                    decision="refuse",
                    category="personalization",
                    reason="a dose question after the asker said they plan to use it",
                    score=0.9,
                )

        if self.exemplars is not None and vector is not None:
            near = self.exemplars.nearest(vector)
            # A question about risk shares most words with the request it warns about; only a near-copy refuses.
            risky = bool(patterns.RISK_QUESTION.search(text))
            if near.refuses and (not risky or near.refuse >= RISK_SIMILARITY):
                return GuardDecision(
                    decision="refuse",
                    category=near.category,
                    reason=f"close to refuse exemplars ({near.refuse:.2f} vs {near.answer:.2f})",
                    score=near.refuse,
                )
            if self.judge is not None and near.refuse >= JUDGE_BAND:
                verdict = self.judge.classify(question, history)
                if verdict is not None:
                    return verdict

        if (
            patterns.asks_trial_doses(text)
            or (dose_context and patterns.TRIAL_DOSE.search(text))
            or patterns.BARE_DOSE.search(text)
        ):
            return GuardDecision(
                decision="notice", category="trial_doses", reason="describes doses used in trials", score=0.0
            )
        return GuardDecision(decision="allow", category=None, reason="", score=0.0)

    # -- output
    def check_answer(self, question: str, text: str) -> GuardDecision | None:
        """Any answer, extractive included: doses quoted back to someone asking about their own use.

        "what's the most I can handle?" slips past every input rule only to be answered with the trial's
        30 mL; a personal question about use or amount, with no trial named, must not get a figure.
        """
        asked = plain(question)
        if (
            not patterns.PERSONAL.search(asked)
            or patterns.DESCRIPTIVE.search(asked)
            or not patterns.USE_OR_AMOUNT.search(asked)
        ):
            return None
        if not output.DOSE_FIGURE.search(text):
            return None
        return GuardDecision(
            decision="refuse",
            category="personalization",
            reason="a personal question about use, answered with dose figures",
            score=0.9,
        )

    def finalize(self, question: str, text: str, decision: GuardDecision) -> GuardDecision:
        """The last word on the text a reader would see: a late refusal, or a notice when it quotes doses."""
        late = self.check_answer(question, text)
        if late is not None:
            return late
        if decision.decision == "allow" and output.DOSE_FIGURE.search(text):
            reason = "; ".join(r for r in ("the answer quotes doses used in trials", decision.reason) if r)
            return GuardDecision(
                decision="notice", category=decision.category or "trial_doses", reason=reason, score=decision.score
            )
        return decision

    def check_output(self, text: str) -> GuardDecision | None:
        found = output.blocked(text)
        if found is None:
            return None
        category, snippet = found
        return GuardDecision(
            decision="refuse", category=category, reason=f"{category} instruction {snippet!r}", score=1.0
        )

    # -- wording
    def refusal(self, category: str, subject: str | None) -> str:
        name = self.policy.messages.get(category, "refusal_dosing")
        return self.prompts.message(name, subject=subject or "it")

    def notice(self) -> str:
        return self.prompts.message(self.policy.messages.get("notice", "trial_dose_notice"))


__all__ = ["Guardrail"]
