"""Thread follow-ups: only this bot's own answers count, every page of the thread is read, and
"also send to channel" replies are follow-ups too. Signed events over HTTP; Web API calls to the fake."""

from __future__ import annotations

import pytest

from bot.slack import threads

from .helpers import RecordingBot, final_update, reply, send_event

PARENT = "1700001000.000100"
ANSWER = "It was about as tolerable as placebo [1]."


def ts(i: int) -> str:
    return f"1700001000.{100 + i:06d}"


def our_answer(at: str, text: str = ANSWER) -> dict:
    """A message monobot posted (the fake's auth.test says it is UBOT / BBOT)."""
    return {"ts": at, "user": "UBOT", "bot_id": "BBOT", "text": text}


@pytest.fixture()
def recorded(slack, fake_bot):
    slack.slack_bot.bot = RecordingBot(fake_bot)
    return slack.slack_bot.bot


def test_thread_where_only_another_bot_posted_is_not_answered(slack, fake, recorded):
    fake.threads[PARENT] = [
        {
            "ts": PARENT,
            "subtype": "bot_message",
            "bot_id": "BGITHUB",
            "username": "GitHub",
            "text": "PR #42 opened: bump deps",
        },
        {"ts": ts(1), "user": "UGITHUB", "bot_id": "BGITHUB", "text": "CI passed"},
        {"ts": ts(2), "user": "U1", "text": "Is Semax safe to merge?"},
    ]
    assert send_event(slack, reply("Is Semax safe to merge?", ts(2), PARENT), event_id="EvGh").status_code == 200
    assert slack.slack_bot.settled.wait_for(1), "the listener never finished"
    assert fake.calls_to("conversations.replies")
    assert fake.calls_to("chat.postMessage") == [] and recorded.calls == []


def test_follow_up_in_our_thread_has_user_and_assistant_roles_only_for_us(slack, fake, recorded):
    fake.threads[PARENT] = [
        {"ts": PARENT, "user": "U1", "text": "<@UBOT> Is Cerebrolysin safe?"},
        our_answer(ts(1)),
        {"ts": ts(2), "user": "UJIRA", "bot_id": "BJIRA", "text": "JIRA-7 linked to this thread"},
        {"ts": ts(3), "subtype": "bot_message", "bot_id": "BFLOW", "text": "Workflow: please fill in the form"},
        {"ts": ts(4), "user": "U1", "text": "what about allergic reactions?"},
    ]
    send_event(slack, reply("what about allergic reactions?", ts(4), PARENT), event_id="EvOurs")
    update = final_update(fake)
    assert update["blocks"]
    question, history = recorded.calls[0]
    assert question == "what about allergic reactions?"
    assert history == [{"role": "user", "content": "Is Cerebrolysin safe?"}, {"role": "assistant", "content": ANSWER}]
    assert len(fake.calls_to("auth.test")) == 1  # the identity Bolt's authorization looked up, reused


def test_also_send_to_channel_reply_is_answered(slack, fake, recorded):
    fake.threads[PARENT] = [
        {"ts": PARENT, "user": "U1", "text": "<@UBOT> Is Cerebrolysin safe?"},
        our_answer(ts(1)),
        {"ts": ts(2), "user": "U1", "subtype": "thread_broadcast", "text": "what about allergic reactions?"},
    ]
    event = reply(
        "what about allergic reactions?", ts(2), PARENT, subtype="thread_broadcast", root={"ts": PARENT, "user": "U1"}
    )
    send_event(slack, event, event_id="EvBroadcast")
    final_update(fake)
    assert fake.calls_to("chat.postMessage")[0]["body"]["thread_ts"] == PARENT
    assert recorded.calls[0][1][-1]["role"] == "assistant"


def test_long_thread_is_read_to_its_end_through_cursors(slack, fake, recorded):
    fake.max_page = 100
    messages = [{"ts": PARENT, "user": "U1", "text": "<@UBOT> Is Cerebrolysin safe?"}]
    for i in range(1, 451):
        messages.append(
            our_answer(ts(i), f"answer {i}") if i % 2 else {"ts": ts(i), "user": "U1", "text": f"question {i}"}
        )
    messages.append({"ts": ts(451), "user": "U1", "text": "what about allergic reactions?"})
    fake.threads[PARENT] = messages
    send_event(slack, reply("what about allergic reactions?", ts(451), PARENT), event_id="EvLong")
    final_update(fake)
    pages = fake.calls_to("conversations.replies")
    assert len(pages) == 5  # 452 messages, 100 a page
    assert "cursor" not in pages[0]["body"] and all(p["body"].get("cursor") for p in pages[1:])
    history = recorded.calls[0][1]
    turns = slack.slack_bot.settings.max_history_turns
    assert len(history) == turns
    assert history[0] == {"role": "assistant", "content": "answer 431"}
    assert history[-2:] == [{"role": "assistant", "content": "answer 449"}, {"role": "user", "content": "question 450"}]


def test_thread_pages_are_bounded(slack, fake, recorded):
    fake.max_page = 50
    fake.threads[PARENT] = [{"ts": PARENT, "user": "U1", "text": "<@UBOT> Is Cerebrolysin safe?"}, our_answer(ts(1))]
    fake.threads[PARENT] += [{"ts": ts(i), "user": "U1", "text": f"chatter {i}"} for i in range(2, 3000)]
    send_event(slack, reply("what about allergic reactions?", ts(3000), PARENT), event_id="EvHuge")
    final_update(fake)
    assert len(fake.calls_to("conversations.replies")) == threads.MAX_PAGES
