"""The production wiring: settings in, a ready Bot out. Surfaces call this; tests build a Bot by hand.

It sits above the chain and the guardrail (the chain only knows the Guard protocol), so choosing the
real guardrail, the store and the optional chat model happens in one place.
"""

from __future__ import annotations

from typing import Any

from .chain import Bot, Guard
from .embedding import Embedder
from .guard import Guardrail
from .guard.judge import LLMJudge
from .index import IndexStore, get_embedder
from .llm import chat_model_from_settings
from .prompts import Prompts
from .settings import Settings


def default_guard(
    settings: Settings,
    prompts: Prompts,
    embedder: Embedder,
    chat_model: Any | None,
    store: IndexStore | None = None,
) -> Guard:
    """The guardrail, with an LLM judge for the band under its threshold when a chat model is configured.

    Its topic gate reads the live index's subjects, so a new monograph is covered when it is ingested.
    `store` should be the bot's own store; without it a second handle is opened on the same settings (the
    same live generation, read twice). The embedder is not needed: the guard scores the vector the chain
    computes for retrieval, and nothing is embedded at start-up.
    """
    judge = LLMJudge(chat_model, prompts, settings.llm_timeout) if chat_model is not None else None
    index = store or IndexStore(settings)
    cached: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def names() -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(subjects and aliases, cased aliases) of the live generation, listed once per generation."""
        info = index.snapshot().info
        if info.collection not in cached:
            cached.clear()
            # other names count too: a reader asks how much "NAC" to take, not "Acetylcysteine"
            cached[info.collection] = (tuple(dict.fromkeys([*info.subjects, *info.aliases])), tuple(info.cased_aliases))
        return cached[info.collection]

    def subjects() -> tuple[str, ...]:
        return names()[0]

    def cased() -> tuple[str, ...]:
        return names()[1]

    return Guardrail(prompts, subjects=subjects, judge=judge, cased=cased)


def build_bot(
    settings: Settings,
    *,
    store: IndexStore | None = None,
    embedder: Embedder | None = None,
    chat_model: Any | None = None,
    guard: Guard | None = None,
) -> Bot:
    """A Bot from settings; any dependency given is used as is (a test's store, a stub chat model)."""
    prompts = Prompts(settings.prompts_dir)
    embedder = embedder or get_embedder(settings)
    chat_model = chat_model if chat_model is not None else chat_model_from_settings(settings)
    store = store or IndexStore(settings)
    guard = guard or default_guard(settings, prompts, embedder, chat_model, store=store)
    return Bot(settings, store, embedder, guard, prompts=prompts, chat_model=chat_model)
