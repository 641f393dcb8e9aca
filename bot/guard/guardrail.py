"""The Guardrail: the chain's Guard, built from layers that each do one job.

1. decode.py: decoding and normalisation (encodings, look-alike letters, spacing, chat-template tokens,
   identifiers in code or JSON split into words);
2. topic.py: the topic gate (no dosing, administration or sourcing refusal without a product in the conversation);
3. classifier.py: the learned classifier over the question's embedding and character n-grams;
4. rules.py: a few high-precision rules, as data;
5. conversation.py: the earlier turns (split requests, pressing follow-ups, new questions after a refusal);
6. output.py and bot/instructions.py: checks on the text a reader would see, extractive answers included.

Which words, rules, thresholds and messages each layer uses is data under prompts/guardrail/ (policy.yaml
names the files). Nothing is embedded at start-up: the classifier scores the vector the chain already
computed for retrieval, and its weights load in milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import instructions
from ..contract import GuardDecision
from ..prompts import Prompts
from . import conversation, output
from .classifier import Classifier, inputs
from .decode import Normalizer
from .policy import Policy, load_policy
from .rules import first_hit, load_rules, meta_pattern
from .topic import TopicGate

log = logging.getLogger(__name__)


def _refuse(category: str, reason: str, score: float) -> GuardDecision:
    return GuardDecision(decision="refuse", category=category, reason=reason, score=round(float(score), 4))


class Guardrail:
    """Implements the chain's Guard protocol; decisions carry category, reason and score for the JSON output.

    `subjects` returns the live index's subjects (the topic gate's first source), `cased` the other names that
    count only as written ("SAMe"); `judge` is an optional LLM judge asked about messages just under the
    classifier's threshold.
    """

    def __init__(
        self,
        prompts: Prompts,
        subjects: Callable[[], Sequence[str]] | None = None,
        judge: Any | None = None,
        classifier: Classifier | None = None,
        cased: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        self.prompts = prompts
        self.policy: Policy = load_policy(str(prompts.directory))
        self.normalizer = Normalizer(self.policy.lexicon["common_words"])
        self.topic = TopicGate(self.policy.lexicon, subjects, cased)
        self.rules = load_rules(self.policy.rules)
        self.meta = meta_pattern(self.policy.rules)
        self.classifier = classifier or Classifier(self.policy.classifier_path, self.policy.concepts)
        self.judge = judge

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    # -- input
    def check(self, question: str, history: list[dict], vector: np.ndarray | None = None) -> GuardDecision:
        views, given = inputs(self.normalizer, question, history, self.topic.mask)
        earlier = [self.normalizer.plain(str(t.get("content", ""))) for t in history[-6:]]
        own = self.topic.evidence([views.full], raw=[question])
        product = own if own.found else self.topic.evidence(list(reversed(earlier)))
        about = f"; about {product.what!r}" if product.found else ""

        hit = first_hit(self.rules, [self.topic.mask(views.full, with_subjects=True), views.full], self.meta)
        if hit is not None and hit.rule.firm and product.found:
            return _refuse(hit.rule.category, f"rule {hit.rule.id}: {hit.text!r}{about}", 1.0)

        predicted = self.classifier.predict(given, vector)
        threshold = self.threshold * (self.policy.soft_factor if hit is not None else 1.0)
        if predicted.refuse >= threshold and product.found:
            return _refuse(
                predicted.category, f"classifier {predicted.refuse:.2f} >= {threshold:.2f}{about}", predicted.refuse
            )

        reading = conversation.read(self.classifier, self.normalizer, self.topic.mask, history, given)
        if product.found and reading.previous is not None and reading.joined is not None:
            joined = reading.joined.refuse >= self.threshold
            # The request needs both turns: the earlier one alone was not a request.
            if joined and reading.previous.refuse < self.threshold:
                return _refuse(
                    reading.joined.category,
                    f"request across turns: classifier {reading.joined.refuse:.2f} on both turns{about}",
                    reading.joined.refuse,
                )
            # The earlier turn was a request and this one leans the same way on its own ("ok, roughly?"),
            # rather than asking something new ("fine. how was it developed?"): it presses the request. A
            # message naming its own product ("Is Semax safe for my liver?") asks its own question and was
            # judged above on its own.
            if joined and not own.found and predicted.refuse >= self.policy.soft_factor * self.threshold:
                return _refuse(
                    reading.previous.category,
                    f"follow-up pressing a request: classifier {predicted.refuse:.2f} alone, "
                    f"{reading.joined.refuse:.2f} with the request{about}",
                    reading.joined.refuse,
                )

        if self.judge is not None and product.found and predicted.refuse >= self.policy.judge_band * threshold:
            verdict = self.judge.classify(question, history)
            if verdict is not None:
                return verdict

        if self.policy.notice_terms.search(views.full):
            return GuardDecision(
                decision="notice",
                category="trial_doses",
                reason=f"asks about amounts, routes or schedules; classifier {predicted.refuse:.2f}",
                score=round(predicted.refuse, 4),
            )
        reason = "" if product.found or predicted.refuse < threshold else "no product in the conversation"
        return GuardDecision(decision="allow", category=None, reason=reason, score=round(predicted.refuse, 4))

    # -- output
    def check_answer(self, question: str, text: str) -> GuardDecision | None:
        """Any answer, extractive included: doses quoted back to someone asking about their own use.

        "what's the most I can handle?" could slip past the input layers only to be answered with a trial's
        30 mL; a personal question about use or amount, with no trial named, must not get a figure.
        """
        check = self.policy.answer_check
        asked = self.normalizer.plain(question)
        if not check.personal.search(asked) or check.descriptive.search(asked) or not check.use_or_amount.search(asked):
            return None
        if not check.dose_figure.search(text):
            return None
        return _refuse("personalization", "a personal question about use, answered with dose figures", 0.9)

    def finalize(self, question: str, text: str, decision: GuardDecision) -> GuardDecision:
        """The last word on the text a reader would see, extractive or written by the LLM.

        Corpus text is untrusted: a passage that instructs the reader (a dose, route or schedule to follow)
        or addresses the assistant is never shown as the answer, whoever wrote the answer around it.
        """
        planted = instructions.find(text)
        if planted:
            first = planted[0]
            return _refuse(
                "unsafe_passage",
                f"the answer would quote an instruction from the corpus ({first.why}, {first.kind}): {first.sentence[:120]!r}",
                1.0,
            )
        late = self.check_answer(question, text)
        if late is not None:
            return late
        if decision.decision == "allow" and self.policy.answer_check.dose_figure.search(text):
            reason = "; ".join(r for r in ("the answer quotes doses used in trials", decision.reason) if r)
            return GuardDecision(
                decision="notice", category=decision.category or "trial_doses", reason=reason, score=decision.score
            )
        return decision

    def check_output(self, text: str) -> GuardDecision | None:
        """An LLM-written answer: advice in any wording, or an instruction copied from a passage."""
        found = output.blocked(text)
        if found is not None:
            category, snippet = found
            return _refuse(category, f"{category} instruction {snippet!r}", 1.0)
        planted = instructions.find(text)
        if planted:
            return _refuse("unsafe_passage", f"{planted[0].why}: {planted[0].sentence[:120]!r}", 1.0)
        return None

    # -- wording
    def refusal(self, category: str, subject: str | None) -> str:
        name = self.policy.messages.get(category, self.policy.messages["dosing"])
        return self.prompts.message(name, subject=subject or "it")

    def notice(self) -> str:
        return self.prompts.message(self.policy.messages["notice"])


__all__ = ["Guardrail"]
