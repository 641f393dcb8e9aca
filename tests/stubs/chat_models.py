"""Scripted LangChain chat models: the reply is computed from the prompt, so tests can write valid and invalid answers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from bot.text import split_sentences


class ScriptedChatModel(BaseChatModel):
    """Calls `script(messages)` for each reply; the script may sleep or raise to play a bad provider."""

    script: Callable[[list[BaseMessage]], str]
    calls: list = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.calls.append(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.script(messages)))])


def excerpts(messages: list[BaseMessage]) -> dict[int, str]:
    """The numbered excerpts the bot put in its prompt."""
    text = messages[-1].content
    body = text.split("Excerpts:", 1)[1].split("\nQuestion:", 1)[0].strip()
    out = {}
    for block in body.split("\n\n"):  # "[n] Title — Section" then the excerpt; blocks are blank-line separated
        header, _, excerpt = block.partition("\n")
        m = re.match(r"\[(\d+)\] ", header)
        if m:
            out[int(m.group(1))] = excerpt
    return out


def quote_first_sentence_with_number(messages: list[BaseMessage]) -> str:
    for n, text in excerpts(messages).items():
        for sentence in split_sentences(text.replace("\n", " ")):
            clean = re.sub(r"\[\d+\]", "", sentence).strip()
            if re.search(r"\d", clean) and "|" not in sentence:
                return f"In short: {clean} [{n}]"
    return "The excerpts describe it. [1]"


def sleeper(seconds: float) -> Callable[[list[BaseMessage]], str]:
    def script(messages: list[BaseMessage]) -> str:
        time.sleep(seconds)
        return "Too late. [1]"

    return script


def raiser(messages: list[BaseMessage]) -> str:
    raise ConnectionError("provider unreachable")
