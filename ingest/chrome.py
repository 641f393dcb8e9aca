"""Page chrome: the vocabulary in chrome.yaml, compiled once, and the tests every parser applies with it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CHROME_FILE = Path(__file__).with_name("chrome.yaml")


@dataclass(frozen=True)
class Chrome:
    drop_tags: frozenset[str]
    drop_selectors: tuple[str, ...]
    drop_token_words: tuple[str, ...]
    drop_tokens: frozenset[str]
    content_selectors: tuple[str, ...]
    reference_selectors: tuple[str, ...]
    drop_line: re.Pattern[str]
    drop_inline: re.Pattern[str]

    def is_chrome_line(self, text: str) -> bool:
        """A line or list item that is navigation ("Back to top", "Skip to content"), not text."""
        return bool(self.drop_line.fullmatch(" ".join(text.split()).strip(" .:|»›→←↑")))

    def clean_inline(self, text: str) -> str:
        """Text without wiki maintenance tags ("[citation needed]")."""
        return self.drop_inline.sub("", text)

    def is_chrome_token(self, attr: str) -> bool:
        """A class or id value with a word that marks chrome (cookie, newsletter, share, sidebar ...)."""
        for token in attr.lower().split():
            if token in self.drop_tokens:
                return True
            if any(word in token for word in self.drop_token_words):
                return True
        return False


@cache
def chrome() -> Chrome:
    data = yaml.safe_load(CHROME_FILE.read_text(encoding="utf-8"))
    return Chrome(
        drop_tags=frozenset(data["drop_tags"]),
        drop_selectors=tuple(data["drop_selectors"]),
        drop_token_words=tuple(data["drop_token_words"]),
        drop_tokens=frozenset(data["drop_tokens"]),
        content_selectors=tuple(data["content_selectors"]),
        reference_selectors=tuple(data["reference_selectors"]),
        drop_line=re.compile("|".join(f"(?:{p})" for p in data["drop_lines"]), re.IGNORECASE),
        drop_inline=re.compile("|".join(f"(?:{p})" for p in data["drop_inline"]), re.IGNORECASE),
    )


def version() -> str:
    """Part of the ingest fingerprint: a new chrome rule re-parses every file, so no index keeps text that the
    rules now drop (or lacks text they no longer drop)."""
    return hashlib.sha256(CHROME_FILE.read_bytes()).hexdigest()[:12]
