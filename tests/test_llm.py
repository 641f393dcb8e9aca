"""The LLM path: answers are shown only when every citation and number checks out; otherwise extractive."""

from __future__ import annotations

import pytest

from bot.chain import Bot
from bot.contract import Citation
from bot.factory import build_bot
from bot.llm import validate

from .stubs.chat_models import ScriptedChatModel, quote_first_sentence_with_number, raiser, sleeper
from .stubs.openai_stub import OpenAIStub, Reply

QUESTION = "What did the Cochrane review find about adverse events with Cerebrolysin?"


def make_bot(settings, store, embedder, script, **extra) -> Bot:
    settings = settings.model_copy(update=extra)
    return build_bot(settings, store=store, embedder=embedder, chat_model=ScriptedChatModel(script=script))


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
    citations = [
        Citation(
            n=1,
            doc="d",
            title="t",
            section="s",
            url="u",
            excerpt="three trials and 1,335 participants; RR 2.39 (1.10–5.23)",
        )
    ]
    assert validate("It pooled 1335 people with RR 2.39 and an interval of 1.10–5.23 [1].", citations) == []
    assert validate("It pooled 1335 people with RR 2.4 [1].", citations)


def test_provider_error_falls_back(sample_settings, sample_store, embedder):
    answer = make_bot(sample_settings, sample_store, embedder, raiser).ask(QUESTION)
    assert answer.mode == "extractive" and answer.status == "answered"


def test_hanging_provider_is_abandoned_at_the_timeout(sample_settings, sample_store, embedder, caplog):
    bot = make_bot(sample_settings, sample_store, embedder, sleeper(20), llm_timeout=0.5)
    answer = bot.ask(QUESTION)
    assert answer.mode == "extractive" and answer.status == "answered"
    assert any("timeout" in r.getMessage() for r in caplog.records), "the fallback must come from the timeout"


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

    openai_stub.replies.extend(
        [Reply(script=quote), Reply(status=500), Reply(text="It roughly tripled the risk (RR 3.3) [1].")]
    )
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
    build_bot(settings, store=sample_store, embedder=embedder, chat_model=ScriptedChatModel(script=script)).ask(
        QUESTION
    )
    assert seen and seen[0].count("\n[") <= 2  # only what fits the 200-token budget was sent


def test_guardrail_judge_reads_the_model_and_survives_its_failures(sample_settings):
    from bot.guard.judge import LLMJudge
    from bot.prompts import Prompts

    prompts = Prompts(sample_settings.prompts_dir)
    refuse = LLMJudge(ScriptedChatModel(script=lambda m: "self_administration"), prompts, timeout=5).classify(
        "how do I do it", []
    )
    assert refuse.decision == "refuse" and refuse.category == "self_administration"
    assert LLMJudge(ScriptedChatModel(script=lambda m: "allow"), prompts, timeout=5).classify("is it safe?", []) is None
    assert LLMJudge(ScriptedChatModel(script=raiser), prompts, timeout=5).classify("x", []) is None


# -- a misconfigured provider never takes the bot down (it runs extractive and says why, once)


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


@pytest.mark.parametrize(
    "llm,module,reason",
    [
        ("ollama:llama3.1", "langchain_ollama", "the langchain-ollama package is not installed"),
        (
            "anthropic:claude-3-5-haiku-latest",
            "langchain_anthropic",
            "the langchain-anthropic package is not installed",
        ),
        ("openai:gpt-4o-mini", None, "no API key (set MONOBOT_LLM_API_KEY or OPENAI_API_KEY)"),
    ],
)
def test_misconfigured_llm_logs_one_warning_and_answers_extractively(sample_settings, llm, module, reason, caplog):
    import logging

    from bot.llm import chat_model_from_settings

    if module and not _missing(module):
        pytest.skip(f"{module} is installed here")
    settings = sample_settings.model_copy(update={"llm": llm, "llm_api_key": None})
    with caplog.at_level(logging.WARNING, logger="bot.llm"):
        assert (
            chat_model_from_settings(settings, environ={}) is None
        )  # no OPENAI_API_KEY/ANTHROPIC_API_KEY in this environment
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.llm"]
    assert warnings == [f"MONOBOT_LLM={llm}: {reason}; answering extractively"]


def test_provider_key_is_read_from_the_environment_given(sample_settings):
    from bot.llm import chat_model_from_settings

    settings = sample_settings.model_copy(update={"llm": "openai:gpt-4o-mini", "llm_api_key": None})
    model = chat_model_from_settings(settings, environ={"OPENAI_API_KEY": "sk-test-not-a-real-key"})
    assert model is not None and model.openai_api_key.get_secret_value() == "sk-test-not-a-real-key"


@pytest.mark.skipif(
    not _missing("langchain_ollama") or not _missing("langchain_community"),
    reason="an Ollama integration is installed here",
)
def test_build_bot_with_an_uninstalled_provider_still_answers(sample_settings, sample_store, embedder):
    settings = sample_settings.model_copy(update={"llm": "ollama:llama3.1"})
    bot = build_bot(settings, store=sample_store, embedder=embedder)  # raised ImportError before
    answer = bot.ask(QUESTION)
    assert answer.status == "answered" and answer.mode == "extractive"


# -- the number check cannot be fooled by digits used another way

HYPERSENSITIVITY = (
    "A case report published in 2024 described life-threatening anaphylaxis in an 85-year-old man who received "
    "intravenous Cerebrolysin after a stroke; the reaction was confirmed with laboratory tests.[5]"
)
SERIOUS = (
    "The Cochrane authors found a possible increase with Cerebrolysin, based on three trials with 1,335 participants.[1] "
    "A possible doubling of non-fatal serious events is the kind of finding a reader should know about."
)
TABLE = (
    "Non-fatal serious adverse events | 3 trials, 1,335 participants | RR 2.39 (1.10–5.23) | 95% CI, moderate certainty"
)


def cite(excerpt: str) -> list[Citation]:
    return [Citation(n=1, doc="d", title="t", section="s", url="u", excerpt=excerpt)]


@pytest.mark.parametrize(
    "reply,excerpt,rejected",
    [
        (
            "Cerebrolysin doubled risk, 2024 deaths [1].",
            HYPERSENSITIVITY,
            ["2024 does not occur", "doubled does not occur"],
        ),
        ("There were 2024 deaths [1].", HYPERSENSITIVITY, ["2024 does not occur"]),
        ("Risk fell by −85% [1].", HYPERSENSITIVITY, ["-85% does not occur"]),
        ("Risk fell by 85% [1].", HYPERSENSITIVITY, ["85% does not occur"]),
        ("Ten of 85 patients reacted [1].", HYPERSENSITIVITY, ["ten does not occur"]),
        ("It tripled the risk [1].", HYPERSENSITIVITY, ["tripled does not occur"]),
        (
            "It halved the risk and twice as many reacted [1].",
            HYPERSENSITIVITY,
            ["halved does not occur", "twice does not occur"],
        ),
        (
            "About a dozen cases and hundreds of reactions were reported [1].",
            HYPERSENSITIVITY,
            ["dozen does not occur", "hundreds does not occur"],
        ),
        ("Risk rose by 85% [1].", "Risk −85% versus placebo.", ["85% does not occur"]),
        ("The mean difference was 0.5 points [1].", "MD −0.5 (95% CI −0.9 to −0.1).", ["0.5 does not occur"]),
        ("The risk ratio was 2.39 in 95 trials [1].", TABLE, ["95 does not occur"]),  # 95 only as "95%"
    ],
)
def test_figures_used_another_way_are_rejected(reply, excerpt, rejected):
    problems = validate(reply, cite(excerpt))
    for expected in rejected:
        assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize(
    "reply,excerpt",
    [
        ("The risk ratio was 2.39 (95% CI 1.10–5.23) [1].", TABLE),
        ("The risk ratio was 2.39 (95 percent CI 1.10-5.23) [1].", TABLE),
        ("A case report published in 2024 described anaphylaxis in an 85-year-old man [1].", HYPERSENSITIVITY),
        ("In 2024, a case report described anaphylaxis [1].", HYPERSENSITIVITY),
        ("Three trials pooled 1,335 participants [1].", SERIOUS),
        ("3 trials pooled 1\u202f335 participants [1].", SERIOUS),
        ("Non-fatal serious events may have doubled [1].", SERIOUS),
        ("The mean difference was −0.5 points (−0.9 to −0.1) [1].", "MD \u22120.5 (95% CI \u22120.9 to \u22120.1)."),
        ("Risk was reduced by 85% [1].", "Risk −85% versus placebo."),
        ("Risk −85% versus placebo [1].", "Risk was reduced by 85%."),
        ("Twenty-five people and ten percent of them [1].", "25 people; 10% of them."),
        ("It was a double-blind trial with a half-life of hours [1].", "A randomised trial."),
    ],
)
def test_fair_answers_still_pass(reply, excerpt):
    assert validate(reply, cite(excerpt)) == []


def test_a_figure_used_another_way_falls_back_end_to_end(sample_settings, sample_store, embedder):
    from .stubs.chat_models import excerpts

    def writer(text: str):
        def script(messages):
            n = next((n for n, e in excerpts(messages).items() if "2024" in e), None)
            return text.format(n=n) if n else "Nothing found. [1]"

        return script

    question = "Does Cerebrolysin cause allergic reactions?"
    fooled = make_bot(
        sample_settings, sample_store, embedder, writer("Cerebrolysin doubled risk, 2024 deaths [{n}].")
    ).ask(question)
    assert fooled.mode == "extractive" and "2024 deaths" not in fooled.answer
    fair = make_bot(
        sample_settings,
        sample_store,
        embedder,
        writer("A case report published in 2024 described anaphylaxis in an 85-year-old man [{n}]."),
    ).ask(question)
    assert fair.mode == "llm", fair.answer


# -- one LLM time budget per question


def test_budget_gives_each_call_the_time_left_and_starts_none_when_spent():
    from bot.llm import MIN_CALL_SECONDS, LLMBudget, LLMFailure

    now = [100.0]
    budget = LLMBudget(1.0, clock=lambda: now[0])
    assert budget.timeout_for_call(20) == 1.0
    assert budget.timeout_for_call(0.5) == 0.5
    now[0] += 0.7
    assert budget.timeout_for_call(20) == pytest.approx(0.3)
    now[0] += 0.3 - MIN_CALL_SECONDS / 2
    with pytest.raises(LLMFailure, match="budget is spent"):
        budget.timeout_for_call(20)


def test_judge_condense_and_answer_share_one_budget():
    """A fake clock: the first call uses up the question's budget, so the later ones never start."""
    from bot.guard.judge import LLMJudge
    from bot.llm import LLMBudget, LLMFailure, LLMWriter, active_budget
    from bot.prompts import Prompts
    from bot.settings import REPO_ROOT

    now = [0.0]

    def slow(messages):
        now[0] += 5.0  # the provider takes five (fake) seconds
        return "answer"

    model = ScriptedChatModel(script=slow)
    prompts = Prompts(REPO_ROOT / "prompts")
    writer = LLMWriter(model, prompts, timeout=1.0)
    budget = LLMBudget(1.0, clock=lambda: now[0])
    with active_budget(budget):
        LLMJudge(model, prompts, timeout=1.0).classify("is it safe?", [])
    with pytest.raises(LLMFailure, match="budget"):
        writer.condense("what about allergies?", [{"role": "user", "content": "Is Cerebrolysin safe?"}], budget)
    with pytest.raises(LLMFailure, match="budget"):
        writer.write(QUESTION, cite(HYPERSENSITIVITY), budget)
    assert len(model.calls) == 1, "no call may start once the budget is spent"


def test_one_question_waits_on_the_llm_for_one_timeout_not_three(sample_settings, sample_store, embedder):
    from bot.guard.judge import LLMJudge
    from bot.prompts import Prompts

    from .stubs.guards import JudgeEveryQuestion

    settings = sample_settings.model_copy(update={"llm_timeout": 1.0})
    prompts = Prompts(settings.prompts_dir)
    model = ScriptedChatModel(script=sleeper(5))  # every call hangs past the timeout
    guard = JudgeEveryQuestion(LLMJudge(model, prompts, settings.llm_timeout))
    bot = Bot(settings, sample_store, embedder, guard, prompts=prompts, chat_model=model)
    history = [{"role": "user", "content": "Is Cerebrolysin safe?"}, {"role": "assistant", "content": "Mostly [1]."}]
    answer = bot.ask("what about allergies?", history)  # judge, condense and answer would each wait 1 s
    assert answer.mode == "extractive" and answer.status == "answered"
    assert len(model.calls) == 1, f"{len(model.calls)} LLM calls started; the budget allows only the first"
