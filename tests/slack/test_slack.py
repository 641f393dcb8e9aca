"""The Slack app over the real protocol: signed requests over HTTP to /slack/events, Web API calls to a fake."""

from __future__ import annotations

import json
import time

import httpx

from bot.slack import blocks as slack_blocks

from .helpers import final_update, mention, send_event, send_form, signed


def test_mention_gets_placeholder_then_answer_in_thread(slack, fake):
    response = send_event(slack, mention("Is Cerebrolysin safe?"))
    assert response.status_code == 200
    update = final_update(fake)
    placeholder = fake.calls_to("chat.postMessage")[0]["body"]
    assert placeholder["thread_ts"] == "1700000100.000100" and placeholder["text"].startswith(
        "Looking in the monographs"
    )
    assert update["ts"] == "1700000000.000001"
    blocks = update["blocks"]
    text = json.dumps(blocks)
    assert "example.org/monographs/fake-monograph" in text and "pubmed.ncbi.nlm.nih.gov" in text
    actions = [b for b in blocks if b["type"] == "actions"][0]
    assert {e["action_id"] for e in actions["elements"]} == {"monobot_feedback_up", "monobot_feedback_down"}


def test_direct_message_is_answered_in_its_thread(slack, fake):
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U2",
        "text": "Does Semax improve memory?",
        "ts": "1700000200.000100",
        "channel": "D1",
    }
    assert send_event(slack, event, event_id="EvDM").status_code == 200
    update = final_update(fake)
    assert fake.calls_to("chat.postMessage")[0]["body"]["thread_ts"] == "1700000200.000100"
    assert update["channel"] == "D1"


def test_thread_follow_up_without_mention_uses_thread_history(slack, fake, fake_bot):
    parent = "1700000300.000100"
    fake.threads[parent] = [
        {"ts": parent, "user": "U1", "text": "<@UBOT> Is Cerebrolysin safe?"},
        {
            "ts": "1700000300.000200",
            "user": "UBOT",
            "bot_id": "BBOT",
            "text": "It was about as tolerable as placebo [1].",
        },
        {"ts": "1700000300.000300", "user": "U1", "text": "what about allergic reactions?"},
    ]
    event = {
        "type": "message",
        "channel_type": "channel",
        "user": "U1",
        "text": "what about allergic reactions?",
        "ts": "1700000300.000300",
        "thread_ts": parent,
        "channel": "C1",
    }
    assert send_event(slack, event, event_id="EvThread").status_code == 200
    update = final_update(fake)
    assert fake.calls_to("conversations.replies")[0]["body"]["ts"] == parent
    assert "allergic" in json.dumps(update["blocks"]).lower()
    question, history = fake_bot.calls[-1]
    assert question == "what about allergic reactions?" and history[0] == {
        "role": "user",
        "content": "Is Cerebrolysin safe?",
    }
    # A thread the bot never answered in is left alone.
    fake.threads["1700000400.000100"] = [{"ts": "1700000400.000100", "user": "U3", "text": "lunch?"}]
    other = {
        "type": "message",
        "channel_type": "channel",
        "user": "U1",
        "text": "pizza",
        "ts": "1700000400.000200",
        "thread_ts": "1700000400.000100",
        "channel": "C1",
    }
    settled = slack.slack_bot.settled.count
    send_event(slack, other, event_id="EvOther")
    assert slack.slack_bot.settled.wait_for(settled + 1), "the listener never finished"
    assert len(fake.calls_to("chat.update")) == 1


def test_slash_command_is_ephemeral(slack, fake):
    data = {
        "command": "/monobot",
        "text": "Is Selank approved?",
        "user_id": "U1",
        "channel_id": "C1",
        "team_id": "T1",
        "response_url": f"{fake.url}/response/1",
        "trigger_id": "1.2.3",
        "token": "t",
    }
    response = send_form(slack, data)
    assert response.status_code == 200
    fake.wait_for(lambda f: f.calls_to("response_url"))
    reply = fake.calls_to("response_url")[0]["body"]
    assert reply["response_type"] == "ephemeral"
    assert "placebo" in json.dumps(reply["blocks"])


def test_feedback_buttons_record_and_acknowledge(slack, fake):
    send_event(slack, mention("Is BPC-157 safe?", ts="1700000500.000100"), event_id="EvFb")
    update = final_update(fake)
    actions = [b for b in update["blocks"] if b["type"] == "actions"][0]
    answer_id = actions["elements"][0]["value"]
    payload = {
        "type": "block_actions",
        "user": {"id": "U9"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "t",
        "trigger_id": "1.2",
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
        "response_url": f"{fake.url}/response/2",
        "actions": [
            {
                "action_id": "monobot_feedback_down",
                "block_id": actions["block_id"],
                "type": "button",
                "value": answer_id,
                "action_ts": "1",
            }
        ],
    }
    assert send_form(slack, {"payload": json.dumps(payload)}).status_code == 200
    fake.wait_for(lambda f: f.calls_to("response_url"))
    ack = fake.calls_to("response_url")[0]["body"]
    assert ack["response_type"] == "ephemeral" and "recorded" in ack["text"]
    rows = slack.feedback.feedback_for(answer_id)
    assert [r["rating"] for r in rows] == ["down"] and rows[0]["channel"] == "slack"


def test_bad_signature_and_stale_timestamp_are_rejected(slack, fake):
    assert send_event(slack, mention("Is Semax safe?"), secret="wrong-secret").status_code == 401
    assert send_event(slack, mention("Is Semax safe?"), timestamp=int(time.time()) - 600).status_code == 401
    assert slack.slack_bot.settled.count == 0, "a rejected request must start no listener"
    assert fake.calls == []


def test_retries_and_duplicates_answer_once(slack, fake):
    event = mention("What did the CASTA trial find?", ts="1700000600.000100")
    assert send_event(slack, event, event_id="EvR").status_code == 200
    assert send_event(slack, event, event_id="EvR", retry=1).status_code == 200
    assert send_event(slack, event, event_id="EvR", retry=2).status_code == 200
    # Slack also delivers the same message as a message.channels event: still one answer.
    dup = {**event, "type": "message"}
    assert send_event(slack, dup, event_id="EvDup").status_code == 200
    final_update(fake)
    # Every delivery Bolt passed on (retries are acked and dropped by Bolt itself) has run to the end.
    assert slack.slack_bot.settled.wait_for(4), "the listeners never finished"
    assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.calls_to("chat.update")) == 1


def test_ratelimited_is_honoured_then_answered(slack, fake):
    fake.fail_next("chat.update", 429, "ratelimited", retry_after=7)
    send_event(slack, mention("Is Selank safe?", ts="1700000700.000100"), event_id="EvRL")
    fake.wait_for(lambda f: len(f.calls_to("chat.update")) >= 2)
    assert slack.slept == [7.0]
    assert fake.calls_to("chat.update")[-1]["body"]["blocks"]


def test_persistent_server_errors_end_in_an_apology(slack, fake):
    fake.fail_next("chat.update", 500, "internal_error", times=3)
    send_event(slack, mention("Is Semax safe?", ts="1700000800.000100"), event_id="Ev500")
    fake.wait_for(lambda f: len(f.calls_to("chat.update")) >= 4)
    apology = fake.calls_to("chat.update")[-1]["body"]
    assert apology["text"].startswith("Sorry") and apology["blocks"] == []
    assert len(slack.slept) == 2
    # The app is still alive and answers the next question.
    send_event(slack, mention("Is Selank safe?", ts="1700000900.000100"), event_id="EvAfter")
    fake.wait_for(lambda f: len(f.calls_to("chat.update")) >= 5)
    assert fake.calls_to("chat.update")[-1]["body"]["blocks"]


def test_long_answers_split_within_block_limits(bot):
    from bot.contract import Answer, Citation, Source

    citations = [
        Citation(
            n=i,
            doc="d",
            title="T",
            section="S",
            url=f"https://example.org/m/d#{i}",
            excerpt="word " * 900,
            sources=[Source(n=1, citation="A (2020). T. J. PMID 123", pmid="123")],
        )
        for i in range(1, 31)
    ]
    answer = Answer(
        question="q", status="answered", answer=" ".join(f"Sentence {i} [1]." for i in range(800)), citations=citations
    )
    messages = slack_blocks.render(answer)
    assert len(messages) >= 2
    for message in messages:
        assert len(message) <= 50
        for block in message:
            text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
            assert len(text) <= 3000
    assert messages[-1][-1]["type"] == "actions"


def test_mrkdwn_is_escaped():
    from bot.contract import Answer

    answer = Answer(question="q", status="answered", answer="Text with <script> & <@U123> and <!channel>")
    text = json.dumps(slack_blocks.render(answer))
    assert "<script>" not in text and "<!channel>" not in text and "&lt;@U123&gt;" in text


def test_url_verification_is_answered_for_http_mode_setup(slack, fake):
    """Saving the Request URL in HTTP mode makes Slack send a signed challenge to /slack/events."""
    body = json.dumps(
        {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    response = httpx.post(
        f"{slack.url}/slack/events", content=body, headers=signed(body, "application/json"), timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_slash_command_help_is_ephemeral_and_asks_nothing(slack, fake, fake_bot):
    for text in ("help", ""):
        data = {
            "command": "/monobot",
            "text": text,
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T1",
            "response_url": f"{fake.url}/response/h",
            "trigger_id": "1.2.h",
            "token": "t",
        }
        assert send_form(slack, data).status_code == 200
    fake.wait_for(lambda f: len(f.calls_to("response_url")) >= 2)
    for call in fake.calls_to("response_url"):
        assert call["body"]["response_type"] == "ephemeral" and "/monobot share" in call["body"]["text"]
    assert fake_bot.calls == []


def test_app_home_lists_what_the_index_covers(slack, fake):
    send_event(slack, {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, event_id="EvHome1")
    fake.wait_for(lambda f: f.calls_to("views.publish"))
    body = fake.calls_to("views.publish")[0]["body"]
    view = body["view"] if isinstance(body["view"], dict) else json.loads(body["view"])
    assert body["user_id"] == "U1" and view["type"] == "home"
    assert "Fake" in json.dumps(view)  # the fake index's one monograph


def test_group_dm_mention_and_thread_follow_up_are_answered(slack, fake):
    event = {**mention("Is Semax safe?", ts="1700008000.000100", channel="G1"), "channel_type": "mpim"}
    assert send_event(slack, event, event_id="EvMpim").status_code == 200
    update = final_update(fake)
    assert update["channel"] == "G1"
    # an unaddressed group-DM message outside a thread is left alone
    settled = slack.slack_bot.settled.count
    chatter = {
        "type": "message",
        "channel_type": "mpim",
        "user": "U2",
        "text": "lunch?",
        "ts": "1700008001.0",
        "channel": "G1",
    }
    send_event(slack, chatter, event_id="EvMpimChatter")
    assert slack.slack_bot.settled.wait_for(settled + 1)
    assert len(fake.calls_to("chat.update")) == 1
