"""The guardrail policy as data: prompts/guardrail/policy.yaml is the single source of truth."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Policy:
    refuse: dict[str, list[str]]  # category -> exemplars
    answer: list[str]
    messages: dict[str, str]  # category -> message file name

    @property
    def categories(self) -> list[str]:
        return list(self.refuse)


@lru_cache(maxsize=4)
def load_policy(prompts_dir: str) -> Policy:
    path = Path(prompts_dir) / "guardrail" / "policy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Policy(
        refuse={name: list(spec.get("exemplars", [])) for name, spec in data["refuse"].items()},
        answer=list(data["answer"]["exemplars"]),
        messages=dict(data["messages"]),
    )
