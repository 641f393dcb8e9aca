"""Hostile corpus text through every Slack Web API call the app makes: nothing becomes a ping, mention or link.

Issue 16 item 2: the top-level `text` of chat.update, chat.postMessage and the slash-command respond
was sent unescaped, and a front-matter URL with `|`, `>` or `javascript:` broke out of `<url|label>`.
Every string the fake Slack received (top-level text, block texts, view texts) is checked.
"""

from __future__ import annotations

import json
import re

from bot.contract import Answer, Citation, Source
from bot.index import LiveInfo
from bot.slack import blocks as render

from ..stubs.bots import FakeBot
from .helpers import final_update, mention, send_event, send_form

HOSTILE = "Ping <!channel> and <!here|here>, mention <@U0EVIL> in <#C0EVIL>, see <https://evil.example/x|the label> & more [1] [2]."
BAD_URLS = [
    "https://example.org/monographs/a|<!channel>>#safety",  # breaks out of <url|label>
    "javascript:alert(1)",  # not http(s): never a link
]
# A link is ours only if it is <http(s)://no-space-no-pipe-no-angle|label-without-angles>.
LINK = re.compile(r"<(https?://[^\s|<>]+)\|([^<>]*)>")


def hostile_answer(question: str) -> Answer:
    citations = [
        Citation(
            n=i,
            doc=f"doc{i}",
            title="<!everyone> Title & co",
            section="<@U0EVIL> section",
            url=url,
            excerpt=f"Excerpt {i}: <!channel> <https://evil.example|click here> <@U0EVIL>.\n\nSecond line.",
            sources=[
                Source(n=1, citation="Doe J (2020). <!here> trial. PMID 123", pmid="123"),
                Source(n=2, citation="Evil <@U0EVIL> (2021).", link="https://evil.example/r>|<!channel>"),
                Source(n=3, citation="Scheme (2022).", link="javascript:alert(document.cookie)"),
            ],
        )
        for i, url in enumerate(BAD_URLS * 10, 1)  # 20 citations: more blocks than one message holds
    ]
    return Answer(
        question=question,
        status="answered",
        answer=HOSTILE * 40,  # long enough for the fallback text to be truncated
        citations=citations,
        notice="Notice <!subteam^S0EVIL> & <#C0EVIL>",
    )


class HostileBot(FakeBot):
    def ask(self, question, history=None):
        self.calls.append((question, list(history or [])))
        return hostile_answer(question)


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def assert_inert(call: dict) -> None:
    for text in strings(call["body"]):
        rest = re.sub(r"(?m)^>", "", LINK.sub("", text))  # a line-leading > is mrkdwn's block quote
        assert "<" not in rest and ">" not in rest, (call["method"], text[:300])
        for url, label in LINK.findall(text):
            assert not url.startswith("https://evil.example|") and "|" not in url, url
            assert label != "the label" and label != "click here", (url, label)  # corpus links stay text
            assert "javascript:" not in url.lower()


def test_hostile_corpus_text_reaches_slack_inert(slack, fake):
    slack.slack_bot.bot = HostileBot()
    # an answer in a thread (placeholder, the answer, continuation messages)
    send_event(slack, mention("Is it safe?", ts="1700005000.000100"), event_id="EvHostile1")
    update = final_update(fake)
    fake.wait_for(lambda f: len(f.calls_to("chat.postMessage")) >= 2)  # the answer needs more than one message
    # the slash command's respond
    command = {
        "command": "/monobot",
        "text": "share Is it safe?",
        "user_id": "U1",
        "channel_id": "C1",
        "team_id": "T1",
        "response_url": f"{fake.url}/response/9",
        "trigger_id": "1.2.9",
        "token": "t",
    }
    send_form(slack, command)
    fake.wait_for(lambda f: f.calls_to("response_url"))
    # the apology, when the answer cannot be posted
    fake.fail_next("chat.update", 400, "invalid_blocks")
    send_event(slack, mention("Is it safe?", ts="1700005100.000100"), event_id="EvHostile2")
    fake.wait_for(lambda f: len(f.calls_to("chat.update")) >= 3)
    # the App Home tab lists the index's subjects, which are corpus text too
    slack.slack_bot.bot.store.ping = lambda: LiveInfo(
        collection="c",
        generation=1,
        model_id="m",
        dim=3,
        docs={"a": {"title": "<!channel> Title", "subject": "<@U0EVIL> Subject"}, "b": {"title": "Semax & co"}},
        chunks=2,
        created=0.0,
    )
    send_event(slack, {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, event_id="EvHome")
    fake.wait_for(lambda f: f.calls_to("views.publish"))

    methods = {c["method"] for c in fake.calls}
    assert {"chat.postMessage", "chat.update", "response_url", "views.publish"} <= methods
    for call in fake.calls:
        assert_inert(call)
    assert "&lt;!channel&gt;" in update["text"] and len(update["text"]) <= render.MAX_TEXT
    shown = json.dumps(update["blocks"])
    assert "https://example.org/monographs/a%7C%3C!channel%3E%3E#safety" in shown  # encoded, still a link
    assert "javascript:alert(1)" in shown  # shown as text, never linked
    home = json.dumps(fake.calls_to("views.publish")[0]["body"])
    assert "&lt;@U0EVIL&gt; Subject" in home


def test_every_text_field_is_escaped_by_the_one_function():
    answer = hostile_answer("q")
    assert render.fallback_text(answer) == render.truncate(render.escape(answer.answer), render.MAX_TEXT)
    assert render.link("javascript:alert(1)", "x") == "x (javascript:alert(1))"
    assert render.link("https://a.example/p|q>r", "<!here>") == "<https://a.example/p%7Cq%3Er|&lt;!here&gt;>"
    assert render.truncate(render.escape("a" * 9 + "<"), 12) == "a" * 9  # never half of an &lt;
