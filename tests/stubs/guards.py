"""Guards for chain tests that need the guardrail's LLM judge consulted on a known schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.chain import AllowAll
from bot.contract import GuardDecision


class JudgeEveryQuestion(AllowAll):
    """Asks its LLM judge about every question, then allows it.

    The real guardrail asks the judge only in an uncertain similarity band; this makes one `ask` reach all
    three LLM call sites (judge, condense, answer) deterministically.
    """

    def __init__(self, judge: Any) -> None:
        self.judge = judge

    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision:
        verdict = self.judge.classify(question, history)
        return verdict or GuardDecision()
