"""The Slack app: same chain, same answer object and same feedback store as the web API.

Every listener acknowledges at once and does its work in a Bolt lazy listener, so Slack gets its reply
within 3 seconds. Nothing runs before the ack that could call Slack: authorization is a local function
(the configured bot token; no auth.test per request), so an unreachable Slack API costs a logged failure
after the ack, never a 500 to Slack. Answers always go into a thread: a short placeholder first, replaced
by the answer (chat.update). Slack API errors are retried by slack_sdk's retry handlers (bot/slack/retry.py:
`ratelimited` after its Retry-After, 5xx and dropped connections with back-off); if the answer still
cannot be posted, a short apology goes into the thread. Nothing a handler raises reaches Bolt; what it
raised is logged under the project's policy (bot/logs.py): the exception type only, the full trace with
MONOBOT_DEBUG, never the question in the message. Every text sent to Slack is escaped (blocks.escape).

Each message is answered once across processes (claims.Claims), and only this app's own messages
count as its answers in a thread (identity.BotIdentity).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .. import logs
from ..chain import Bot
from ..contract import Answer
from ..feedback import FeedbackStore, FeedbackUnavailable, UnknownAnswer
from ..prompts import Prompts
from ..settings import Settings
from . import blocks as render
from . import home, threads
from . import retry as retries
from .claims import Claims
from .identity import BotIdentity, from_context, slack_salt, user_hash

log = logging.getLogger("monobot.slack")
# "Also send to channel" replies are thread replies too; edits, joins and bot messages are not questions.
ANSWERED_SUBTYPES = frozenset({None, "thread_broadcast"})


class SlackPostFailed(RuntimeError):
    pass


class Settled:
    """How many listener runs have finished (answered, ignored or failed): work after the ack is
    invisible to Slack's HTTP response, so operators' metrics and tests wait on this, never on a sleep."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return self._count

    def one_more(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """True once `count` runs have finished; False if `timeout` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count >= count, timeout)


def secret(value: Any) -> str | None:
    """A SecretStr (or a plain string from code that built settings by hand) as its value."""
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


class SlackBot:
    def __init__(
        self,
        settings: Settings,
        bot: Bot,
        feedback: FeedbackStore,
        client: WebClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        claims: Claims | None = None,
    ) -> None:
        self.settings = settings
        self.bot = bot
        self.feedback = feedback
        token = secret(settings.slack_bot_token)
        if client is None:
            client = (
                WebClient(token=token, base_url=settings.slack_api_url)
                if settings.slack_api_url
                else WebClient(token=token)
            )
        # slack_sdk's retry handlers, sleeping through self.sleep (tests record the waits instead).
        client.retry_handlers = retries.handlers(lambda seconds: self.sleep(seconds))
        self.client = client
        self.sleep = sleep
        # Claimed in the feedback database, so a retry landing in another worker is not answered twice.
        self.claims = claims or Claims(getattr(feedback, "engine", None))
        self.salt = slack_salt(settings)
        self.prompts = Prompts(settings.prompts_dir)
        self._me = BotIdentity()
        self.settled = Settled()

    # -- Slack Web API (retries: the client's retry handlers)
    def call(self, method: str, **kwargs: Any) -> dict:
        try:
            return getattr(self.client, method)(**kwargs).data
        except SlackApiError as exc:
            response = exc.response
            raise SlackPostFailed(f"{method}: {response.get('error') or response.status_code}") from exc
        except Exception as exc:
            raise SlackPostFailed(f"{method}: {type(exc).__name__}") from exc

    def message(self, name: str, **fields: object) -> str:
        """A message from prompts/messages, escaped like every other text sent to Slack."""
        return render.escape(self.prompts.message(name, **fields))

    def me(self, context: Any = None) -> BotIdentity:
        """This app's own ids: from Bolt's context (its cached auth.test), else one auth.test of ours, cached.

        Unknown (auth.test failing) means no message counts as ours, so channel threads go unanswered
        rather than the bot answering in threads it never joined.
        """
        if not self._me.known:
            found = from_context(context)
            if not found.known:
                try:
                    data = self.call("auth_test")
                    found = BotIdentity(user_id=data.get("user_id"), bot_id=data.get("bot_id"))
                except SlackPostFailed:
                    log.warning("auth.test failed; the bot's own messages cannot be recognised", exc_info=True)
            self._me = found
        return self._me

    # -- answering
    def answer_in_thread(
        self, channel: str, thread_ts: str, question: str, history: list[dict], user: str | None
    ) -> None:
        placeholder_text = self.message("slack_placeholder")
        try:
            placeholder = self.call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=placeholder_text)
        except SlackPostFailed:
            log.warning("could not post the placeholder", exc_info=True)
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
                self.call(
                    "chat_postMessage",
                    channel=channel,
                    thread_ts=thread_ts,
                    text=render.truncate(text, 200),
                    blocks=extra,
                )
        except Exception:
            log.warning("answer not posted", exc_info=True)  # the type only, or the full trace in debug mode
            self._apologise(channel, thread_ts, placeholder)

    def _apologise(self, channel: str, thread_ts: str, placeholder: dict | None) -> None:
        text = self.message("slack_apology")
        try:
            if placeholder is not None:
                self.call("chat_update", channel=channel, ts=placeholder["ts"], text=text, blocks=[])
            else:
                self.call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=text)
        except SlackPostFailed:
            log.error("could not even post the apology in %s", channel, exc_info=True)

    def ask(self, question: str, history: list[dict], user: str | None) -> Answer:
        if not question.strip():
            return Answer(question="", status="abstained", answer=self.prompts.message("slack_empty"), mode="none")
        answer = self.bot.ask(question, history)
        written = self.feedback.log_answer(answer, "slack", user_hash(user, self.salt))
        if self.settings.question_log_required:
            written.result(timeout=self.feedback.write_timeout)  # a lost log row: the apology, not the answer
        return answer

    def thread_history(self, channel: str, thread_ts: str, current_ts: str, me: BotIdentity) -> tuple[list[dict], bool]:
        """(history, whether this bot has answered in the thread) from every page of conversations.replies."""
        try:
            messages, complete = threads.fetch(self.call, channel, thread_ts, current_ts)
        except SlackPostFailed:
            log.warning("conversations.replies failed", exc_info=True)
            return [], False
        if not complete:
            log.info(
                "thread %s longer than %d pages; history is from its first pages only", thread_ts, threads.MAX_PAGES
            )
        placeholder = self.message("slack_placeholder")
        turns = threads.history(messages, me, current_ts, placeholder, self.settings.max_history_turns)
        return turns, threads.bot_has_replied(messages, me)

    # -- listeners (lazy: run after the ack)
    def on_mention(self, event: dict, context: Any = None) -> None:
        logs.request_id.set(f"slack-{event.get('channel')}-{event.get('ts')}")
        if not self.claims.first(f"{event.get('channel')}:{event.get('ts')}"):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        history: list[dict] = []
        if event.get("thread_ts"):
            history, _ = self.thread_history(event["channel"], thread_ts, event["ts"], self.me(context))
        self.answer_in_thread(
            event["channel"], thread_ts, threads.clean(event.get("text", "")), history, event.get("user")
        )

    def on_message(self, event: dict, context: Any = None) -> None:
        logs.request_id.set(f"slack-{event.get('channel')}-{event.get('ts')}")
        if BotIdentity.is_bot(event) or event.get("subtype") not in ANSWERED_SUBTYPES or not event.get("user"):
            return  # bots (including this one), edits, joins: never answered
        text = event.get("text", "")
        me = self.me(context)
        if me.user_id and f"<@{me.user_id}>" in text and event.get("channel_type") != "im":
            return  # the app_mention listener answers mentions
        is_dm = event.get("channel_type") == "im"
        in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
        if not is_dm and not in_thread:
            return
        key = f"{event.get('channel')}:{event.get('ts')}"
        history: list[dict] = []
        thread_ts = event.get("thread_ts") or event["ts"]
        if in_thread:
            history, answered = self.thread_history(event["channel"], thread_ts, event["ts"], me)
            if not is_dm and not answered:
                return  # a thread this bot has not answered in (other bots' messages don't count)
        if not self.claims.first(key):
            return
        self.answer_in_thread(event["channel"], thread_ts, threads.clean(text), history, event.get("user"))

    def on_command(self, command: dict, respond: Callable[..., Any]) -> None:
        logs.request_id.set(f"slack-command-{command.get('trigger_id', '')}")
        text = command.get("text", "").strip()
        if text.lower() in ("", "help", "?"):
            self._respond(respond, text=self.message("slack_help"), response_type="ephemeral")
            return
        public = text.lower().startswith("share ")
        question = text[6:].strip() if public else text
        try:
            answer = self.ask(question, [], command.get("user_id"))
            respond(
                text=render.fallback_text(answer),
                blocks=render.render(answer)[0],
                response_type="in_channel" if public else "ephemeral",
            )
        except Exception:
            log.warning("slash command failed", exc_info=True)
            self._respond(respond, text=self.message("slack_apology"), response_type="ephemeral")

    @staticmethod
    def _respond(respond: Callable[..., Any], **kwargs: Any) -> None:
        try:
            respond(**kwargs)
        except Exception:
            log.error("could not respond to the slash command", exc_info=True)

    def on_home_opened(self, event: dict) -> None:
        """Publish the App Home tab: what the bot covers (the index's subjects) and how to ask."""
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        intro = self.message("slack_home")
        try:
            self.call("views_publish", user_id=event["user"], view=home.view(intro, home.covered(self.bot.store)))
        except SlackPostFailed:
            log.warning("could not publish the App Home tab", exc_info=True)

    def on_feedback(self, body: dict, action: dict, respond: Callable[..., Any]) -> None:
        rating = "up" if action.get("action_id") == "monobot_feedback_up" else "down"
        user = (body.get("user") or {}).get("id")
        try:
            self.feedback.record_feedback(
                action.get("value", ""), rating, "slack", user_hash=user_hash(user, self.salt)
            )
            text = self.message("slack_feedback_thanks", rating="👍" if rating == "up" else "👎")
        except (FeedbackUnavailable, UnknownAnswer, ValueError):
            log.warning("feedback not recorded", exc_info=True)
            text = self.message("slack_feedback_failed")
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:
            log.warning("could not acknowledge feedback", exc_info=True)

    # -- wiring
    def authorize(self, enterprise_id: str | None = None, team_id: str | None = None) -> AuthorizeResult:
        """Bolt's authorization without a Slack call: the configured token, and our ids when known.

        Bolt's default (SingleTeamAuthorization) calls auth.test before the listener's ack on the first
        request; with Slack's API unreachable that made every event a 500. The ids are looked up after
        the ack instead (`me`), and cached.
        """
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=self.client.token,
            bot_user_id=self._me.user_id,
            bot_id=self._me.bot_id,
        )

    def build_app(self) -> App:
        signing = secret(self.settings.slack_signing_secret)
        app = App(
            # Bolt's own client carries no token: each request's token comes from `authorize` (a client with
            # one as well makes Bolt warn that the token is ignored). Our Web API calls use self.client.
            client=WebClient(base_url=self.client.base_url, retry_handlers=self.client.retry_handlers),
            signing_secret=signing,
            authorize=lambda enterprise_id, team_id: self.authorize(enterprise_id, team_id),
            request_verification_enabled=signing is not None,
            ignoring_self_events_enabled=False,  # on_message filters bot messages itself, without an auth.test per event
            process_before_response=False,
        )

        def ack(ack: Callable[..., Any]) -> None:
            ack()

        # Bolt injects a listener's arguments by their names, so each listener is a plain function of them.
        app.event("app_mention")(ack=ack, lazy=[self._counted(lambda event, context: self.on_mention(event, context))])
        app.event("message")(ack=ack, lazy=[self._counted(lambda event, context: self.on_message(event, context))])
        app.event("app_home_opened")(ack=ack, lazy=[self._counted(lambda event: self.on_home_opened(event))])
        app.command("/monobot")(
            ack=ack, lazy=[self._counted(lambda command, respond: self.on_command(command, respond))]
        )
        feedback = self._counted(lambda body, action, respond: self.on_feedback(body, action, respond))
        app.action("monobot_feedback_up")(ack=ack, lazy=[feedback])
        app.action("monobot_feedback_down")(ack=ack, lazy=[feedback])
        return app

    def _counted(self, listener: Callable[..., None]) -> Callable[..., None]:
        """The listener, counted in `settled` when it returns (Bolt injects arguments by the wrapped names)."""

        @functools.wraps(listener)
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                listener(*args, **kwargs)
            finally:
                self.settled.one_more()

        return run
