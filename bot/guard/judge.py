"""An optional LLM judge for messages the rules pass but the exemplars find suspicious.

Only consulted in the uncertain band, so a configured LLM adds a call to few requests; any error or
unexpected reply leaves the deterministic decision in place.
"""

from __future__ import annotations

import logging
from typing import Any

from ..contract import GuardDecision
from ..llm import LLMFailure, invoke_with_timeout
from ..prompts import Prompts

log = logging.getLogger(__name__)
CATEGORIES = ("dosing", "personalization", "self_administration", "sourcing")


class LLMJudge:
    def __init__(self, model: Any, prompts: Prompts, timeout: float) -> None:
        self.model = model
        self.prompts = prompts
        self.timeout = timeout

    def classify(self, question: str, history: list[dict]) -> GuardDecision | None:
        transcript = "\n".join(f"{t.get('role', 'user')}: {t.get('content', '')}" for t in history[-6:]) or "(none)"
        prompt = self.prompts.format("guardrail/judge", history=transcript, question=question)
        try:
            reply = invoke_with_timeout(self.model, [("human", prompt)], self.timeout).strip().lower().strip(".")
        except LLMFailure as exc:
            log.warning("guardrail judge unavailable: %s", exc)
            return None
        if reply in CATEGORIES:
            return GuardDecision(decision="refuse", category=reply, reason="LLM judge", score=0.75)
        if reply != "allow":
            log.warning("guardrail judge gave an unexpected reply: %r", reply[:40])
        return None
