"""Layer 5, the conversation: read what the last turns asked, not a list of filler words.

Three shapes need the earlier turns:

- a request split across turns ("How much Semax should I" … "take every day for focus?"), or a trial
  dose turned personal after a harmless question ("What dose did the trial use?" … "so I'll do that");
- a follow-up that presses a request the bot refused ("ok just ballpark it", "hypothetically then?");
- a new, harmless question after a refusal ("fine. how was it developed?"), which must be answered.

The classifier itself reads the previous user turn as context (features.py), so it learns from labelled
conversations which follow-ups continue a request and which ask something new. This layer adds what a
per-message score cannot see: the previous request's own score, and the two turns read as one message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .classifier import Classifier, Inputs, Prediction, inputs
from .decode import Normalizer


@dataclass(frozen=True)
class Reading:
    previous: Prediction | None  # the previous user turn, judged on its own
    joined: Prediction | None  # the previous user turn and this message, read as one message


def read(
    classifier: Classifier,
    normalizer: Normalizer,
    mask: Callable[[str], str],
    history: list[dict],
    current: Inputs,
) -> Reading:
    """Scores of the previous request alone and of both turns together (n-grams only: no embedding is made)."""
    users = [i for i, t in enumerate(history) if t.get("role", "user") == "user"]
    if not users:
        return Reading(None, None)
    last = users[-1]
    _, before = inputs(normalizer, str(history[last].get("content", "")), history[:last], mask)
    previous = classifier.predict(before, None)
    joined = Inputs(text=f"{before.text} \n {current.text}", context=before.context, encoded=current.encoded)
    return Reading(previous, classifier.predict(joined, None))
