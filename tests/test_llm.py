"""The LLM path: answers are shown only when every citation and number checks out; otherwise extractive."""

from __future__ import annotations

import time

import pytest

from bot.answer import Citation
from bot.chain import Bot, build_bot
from bot.llm import validate

from .stubs.chat_models import ScriptedChatModel, quote_first_sentence_with_number, raiser, sleeper
from .stubs.openai_stub import OpenAIStub, Reply

QUESTION = "What did the Cochrane review find about adverse events with Cerebrolysin?"


def make_bot(settings, store, embedder, script, **extra) -> Bot:
    settings = settings.model_copy(update=extra)
    return Bot(settings, store, embedder, chat_model=ScriptedChatModel(script=script))


def test_valid_llm_answer_is_used(sample_settings, sample_store, embedder):
    bot = make_bot(sample_settings, sample_store, embedder, quote_first_sentence_with_number)
    answer = bot.ask(QUESTION)
    assert answer.mode == "llm", answer.to_dict()
    assert answer.answer.startswith("In short:")
    assert [c.n for c in answer.citations] == [1]
    assert validate(answer.answer, answer.citations) == []


@pytest.mark.parametrize(
    "reply,problem",
    [
        ("Cerebrolysin raised serious adverse events with a risk ratio of 3.7 [1].", "3.7 does not occur"),
        ("It was well tolerated [7].", "[7] does not name"),
        ("It was well tolerated overall.", "no [n] citation"),
        ("About 12,345 people were studied. It was tolerated [1].", "numbers without a citation"),
    ],
)
def test_invalid_llm_answers_fall_back_to_extractive(sample_settings, sample_store, embedder, reply, problem):
    bot = make_bot(sample_settings, sample_store, embedder, lambda messages: reply)
    answer = bot.ask(QUESTION)
    assert answer.mode == "extractive"
    assert answer.status == "answered"
    assert reply not in answer.answer
    citations = [Citation(n=1, doc="d", title="t", section="s", url="u", excerpt="RR 1.03 (0.92–1.14) in 1,335 people")]
    assert any(problem in p for p in validate(reply, citations))


def test_numbers_are_matched_as_written():
    citations = [Citation(n=1, doc="d", title="t", section="s", url="u", excerpt="three trials and 1,335 participants; RR 2.39 (1.10–5.23)")]
    assert validate("It pooled 1335 people with RR 2.39 and an interval of 1.10–5.23 [1].", citations) == []
    assert validate("It pooled 1335 people with RR 2.4 [1].", citations)


def test_provider_error_falls_back(sample_settings, sample_store, embedder):
    answer = make_bot(sample_settings, sample_store, embedder, raiser).ask(QUESTION)
    assert answer.mode == "extractive" and answer.status == "answered"


def test_hanging_provider_is_abandoned_at_the_timeout(sample_settings, sample_store, embedder):
    bot = make_bot(sample_settings, sample_store, embedder, sleeper(20), llm_timeout=0.5)
    started = time.monotonic()
    answer = bot.ask(QUESTION)
    assert answer.mode == "extractive"
    assert time.monotonic() - started < 10, "the answer must not wait for the hung provider"


def test_llm_condenses_follow_ups(sample_settings, sample_store, embedder):
    def script(messages):
        if "Standalone question" in messages[-1].content:
            return "Does Cerebrolysin cause allergic reactions?"
        return quote_first_sentence_with_number(messages)

    bot = make_bot(sample_settings, sample_store, embedder, script)
    history = [{"role": "user", "content": "Is Cerebrolysin safe?"}, {"role": "assistant", "content": "Mostly [1]."}]
    answer = bot.ask("what about allergies?", history)
    assert answer.standalone_question == "Does Cerebrolysin cause allergic reactions?"


@pytest.fixture()
def openai_stub():
    stub = OpenAIStub().start()
    yield stub
    stub.stop()


def test_openai_compatible_server(sample_settings, sample_store, embedder, openai_stub):
    settings = sample_settings.model_copy(update={"llm": openai_stub.url, "llm_model": "stub-model", "llm_timeout": 5})
    bot = build_bot(settings, store=sample_store, embedder=embedder)

    def quote(body: dict) -> str:
        from langchain_core.messages import HumanMessage

        return quote_first_sentence_with_number([HumanMessage(content=body["messages"][-1]["content"])])

    openai_stub.replies.extend([Reply(script=quote), Reply(status=500), Reply(text="It roughly tripled the risk (RR 3.3) [1].")])
    good = bot.ask(QUESTION)
    request = openai_stub.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["json"]["model"] == "stub-model"
    sent = " ".join(m["content"] for m in request["json"]["messages"])
    assert "Excerpts:" in sent and QUESTION in sent
    assert good.mode == "llm" and good.answer.startswith("In short:")
    server_error = bot.ask(QUESTION)
    assert server_error.mode == "extractive" and server_error.status == "answered"
    invented = bot.ask(QUESTION)
    assert invented.mode == "extractive" and "3.3" not in invented.answer


def test_prompt_budget_is_counted_with_tiktoken(sample_settings, sample_store, embedder):
    from bot.llm import count_llm_tokens, within_budget

    assert count_llm_tokens("Cerebrolysin is a peptide mixture.") > 3
    big = [Citation(n=i, doc="d", title="T", section="S", url="u", excerpt="word " * 400) for i in range(1, 5)]
    assert [c.n for c in within_budget(big, 900)] == [1, 2]
    assert [c.n for c in within_budget(big, 10)] == [1]  # the best excerpt always goes in
    seen = []

    def script(messages):
        seen.append(messages[-1].content)
        return "It was well tolerated. [1]"

    settings = sample_settings.model_copy(update={"llm_context_tokens": 200})
    Bot(settings, sample_store, embedder, chat_model=ScriptedChatModel(script=script)).ask(QUESTION)
    assert seen and seen[0].count("\n[") <= 2  # only what fits the 200-token budget was sent


def test_guardrail_judge_reads_the_model_and_survives_its_failures(sample_settings):
    from bot.guard.judge import LLMJudge
    from bot.prompts import Prompts

    prompts = Prompts(sample_settings.prompts_dir)
    refuse = LLMJudge(ScriptedChatModel(script=lambda m: "self_administration"), prompts, timeout=5).classify("how do I do it", [])
    assert refuse.decision == "refuse" and refuse.category == "self_administration"
    assert LLMJudge(ScriptedChatModel(script=lambda m: "allow"), prompts, timeout=5).classify("is it safe?", []) is None
    assert LLMJudge(ScriptedChatModel(script=raiser), prompts, timeout=5).classify("x", []) is None
