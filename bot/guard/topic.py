"""Layer 2, the topic gate: no dosing, administration or sourcing refusal without a product in the conversation.

"Where can I buy a can of coke?", "How do I shoot a goal?", "How much yeast for a pizza?" share their
wording with requests the bot refuses, but they are about no drug, supplement or peptide. A refusal in
those categories therefore needs evidence of a product somewhere in the conversation:

- a subject of the live index (so a new monograph is covered the day it is ingested, with no code change);
- a word of the general lexicon (prompts/guardrail/lexicon.yaml: generic nouns such as "peptide", "vial",
  "Nahrungsergänzung", and common drug and supplement names);
- a drug-like name: a code name ("XY-123") or a word with a drug suffix ("-relin", "-racetam", "-tide");
- a dose written with a drug unit ("250 mcg", "5 mg", "10 IU").

The gate never refuses anything by itself; it only stops a refusal that has nothing to be about.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..subjects import SubjectMatcher

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CYRILLIC = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "h",
        "ц": "c",
        "ч": "ch",
        "ш": "sh",
        "щ": "sch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)
_WORD = re.compile(r"[^\W_][\w-]*")


def name_key(word: str) -> str:
    """One spelling for a drug name across languages: "fenibut", "phenibut" and "фенибут" give one key."""
    value = word.lower().replace("α", "alpha").replace("β", "beta")
    value = unicodedata.normalize("NFKD", value.translate(_CYRILLIC))
    value = "".join(ch for ch in value if ch.isascii() and ch.isalnum())
    for a, b in (("ph", "f"), ("th", "t"), ("y", "i"), ("c", "k"), ("qu", "k"), ("x", "ks"), ("w", "v"), ("z", "s")):
        value = value.replace(a, b)
    return value


PLACEHOLDER = "xproductx"


@dataclass(frozen=True)
class Evidence:
    found: bool
    what: str = ""  # the word or name that counts as a product, for the decision's reason


class TopicGate:
    """Finds a product in text; `subjects` returns the live index's subjects (called per question, cached)."""

    def __init__(
        self,
        lexicon: dict,
        subjects: Callable[[], Sequence[str]] | None = None,
        cased: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        spec = lexicon["substances"]
        words: set[str] = set(map(str.lower, spec.get("names", [])))
        cjk: set[str] = set()
        for language, vocabulary in spec.get("generic", {}).items():
            for word in vocabulary:
                (cjk if language == "zh" else words).add(str(word).lower())
        self._cjk = tuple(sorted(cjk, key=len, reverse=True))
        phrases = sorted((re.escape(w) for w in words), key=len, reverse=True)
        self._terms = re.compile(r"(?<![a-z0-9-])(?:" + "|".join(phrases) + r")(?![a-z0-9-])")
        self._phrases = re.compile("|".join(f"(?:{p})" for p in spec.get("phrases", [])) or r"(?!)")
        self._code = re.compile(spec["code_name"])
        self._code_exclude = frozenset(spec.get("code_name_exclude", []))
        suffixes = "|".join(sorted(map(re.escape, spec.get("suffixes", [])), key=len, reverse=True))
        self._suffix = re.compile(rf"\b[^\W\d_]{{2,}}(?:{suffixes})\b")
        self._suffix_min = int(spec.get("suffix_min_length", 6))
        self._units = re.compile(lexicon["dose_units"])
        # Names as spelt in other languages ("creatina", "Kreatin", "нандролон"): a shared stem of seven letters,
        # or the whole name with a short inflection.
        keys = [name_key(n) for n in spec.get("names", []) if len(name_key(n)) >= 5]
        self._name_keys = frozenset(keys)
        self._name_stems = frozenset(k[:7] for k in keys if len(k) >= 7)
        names = sorted((re.escape(str(n).lower()) for n in spec.get("names", [])), key=len, reverse=True)
        self._names = re.compile(r"(?<![a-z0-9-])(?:" + "|".join(names) + r")(?![a-z0-9-])")
        self._subjects = subjects
        self._cased = cased
        # Earlier turns come back with every question: the lexicon's verdict on a text is kept.
        self._find_cached = functools.lru_cache(maxsize=4096)(self._find)
        self._mask_cached = functools.lru_cache(maxsize=4096)(self._mask)
        self._matcher: tuple[tuple[tuple[str, ...], tuple[str, ...]], SubjectMatcher] | None = None

    def _subject_matcher(self) -> SubjectMatcher | None:
        if self._subjects is None:
            return None
        try:
            names = tuple(self._subjects())
            cased = tuple(self._cased()) if self._cased is not None else ()
        except Exception:  # an index that cannot be read must not stop the guard: the lexicon still applies
            return None
        if self._matcher is None or self._matcher[0] != (names, cased):
            self._matcher = ((names, cased), SubjectMatcher(list(names), cased={n: n for n in cased}))
        return self._matcher[1]

    def evidence(self, texts: Iterable[str], raw: Iterable[str] = ()) -> Evidence:
        """The first product named in any of the (normalised) texts, or by a cased name ("SAMe") in the texts
        as written."""
        matcher = self._subject_matcher()
        for text in texts:
            found = self._in_text(text, matcher) if text else ""
            if found:
                return Evidence(True, found)
        named = [n for text in raw for n in matcher.find_cased(text)] if matcher is not None else []
        return Evidence(True, named[0]) if named else Evidence(False)

    def _in_text(self, text: str, matcher: SubjectMatcher | None) -> str:
        if matcher is not None:
            named = matcher.find(text) or matcher.find(text.translate(_CYRILLIC))
            if named:
                return named[0]
        return self._find_cached(text)

    def mask(self, text: str, with_subjects: bool = False) -> str:
        """The text with product names (lexicon names, code names, drug-like words) replaced by one placeholder.

        The classifier reads masked text in training and in use, so it learns request shapes, not drug names,
        and a drug it never saw reads like one it did. Rules also see the index's subjects masked
        (`with_subjects`), so "how do I inject xproductx" covers every monograph."""
        value = text
        matcher = self._subject_matcher() if with_subjects else None
        if matcher is not None:
            for subject in matcher.find(text):
                value = re.sub(re.escape(subject.lower()).replace(r"\-", "[- ]?"), PLACEHOLDER, value, flags=re.I)
        return self._mask_cached(value)

    def _mask(self, text: str) -> str:
        value = self._names.sub(PLACEHOLDER, text)
        value = self._code.sub(lambda m: m.group(0) if m.group(0) in self._code_exclude else PLACEHOLDER, value)
        value = self._suffix.sub(lambda m: PLACEHOLDER if len(m.group(0)) >= self._suffix_min else m.group(0), value)

        def stem(m: re.Match[str]) -> str:
            key = name_key(m.group(0))
            return PLACEHOLDER if len(key) >= 7 and key[:7] in self._name_stems else m.group(0)

        return _WORD.sub(stem, value)

    def _find(self, text: str) -> str:
        m = self._terms.search(text) or self._phrases.search(text) or self._units.search(text)
        if m:
            return m.group(0)
        for m in self._code.finditer(text):
            if m.group(0) not in self._code_exclude and not m.group(0).isdigit():
                return m.group(0)
        for m in self._suffix.finditer(text):
            if len(m.group(0)) >= self._suffix_min:
                return m.group(0)
        words = list(_WORD.finditer(text))
        for a, b in zip(words, words[1:]):  # a name written in two words: "cjc 1295", "alpha gpc"
            if name_key(a.group(0) + b.group(0)) in self._name_keys:
                return f"{a.group(0)} {b.group(0)}"
        for m in words:
            key = name_key(m.group(0))
            if len(key) >= 7 and key[:7] in self._name_stems:
                return m.group(0)
            if len(key) >= 5 and any(key[:n] in self._name_keys for n in range(len(key), max(4, len(key) - 3), -1)):
                return m.group(0)
        if _CJK.search(text):
            for word in self._cjk:
                if word in text:
                    return word
        return ""
