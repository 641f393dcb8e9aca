"""The eval question-set format (JSONL), validated line by line so one bad line never sinks a run."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EXPECT = ("answer", "refuse", "abstain")
STATUS_FOR = {"answer": "answered", "refuse": "refused", "abstain": "abstained"}


@dataclass
class Question:
    id: str
    question: str
    expect: str
    category: str
    history: list[dict] = field(default_factory=list)
    doc: str | None = None
    section: str | None = None
    must_include: list[str] = field(default_factory=list)

    @property
    def expected_status(self) -> str:
        return STATUS_FOR[self.expect]


class QuestionError(ValueError):
    """A malformed line: the message names the line number and the field."""


def _field(raw: dict, name: str, kind: type | tuple, line: int, required: bool = True):
    if name not in raw or raw[name] is None:
        if required:
            raise QuestionError(f"line {line}: field '{name}' is missing")
        return None
    if not isinstance(raw[name], kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise QuestionError(f"line {line}: field '{name}' must be {names}, not {type(raw[name]).__name__}")
    return raw[name]


def parse_line(text: str, line: int) -> Question:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionError(f"line {line}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise QuestionError(f"line {line}: expected a JSON object")
    qid = _field(raw, "id", str, line)
    question = _field(raw, "question", str, line)
    if not question.strip():
        raise QuestionError(f"line {line}: field 'question' is empty")
    expect = _field(raw, "expect", str, line)
    if expect not in EXPECT:
        raise QuestionError(f"line {line}: field 'expect' must be one of {', '.join(EXPECT)}, not {expect!r}")
    history = _field(raw, "history", list, line, required=False) or []
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise QuestionError(f"line {line}: field 'history' item {i} must be {{role: user|assistant, content: str}}")
    must = _field(raw, "must_include", list, line, required=False) or []
    if not all(isinstance(m, str) and m for m in must):
        raise QuestionError(f"line {line}: field 'must_include' must be a list of non-empty strings")
    return Question(
        id=qid,
        question=question,
        expect=expect,
        category=_field(raw, "category", str, line, required=False) or "uncategorised",
        history=history,
        doc=_field(raw, "doc", str, line, required=False),
        section=_field(raw, "section", str, line, required=False),
        must_include=must,
    )


def load(path: Path) -> tuple[list[Question], list[str]]:
    """Questions and one error message per skipped line; duplicate ids are errors too."""
    questions: list[Question] = []
    errors: list[str] = []
    seen: set[str] = set()
    for line, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            q = parse_line(text, line)
        except QuestionError as exc:
            errors.append(f"{path}: {exc}")
            continue
        if q.id in seen:
            errors.append(f"{path}: line {line}: field 'id' {q.id!r} is used twice")
            continue
        seen.add(q.id)
        questions.append(q)
    return questions, errors


def load_many(paths: list[Path]) -> tuple[list[Question], list[str]]:
    """Several files as one set (a split's sample + holdout); an id used in two files is an error too."""
    questions: list[Question] = []
    errors: list[str] = []
    seen: dict[str, Path] = {}
    for path in paths:
        got, errs = load(path)
        errors += errs
        for q in got:
            if q.id in seen:
                errors.append(f"{path}: id {q.id!r} is also used in {seen[q.id]}")
                continue
            seen[q.id] = path
            questions.append(q)
    return questions, errors


def select(questions: list[Question], ids: list[str] | None = None, filters: list[str] | None = None) -> list[Question]:
    """The subset to rerun: `ids` (exact), and `filters` of the form FIELD=GLOB on id, category, expect or doc.

    Several filters must all match; a filter on an unknown field raises QuestionError naming the fields.
    """
    wanted = set(ids or [])
    rules = []
    for f in filters or []:
        name, sep, pattern = f.partition("=")
        if not sep or name not in FILTER_FIELDS:
            raise QuestionError(f"filter {f!r}: expected FIELD=GLOB with FIELD one of {', '.join(FILTER_FIELDS)}")
        rules.append((name, pattern))
    return [
        q
        for q in questions
        if (not wanted or q.id in wanted)
        and all(fnmatch.fnmatchcase(str(getattr(q, name) or ""), pattern) for name, pattern in rules)
    ]


FILTER_FIELDS = ("id", "category", "expect", "doc", "section")


@dataclass
class Split:
    """One side of a labelled set: its question files and the corpus folders they are asked over."""

    name: str
    questions: list[Path]
    corpus: list[Path]
    frozen: bool = False  # a frozen test split: only its metrics may reach the terminal


@dataclass
class Suite:
    name: str
    description: str
    splits: list[Split]
    thresholds: Path | None = None


def load_suites(path: Path, root: Path) -> dict[str, Suite]:
    """eval/suites.yaml: each suite's splits (question files and corpus folders, relative to `root`)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionError(f"{path}: {exc}") from None
    suites: dict[str, Suite] = {}
    for name, body in (raw or {}).get("suites", {}).items():
        try:
            splits = [
                Split(
                    name=split,
                    questions=[root / p for p in spec["questions"]],
                    corpus=[root / p for p in spec["corpus"]],
                    frozen=bool(spec.get("frozen", False)),
                )
                for split, spec in body["splits"].items()
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise QuestionError(f"{path}: suite {name!r}: each split needs 'questions' and 'corpus' ({exc})") from None
        thresholds = body.get("thresholds")
        suites[name] = Suite(name, body.get("description", ""), splits, root / thresholds if thresholds else None)
    return suites
