"""What kind of study a cited source is, from its own words (issue 18).

Readers weigh an excerpt differently when it rests on a Cochrane review, on one randomised trial, on a case
report or on rat studies, so every source gets a study type at ingest. The rules are data
(ingest/study_types.yaml); this module only reads them. A type is given only when the citation says so,
because a badge that overstates the evidence ("Randomised trial" on a trial that never says it was
randomised) is worse than no badge: anything else is `unknown`. Accuracy on a labelled set of real
citations is measured by `monobot eval citations` (eval/citations.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .model import Source

RULES_FILE = Path(__file__).with_name("study_types.yaml")
STUDY_TYPES = ("systematic_review", "rct", "observational", "case_report", "animal_in_vitro", "regulatory", "unknown")
UNKNOWN = "unknown"
_PUBLICATION_TYPES_RE = re.compile(r"\bpublication types?\s*:\s*([^.\n]{1,300})", re.IGNORECASE)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "*": " "})
# A link's host ("www.medicines.org.uk") and path; an archived link (web.archive.org/web/2016.../http://...)
# also yields the host of the page it archived, since the whole link is scanned.
_URL_RE = re.compile(
    r"(?:https?://|\bwww\.)([a-z0-9.-]+\.[a-z]{2,})(?::\d+)?(/(?:(?!https?://)[^\s\"<>|])*)?", re.IGNORECASE
)
# Words run together in a link's path ("Drug_utilization_review_of_tramadol.pdf"): read them as words.
_URL_WORD_JOINERS_RE = re.compile(r"(?:_|\+|%20)+")


def links_in(text: str) -> tuple[str, ...]:
    """Every link of a citation as "host/path", lower-cased, without "www.", for the rules' `hosts` lists."""
    out = []
    for m in _URL_RE.finditer(text):
        host = m.group(1).lower().rstrip(".")
        host = host[4:] if host.startswith("www.") else host
        out.append(host + (m.group(2) or "").lower())
    return tuple(out)


def _on_host(link: str, entry: str) -> bool:
    """`entry` is a domain ("fda.gov": the host or any subdomain of it), optionally with a path prefix
    ("medicines.org.uk/emc")."""
    host, _, path = link.partition("/")
    domain, _, prefix = entry.partition("/")
    if not (host == domain or host.endswith("." + domain)):
        return False
    return not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class Rule:
    name: str
    match: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    hosts: tuple[str, ...] = ()  # a link to one of these sites matches too

    def applies(self, text: str) -> bool:
        matched = any(p.search(text) for p in self.match) or (
            bool(self.hosts) and any(_on_host(link, entry) for link in links_in(text) for entry in self.hosts)
        )
        return matched and not any(p.search(text) for p in self.unless)


@dataclass(frozen=True)
class Rules:
    version: str  # the file's version and content hash: part of the index fingerprint
    max_chars: int
    order: tuple[str, ...]
    publication_types: dict[str, str]
    types: dict[str, tuple[Rule, ...]]


class RulesError(ValueError):
    """The rules file is malformed; the message names the rule."""


def _flatten(items: Any) -> list[str]:
    """YAML anchors put lists inside lists (`unless: [*people, *review]`): one flat list of patterns."""
    if items is None:
        return []
    if isinstance(items, str):
        return [items]
    return [p for item in items for p in _flatten(item)]


def _compile(patterns: Any, where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for pattern in _flatten(patterns):
        try:
            out.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise RulesError(f"{RULES_FILE.name}: {where}: bad pattern {pattern!r}: {exc}") from None
    return tuple(out)


def load_rules(path: Path = RULES_FILE) -> Rules:
    """Parse and check the rules file, so a typo fails ingest at once with the rule's name."""
    raw = path.read_bytes()
    data = yaml.safe_load(raw)
    order = tuple(data["order"])
    unknown = [t for t in (*order, *data["types"], *data["publication_types"].values()) if t not in STUDY_TYPES]
    if unknown:
        raise RulesError(f"{path.name}: unknown study type(s) {sorted(set(unknown))}; expected {STUDY_TYPES}")
    types = {
        kind: tuple(
            Rule(
                rule["name"],
                _compile(rule.get("match"), f"{kind}: {rule['name']}"),
                _compile(rule.get("unless"), f"{kind}: {rule['name']}"),
                tuple(h.lower().removeprefix("www.") for h in _flatten(rule.get("hosts"))),
            )
            for rule in rules
        )
        for kind, rules in data["types"].items()
    }
    return Rules(
        version=f"{data['version']}:{hashlib.sha256(raw).hexdigest()[:12]}",
        max_chars=int(data["max_chars"]),
        order=order,
        publication_types={k.lower(): v for k, v in data["publication_types"].items()},
        types=types,
    )


@lru_cache(maxsize=1)
def rules() -> Rules:
    return load_rules()


def normalise(text: str) -> str:
    """One spelling of the citation for the patterns: NFKC, straight quotes, no emphasis stars, single spaces,
    and the words of a link's path apart ("Drug_utilization_review" reads "Drug utilization review")."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = " ".join(text.split())[: rules().max_chars]
    return _URL_RE.sub(lambda m: _URL_WORD_JOINERS_RE.sub(" ", m.group(0)), text)


def publication_types_in(citation: str) -> list[str]:
    """A "Publication type: Review; Meta-Analysis" note written into the citation itself."""
    m = _PUBLICATION_TYPES_RE.search(citation)
    return [t.strip() for t in re.split(r"[;,]", m.group(1)) if t.strip()] if m else []


def classify_text(citation: str, publication_types: Iterable[str] = ()) -> str:
    """The study type of one citation: the page's publication types when it gives them, else the rules."""
    r = rules()
    text = normalise(citation)
    declared = {r.publication_types.get(t.strip().lower()) for t in [*publication_types, *publication_types_in(text)]}
    declared.discard(None)
    for kind in r.order:
        if kind in declared:
            return kind
        # subjects outrank a declared design
        if (kind == "animal_in_vitro" or not declared) and any(rule.applies(text) for rule in r.types.get(kind, ())):
            return kind
    return UNKNOWN


def classify(source: Source) -> str:
    """The study type of a parsed source, from its whole citation (title, journal and publisher included)."""
    return classify_text(source.citation, source.publication_types)


def explain(citation: str) -> list[str]:
    """Which rules fire on a citation, in order ("rct: a randomised trial"), for the eval's error listing."""
    text = normalise(citation)
    return [
        f"{kind}: {rule.name}" for kind in rules().order for rule in rules().types.get(kind, ()) if rule.applies(text)
    ]
