"""The guardrail policy as data: prompts/guardrail/policy.yaml names the categories, messages, thresholds and
the files every layer reads (lexicon, rules, classifier weights). Nothing in bot/guard duplicates it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class AnswerCheck:
    personal: re.Pattern[str]
    descriptive: re.Pattern[str]
    use_or_amount: re.Pattern[str]
    dose_figure: re.Pattern[str]


@dataclass(frozen=True)
class Policy:
    folder: Path
    refuse: dict[str, list[str]]  # category -> exemplars
    answer: list[str]
    messages: dict[str, str]  # category -> message file name
    soft_factor: float
    judge_band: float
    notice_terms: re.Pattern[str]
    answer_check: AnswerCheck
    lexicon: dict
    rules: dict
    concepts: dict[str, list[str]]
    classifier_path: Path

    @property
    def categories(self) -> list[str]:
        return list(self.refuse)


def _read_yaml(path: Path) -> dict:
    try:
        # libyaml's safe loader when PyYAML was built with it: the pure-Python one costs ~60 ms at start-up here.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"guardrail policy file {path}: {exc}") from exc


@lru_cache(maxsize=4)
def load_policy(prompts_dir: str) -> Policy:
    folder = Path(prompts_dir) / "guardrail"
    data = _read_yaml(folder / "policy.yaml")
    files, decision, check = data["files"], data["decision"], data["answer_check"]

    def c(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern, re.IGNORECASE)

    return Policy(
        folder=folder,
        refuse={name: list(spec.get("exemplars", [])) for name, spec in data["refuse"].items()},
        answer=list(data["answer"]["exemplars"]),
        messages=dict(data["messages"]),
        soft_factor=float(decision["soft_factor"]),
        judge_band=float(decision["judge_band"]),
        notice_terms=c(decision["notice_terms"]),
        answer_check=AnswerCheck(**{k: c(v) for k, v in check.items()}),
        lexicon=_read_yaml(folder / files["lexicon"]),
        rules=_read_yaml(folder / files["rules"]),
        concepts=_read_yaml(folder / files["concepts"])["concepts"],
        classifier_path=folder / files["classifier"],
    )
