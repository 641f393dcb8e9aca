"""Layer 4, a few high-precision rules kept as data (prompts/guardrail/rules.yaml), with typed fields.

Rules catch the plainest request shapes with certainty ("where can I buy…", "¿cuánto debo tomar…?"),
so the classifier's threshold does not have to be low for them. They name no drug, trial or product:
the topic gate (topic.py) supplies the product, so a new monograph needs no new rule. Patterns are
compiled once, when the guard is built, not at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Category = Literal["dosing", "personalization", "self_administration", "sourcing"]
CATEGORIES = ("dosing", "personalization", "self_administration", "sourcing")


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    language: str
    firm: bool
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Hit:
    rule: Rule
    text: str


def load_rules(spec: dict) -> list[Rule]:
    """Rules from the YAML document; a malformed rule is an error naming it (never silently skipped)."""
    rules = []
    for raw in spec.get("rules", []):
        rule_id = raw.get("id", "?")
        if raw.get("category") not in CATEGORIES:
            raise ValueError(f"guardrail rule {rule_id}: category must be one of {', '.join(CATEGORIES)}")
        if not isinstance(raw.get("firm"), bool) or not raw.get("language") or not raw.get("pattern"):
            raise ValueError(f"guardrail rule {rule_id}: needs language, pattern and firm (true or false)")
        try:
            pattern = re.compile(raw["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"guardrail rule {rule_id}: bad pattern: {exc}") from exc
        rules.append(Rule(rule_id, raw["category"], raw["language"], raw["firm"], pattern))
    return rules


def meta_pattern(spec: dict) -> re.Pattern[str]:
    return re.compile(spec.get("meta_questions") or r"(?!)", re.IGNORECASE)


def first_hit(rules: list[Rule], texts: list[str], meta: re.Pattern[str] | None = None) -> Hit | None:
    """The first rule matching any of the texts; firm rules before soft ones. A message asking why the bot
    refuses quotes a request without making it, so no rule fires on it."""
    if meta is not None and any(meta.search(t) for t in texts):
        return None
    soft: Hit | None = None
    for rule in rules:
        for text in texts:
            m = rule.pattern.search(text)
            if m:
                if rule.firm:
                    return Hit(rule, m.group(0))
                soft = soft or Hit(rule, m.group(0))
    return soft
