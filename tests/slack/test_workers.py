"""One answer per message across worker processes: two app instances share one SQLite database, as
`monobot serve --workers 2` does, and Slack delivers the same message to both."""

from __future__ import annotations

import threading

import pytest

from bot.feedback import FeedbackStore

from .helpers import live_slack, mention, send_event, wait_until

pytestmark = pytest.mark.slow  # two app instances against one database


def test_same_event_to_two_workers_is_answered_once(fake, sample_settings, bot, tmp_path):
    db = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    with (
        live_slack(sample_settings, bot, FeedbackStore(db), fake) as one,
        live_slack(sample_settings, bot, FeedbackStore(db), fake) as two,
    ):
        assert one.slack_bot.claims is not two.slack_bot.claims  # nothing shared in memory
        event = mention("What did the CASTA trial find?", ts="1700002000.000100")
        # The first delivery and Slack's retry arrive at the same time, at different workers.
        sent = [
            threading.Thread(target=send_event, args=(server, event), kwargs={"event_id": "EvW", **kw})
            for server, kw in ((one, {}), (two, {"retry": 1}))
        ]
        for t in sent:
            t.start()
        for t in sent:
            t.join()
        # And the same message again as a message.channels event, to the first worker.
        send_event(one, {**event, "type": "message"}, event_id="EvW2")
        fake.wait_for(lambda f: f.calls_to("chat.update"))
        done = lambda: one.slack_bot.settled.count + two.slack_bot.settled.count  # noqa: E731
        assert wait_until(lambda: done() >= 3), "the listeners never finished"
        assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.calls_to("chat.update")) == 1


def test_unavailable_database_falls_back_to_memory(fake, sample_settings, bot, tmp_path):
    broken = FeedbackStore(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite3'}")
    with live_slack(sample_settings, bot, broken, fake) as server:
        event = mention("Is Selank safe?", ts="1700002100.000100")
        send_event(server, event, event_id="EvM")
        fake.wait_for(lambda f: f.calls_to("chat.update"))
        settled = server.slack_bot.settled.count
        send_event(server, event, event_id="EvM", retry=1)
        assert server.slack_bot.settled.wait_for(settled + 1), "the retry's listener never finished"
        assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.calls_to("chat.update")) == 1
