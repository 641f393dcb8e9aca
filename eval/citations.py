"""`monobot eval citations`: how well ingest's study-type rules label real citations (issue 18).

The labelled set is eval/citations/{dev,test}.jsonl (origins and labelling rules in eval/citations/README.md).
Each citation goes through the same path as at ingest: ingest.blocks.parse_source, then
ingest.studytype.classify. The report is a confusion matrix per split, accuracy, per-type precision and
recall, and the count of citations wrongly given one of the strong types (systematic review, randomised
trial): a badge that overstates the evidence is the error that matters most, so the gate allows none.
The frozen test split is reported as metrics only; its items are never listed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import REPO_ROOT
from ingest.blocks import parse_source
from ingest.studytype import STUDY_TYPES, classify, explain

DATA = REPO_ROOT / "eval" / "citations"
SPLITS = ("dev", "test")
STRONG = ("systematic_review", "rct")
MIN_ACCURACY = 0.95


@dataclass
class Item:
    id: str
    label: str
    citation: str
    origin: str


@dataclass
class Report:
    split: str
    n: int = 0
    correct: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> predicted -> count
    strong_false_positives: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # dev only

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def per_type(self) -> dict[str, dict[str, float | int]]:
        """Precision, recall and support of every study type in this split."""
        out: dict[str, dict[str, float | int]] = {}
        for kind in STUDY_TYPES:
            support = sum(self.confusion.get(kind, {}).values())
            predicted = sum(row.get(kind, 0) for row in self.confusion.values())
            hit = self.confusion.get(kind, {}).get(kind, 0)
            out[kind] = {
                "support": support,
                "predicted": predicted,
                "precision": round(hit / predicted, 3) if predicted else 1.0,
                "recall": round(hit / support, 3) if support else 1.0,
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        data = {
            "split": self.split,
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "strong_false_positives": self.strong_false_positives,
            "confusion": self.confusion,
            "per_type": self.per_type(),
        }
        if self.split != "test":
            data["errors"] = self.errors
        return data


def load(path: Path) -> list[Item]:
    """One labelled split; a malformed line is an error naming its line number (never its text)."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = Item(row["id"], row["label"], row["citation"], row["origin"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {number}: not a labelled citation ({type(exc).__name__})") from None
        if item.label not in STUDY_TYPES:
            raise ValueError(f"{path.name} line {number}: label must be one of {', '.join(STUDY_TYPES)}")
        items.append(item)
    return items


def evaluate(items: list[Item], split: str) -> Report:
    report = Report(split, confusion={kind: {} for kind in STUDY_TYPES})
    for item in items:
        predicted = classify(parse_source(1, item.citation))
        row = report.confusion[item.label]
        row[predicted] = row.get(predicted, 0) + 1
        report.n += 1
        if predicted == item.label:
            report.correct += 1
            continue
        if predicted in STRONG:
            report.strong_false_positives += 1
        if split != "test":
            report.errors.append(
                {
                    "id": item.id,
                    "label": item.label,
                    "predicted": predicted,
                    "citation": item.citation[:300],
                    "rules": explain(item.citation),
                    "origin": item.origin,
                }
            )
    return report


def run(splits: tuple[str, ...] = SPLITS, data: Path = DATA) -> list[Report]:
    return [evaluate(load(data / f"{split}.jsonl"), split) for split in splits]


SHORT = {
    "systematic_review": "SR",
    "rct": "RCT",
    "observational": "obs",
    "case_report": "case",
    "animal_in_vitro": "lab",
    "regulatory": "reg",
    "unknown": "unk",
}


def render(report: Report, show_errors: bool = False) -> str:
    """The confusion matrix (rows: label, columns: predicted), then accuracy and per-type recall/precision."""
    width = max(len(k) for k in STUDY_TYPES) + 2
    lines = [
        f"{report.split}: {report.n} citations, accuracy {report.accuracy:.3f}, "
        f"wrongly labelled systematic review or RCT: {report.strong_false_positives}",
        "label \\ predicted".ljust(width) + "".join(SHORT[k].rjust(6) for k in STUDY_TYPES) + "   n".rjust(6),
    ]
    for kind in STUDY_TYPES:
        row = report.confusion.get(kind, {})
        cells = "".join(str(row.get(k, 0) or ".").rjust(6) for k in STUDY_TYPES)
        lines.append(kind.ljust(width) + cells + str(sum(row.values())).rjust(6))
    per = report.per_type()
    lines.append(
        "recall".ljust(width)
        + "".join(f"{per[k]['recall']:.2f}".rjust(6) if per[k]["support"] else "   -".rjust(6) for k in STUDY_TYPES)
    )
    lines.append(
        "precision".ljust(width)
        + "".join(
            f"{per[k]['precision']:.2f}".rjust(6) if per[k]["predicted"] else "   -".rjust(6) for k in STUDY_TYPES
        )
    )
    if show_errors and report.split != "test":
        for e in report.errors:
            lines.append(f"  {e['id']}  {e['label']} -> {e['predicted']}  {e['citation'][:110]}")
    return "\n".join(lines)


def passed(reports: list[Report], min_accuracy: float = MIN_ACCURACY) -> bool:
    return all(r.accuracy >= min_accuracy and r.strong_false_positives == 0 for r in reports)


def cli(args: Any) -> int:
    """The `monobot eval citations` handler: print (or write) the reports, exit 1 below the gate."""
    splits = SPLITS if args.split == "all" else (args.split,)
    try:
        reports = run(splits, args.data)
    except (OSError, ValueError) as exc:
        print(f"monobot: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print("\n\n".join(render(r, args.show_errors) for r in reports))
    if args.out:
        args.out.write_text(json.dumps([r.to_dict() for r in reports], indent=2) + "\n", encoding="utf-8")
    ok = passed(reports, args.min_accuracy)
    if not ok and not args.json:
        print(f"\nFAILED: each split needs accuracy >= {args.min_accuracy} and no citation wrongly labelled SR/RCT")
    return 0 if ok else 1
