"""Staff ids are salted like the web client hash, and handler errors are logged by the project's policy."""

from __future__ import annotations

import hashlib
import io
import json
import logging

from pydantic import SecretStr
from sqlalchemy import select

from bot import logs
from bot.feedback import FeedbackStore, questions
from bot.slack.identity import slack_salt

from .helpers import final_update, live_slack, mention, send_event


def test_user_ids_are_hashed_with_the_client_salt(fake, sample_settings, bot, tmp_path):
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    settings = sample_settings.model_copy(update={"client_salt": SecretStr("pepper")})
    with live_slack(settings, bot, feedback, fake) as server:
        send_event(server, mention("Is Semax safe?", ts="1700003000.000100"), event_id="EvSalt")
        final_update(fake)
        feedback.flush()
        with feedback.engine.connect() as conn:
            stored = conn.execute(select(questions.c.client_hash).where(questions.c.channel == "slack")).scalar_one()
    assert stored == hashlib.sha256(b"pepper:slack:U1").hexdigest()[:16]
    assert stored != hashlib.sha256(b"slack:U1").hexdigest()[:16]


def test_without_the_salt_variable_workers_still_agree(sample_settings):
    """The fallback salt is derived from the bot token: secret, and the same in every worker."""
    settings = sample_settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-one")})
    assert slack_salt(settings) == slack_salt(settings.model_copy())
    assert slack_salt(settings) != slack_salt(settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-two")}))
    assert "xoxb-one" not in slack_salt(settings)


class Exploding:
    def ask(self, question, history=None):
        raise RuntimeError(f"chain broke on {question!r}")


def capture(debug: bool) -> tuple[logging.Handler, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter(debug=debug))
    return handler, out


def test_handler_errors_log_the_type_only_and_the_trace_in_debug(slack, fake):
    slack.slack_bot.bot = Exploding()
    logger = logging.getLogger("monobot.slack")
    quiet, quiet_out = capture(debug=False)
    loud, loud_out = capture(debug=True)
    logger.addHandler(quiet)
    logger.addHandler(loud)
    try:
        send_event(slack, mention("Is Cerebrolysin safe for my uncle?", ts="1700003100.000100"), event_id="EvLog")
        apology = final_update(fake)
    finally:
        logger.removeHandler(quiet)
        logger.removeHandler(loud)
    assert apology["text"].startswith("Sorry")
    [line] = [json.loads(x) for x in quiet_out.getvalue().splitlines() if "answer not posted" in x]
    assert line["level"] == "WARNING" and line["error"] == "RuntimeError"
    assert "uncle" not in quiet_out.getvalue()
    [line] = [json.loads(x) for x in loud_out.getvalue().splitlines() if "answer not posted" in x]
    assert "Traceback" in line["error"] and "chain broke" in line["error"]
