"""The Slack app: same chain, same answer object and same feedback store as the web API.

Every listener acknowledges at once and does its work in a Bolt lazy listener, so Slack gets its reply
within 3 seconds. Answers always go into a thread: a short placeholder first, replaced by the answer
(chat.update). Slack API errors are retried a bounded number of times (`ratelimited` after its
Retry-After); if the answer still cannot be posted, a short apology goes into the thread. Nothing a
handler raises reaches Bolt.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .. import logs
from ..answer import Answer
from ..chain import Bot
from ..feedback import FeedbackStore, FeedbackUnavailable, UnknownAnswer
from ..prompts import Prompts
from ..settings import Settings
from . import blocks as render
from . import threads
from .dedupe import Seen

log = logging.getLogger("monobot.slack")
MAX_ATTEMPTS = 3


class SlackPostFailed(RuntimeError):
    pass


def secret(value: Any) -> str | None:
    """A SecretStr (or a plain string from code that built settings by hand) as its value."""
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def user_hash(user: str | None) -> str | None:
    return hashlib.sha256(f"slack:{user}".encode()).hexdigest()[:16] if user else None


class SlackBot:
    def __init__(
        self,
        settings: Settings,
        bot: Bot,
        feedback: FeedbackStore,
        client: WebClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seen: Seen | None = None,
    ) -> None:
        self.settings = settings
        self.bot = bot
        self.feedback = feedback
        token = secret(settings.slack_bot_token)
        if client is None:
            kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
            client = WebClient(token=token, **kwargs)
        self.client = client
        self.sleep = sleep
        self.seen = seen or Seen()
        self.prompts = Prompts(settings.prompts_dir)
        self._bot_user_id: str | None = None

    # -- Slack Web API with bounded retries
    def call(self, method: str, **kwargs: Any) -> dict:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return getattr(self.client, method)(**kwargs).data
            except SlackApiError as exc:
                response = exc.response
                limited = response.status_code == 429 or response.get("error") == "ratelimited"
                if attempt == MAX_ATTEMPTS or (not limited and response.status_code < 500):
                    raise SlackPostFailed(f"{method}: {response.get('error') or response.status_code}") from exc
                delay = float(response.headers.get("Retry-After", "1")) if limited else 0.5 * attempt
                log.warning("slack %s failed (%s), retrying in %.1f s", method, response.get("error") or response.status_code, delay)
                self.sleep(min(delay, 60.0))
            except Exception as exc:  # noqa: BLE001 - connection errors and the like: retry, then give up
                if attempt == MAX_ATTEMPTS:
                    raise SlackPostFailed(f"{method}: {type(exc).__name__}") from exc
                self.sleep(0.5 * attempt)
        raise SlackPostFailed(method)  # pragma: no cover

    @property
    def bot_user_id(self) -> str | None:
        if self._bot_user_id is None:
            try:
                self._bot_user_id = self.call("auth_test").get("user_id")
            except SlackPostFailed as exc:
                log.warning("auth.test failed: %s", exc)
        return self._bot_user_id

    # -- answering
    def answer_in_thread(self, channel: str, thread_ts: str, question: str, history: list[dict], user: str | None) -> None:
        placeholder_text = self.prompts.message("slack_placeholder")
        try:
            placeholder = self.call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=placeholder_text)
        except SlackPostFailed as exc:
            log.warning("could not post the placeholder: %s", exc)
            placeholder = None
        try:
            answer = self.ask(question, history, user)
            messages = render.render(answer)
            text = render.fallback_text(answer)
            if placeholder is not None:
                self.call("chat_update", channel=channel, ts=placeholder["ts"], text=text, blocks=messages[0])
            else:
                self.call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=text, blocks=messages[0])
            for extra in messages[1:]:
                self.call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=text[:200], blocks=extra)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the thread gets an apology, the app lives on
            log.warning("answer not posted: %s", exc)
            self._apologise(channel, thread_ts, placeholder)

    def _apologise(self, channel: str, thread_ts: str, placeholder: dict | None) -> None:
        text = self.prompts.message("slack_apology")
        try:
            if placeholder is not None:
                self.call("chat_update", channel=channel, ts=placeholder["ts"], text=text, blocks=[])
            else:
                self.call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=text)
        except SlackPostFailed:
            log.error("could not even post the apology in %s", channel)

    def ask(self, question: str, history: list[dict], user: str | None) -> Answer:
        if not question.strip():
            return Answer(question="", status="abstained", answer=self.prompts.message("slack_empty"), mode="none")
        answer = self.bot.ask(question, history)
        self.feedback.log_answer(answer, "slack", user_hash(user))
        return answer

    def thread_history(self, channel: str, thread_ts: str, current_ts: str) -> tuple[list[dict], bool]:
        """(history, whether the bot has answered in this thread) from conversations.replies."""
        try:
            replies = self.call("conversations_replies", channel=channel, ts=thread_ts, limit=50)
        except SlackPostFailed as exc:
            log.warning("conversations.replies failed: %s", exc)
            return [], False
        messages = replies.get("messages", [])
        placeholder = self.prompts.message("slack_placeholder")
        return threads.history(messages, self.bot_user_id, current_ts, placeholder), threads.bot_has_replied(messages, self.bot_user_id)

    # -- listeners (lazy: run after the ack)
    def on_mention(self, event: dict) -> None:
        logs.request_id.set(f"slack-{event.get('channel')}-{event.get('ts')}")
        if not self.seen.first(f"{event.get('channel')}:{event.get('ts')}"):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        history: list[dict] = []
        if event.get("thread_ts"):
            history, _ = self.thread_history(event["channel"], thread_ts, event["ts"])
        self.answer_in_thread(event["channel"], thread_ts, threads.clean(event.get("text", "")), history, event.get("user"))

    def on_message(self, event: dict) -> None:
        logs.request_id.set(f"slack-{event.get('channel')}-{event.get('ts')}")
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return  # bots (including this one), edits, joins: never answered
        text = event.get("text", "")
        bot_id = self.bot_user_id
        if bot_id and f"<@{bot_id}>" in text and event.get("channel_type") != "im":
            return  # the app_mention listener answers mentions
        is_dm = event.get("channel_type") == "im"
        in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
        if not is_dm and not in_thread:
            return
        key = f"{event.get('channel')}:{event.get('ts')}"
        history: list[dict] = []
        thread_ts = event.get("thread_ts") or event["ts"]
        if in_thread:
            history, answered = self.thread_history(event["channel"], thread_ts, event["ts"])
            if not is_dm and not answered:
                return  # a thread the bot is not part of
        if not self.seen.first(key):
            return
        self.answer_in_thread(event["channel"], thread_ts, threads.clean(text), history, event.get("user"))

    def on_command(self, command: dict, respond: Callable[..., Any]) -> None:
        logs.request_id.set(f"slack-command-{command.get('trigger_id', '')}")
        text = command.get("text", "").strip()
        public = text.lower().startswith("share ")
        question = text[6:].strip() if public else text
        try:
            answer = self.ask(question, [], command.get("user_id"))
            respond(text=render.fallback_text(answer), blocks=render.render(answer)[0], response_type="in_channel" if public else "ephemeral")
        except Exception as exc:  # noqa: BLE001
            log.warning("slash command failed: %s", exc)
            try:
                respond(text=self.prompts.message("slack_apology"), response_type="ephemeral")
            except Exception:  # noqa: BLE001
                log.error("could not respond to the slash command")

    def on_feedback(self, body: dict, action: dict, respond: Callable[..., Any]) -> None:
        rating = "up" if action.get("action_id") == "monobot_feedback_up" else "down"
        user = (body.get("user") or {}).get("id")
        try:
            self.feedback.record_feedback(action.get("value", ""), rating, "slack", user_hash=user_hash(user))
            text = self.prompts.message("slack_feedback_thanks", rating="👍" if rating == "up" else "👎")
        except (FeedbackUnavailable, UnknownAnswer, ValueError) as exc:
            log.warning("feedback not recorded: %s", type(exc).__name__)
            text = self.prompts.message("slack_feedback_failed")
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:  # noqa: BLE001
            log.warning("could not acknowledge feedback")

    # -- wiring
    def build_app(self) -> App:
        signing = secret(self.settings.slack_signing_secret)
        app = App(
            client=self.client,
            signing_secret=signing,
            token_verification_enabled=False,
            request_verification_enabled=signing is not None,
            ignoring_self_events_enabled=False,  # on_message filters bot messages itself, without an auth.test per event
            process_before_response=False,
        )

        def ack(ack: Callable[..., Any]) -> None:
            ack()

        app.event("app_mention")(ack=ack, lazy=[lambda event: self.on_mention(event)])
        app.event("message")(ack=ack, lazy=[lambda event: self.on_message(event)])
        app.command("/monobot")(ack=ack, lazy=[lambda command, respond: self.on_command(command, respond)])
        app.action("monobot_feedback_up")(ack=ack, lazy=[lambda body, action, respond: self.on_feedback(body, action, respond)])
        app.action("monobot_feedback_down")(ack=ack, lazy=[lambda body, action, respond: self.on_feedback(body, action, respond)])
        return app
