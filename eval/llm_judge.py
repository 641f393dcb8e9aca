"""Optional LLM-judged faithfulness and relevancy; used only when MONOBOT_LLM is configured."""

from __future__ import annotations

import re
from typing import Any

from bot.llm import LLMFailure, chat_model_from_settings, invoke_with_timeout
from bot.prompts import Prompts
from bot.settings import Settings

from .questions import Question


def _score(model: Any, prompt: str, timeout: float) -> float | None:
    try:
        reply = invoke_with_timeout(model, [("human", prompt)], timeout)
    except LLMFailure:
        return None
    m = re.search(r"[01](?:\.\d+)?", reply)
    return float(m.group(0)) if m else None


def judge_run(settings: Settings, questions: list[Question], answers: dict[str, dict]) -> dict[str, Any]:
    model = chat_model_from_settings(settings)
    prompts = Prompts(settings.prompts_dir)
    faithful, relevant = [], []
    for q in questions:
        a = answers.get(q.id)
        if not a or a["status"] != "answered":
            continue
        contexts = "\n\n".join(f"[{c['n']}] {c['excerpt']}" for c in a["citations"])
        f = _score(
            model, prompts.format("eval/faithfulness", contexts=contexts, answer=a["answer"]), settings.llm_timeout
        )
        r = _score(
            model, prompts.format("eval/relevancy", question=q.question, answer=a["answer"]), settings.llm_timeout
        )
        if f is not None:
            faithful.append(f)
        if r is not None:
            relevant.append(r)
    return {
        "faithfulness": sum(faithful) / len(faithful) if faithful else None,
        "relevancy": sum(relevant) / len(relevant) if relevant else None,
        "judged": len(faithful),
    }
