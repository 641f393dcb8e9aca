"""JUnit XML for CI dashboards: one test case per item (per split), and one per threshold of the gate.

A frozen test split's failures carry no question or answer text, only that the item failed: CI pages are
read by the people who tune the system, who must not see the frozen items (the HTML report has them).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .compare import check
from .metrics import reasons


def _suite(parent: ET.Element, name: str, cases: list[tuple[str, str, str | None]]) -> None:
    failures = sum(1 for *_, why in cases if why)
    node = ET.SubElement(parent, "testsuite", name=name, tests=str(len(cases)), failures=str(failures), errors="0")
    for classname, case, why in cases:
        tc = ET.SubElement(node, "testcase", classname=classname, name=case)
        if why:
            ET.SubElement(tc, "failure", message=why).text = why


def write(path: Path, name: str, splits: dict[str, dict[str, Any]], thresholds: dict[str, Any] | None) -> None:
    """`splits` maps split name → its report; `thresholds` is one table per split (or None)."""
    root = ET.Element("testsuites", name=name)
    for split, report in splits.items():
        frozen = bool(report.get("run", {}).get("frozen"))
        cases = []
        for item in report["items"]:
            why = None
            if not item["passed"]:
                why = "failed (frozen split: details in the HTML report)" if frozen else "; ".join(reasons(item))
            cases.append((f"{name}.{split}.{item['category']}", item["id"], why or None))
        _suite(root, f"{name}.{split}", cases)
        table = (thresholds or {}).get(split) or {}
        gate_cases = [
            (f"{name}.{split}.gate", metric, check(report["metrics"].get(metric), bound))
            for metric, bound in table.items()
            if not metric.startswith("_")
        ]
        if gate_cases:
            _suite(root, f"{name}.{split}.gate", gate_cases)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
