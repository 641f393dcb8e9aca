"""Read a file, refuse what is not a monograph with a reason, and hand the text to its format's parser."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from .model import Document, ParseError
from .parse_html import parse_html
from .parse_markdown import parse_markdown, split_front_matter
from .parse_text import parse_text

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
MAX_BYTES = 5_000_000

# Capitalised words that open titles without naming the subject.
_TITLE_STOPWORDS = {
    "a",
    "an",
    "the",
    "how",
    "what",
    "why",
    "is",
    "are",
    "does",
    "do",
    "can",
    "should",
    "when",
    "who",
    "which",
    "was",
    "were",
    "on",
    "in",
    "of",
    "for",
    "and",
    "or",
    "to",
    "with",
    "its",
    "it",
    "side",
    "effects",
    "dosing",
    "dose",
    "doses",
    "evidence",
    "efficacy",
    "safety",
    "review",
    "guide",
    "trials",
    "trial",
    "about",
    "what's",
    "vs",
    "versus",
}


def find_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Monograph files under the given paths, sorted, plus one error line per path that is neither."""
    found: list[Path] = []
    errors: list[str] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in FORMATS and p.name.lower() != "readme.md"
            )
        elif path.is_file():
            found.append(path)
        else:
            errors.append(f"{path}: no such file or directory")
    return found, errors


def decode(raw: bytes) -> str:
    if not raw.strip():
        raise ParseError("empty file")
    if len(raw) > MAX_BYTES:
        raise ParseError(f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")
    if b"\x00" in raw[:8192]:
        raise ParseError("binary file (contains NUL bytes), not a text monograph")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); re-save the file as UTF-8"
        ) from None
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > max(8, len(text) // 200):
        raise ParseError("binary file (too many control characters), not a text monograph")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def derive_subject(document: Document, body: str) -> str:
    """The monograph's subject (a drug name), from the title's capitalised words that the page keeps using."""
    candidates = [w.strip(":,;.?!()'\"“”’") for w in document.title.split()]
    words = Counter(re.findall(r"[A-Za-z0-9][\w-]*", body))
    for word in candidates:
        if not word or word.lower() in _TITLE_STOPWORDS:
            continue
        if (word[0].isupper() or any(ch.isdigit() for ch in word)) and words[word] >= 2:
            return word
    head = re.split(r"[:—–-]\s", document.title)[0].split()
    return next((w for w in head if w.lower() not in _TITLE_STOPWORDS), document.doc)


def parse_file(path: Path, site_url: str) -> Document:
    """One monograph, or ParseError naming what is wrong with it."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(
            f"unsupported file type '{path.suffix or '(none)'}'; expected one of {', '.join(sorted(FORMATS))}"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror or exc}") from None
    return parse_bytes(raw, path, fmt, site_url)


def parse_bytes(raw: bytes, path: Path, fmt: str, site_url: str) -> Document:
    text = decode(raw)
    meta: dict = {}
    if fmt == "markdown":
        meta, _, _ = split_front_matter(text)
    doc = str(meta.get("slug") or path.stem).strip()
    if not doc or "/" in doc or "#" in doc:
        raise ParseError(f"slug {doc!r} cannot be part of a URL")
    url = str(meta.get("url") or (site_url.rstrip("/") + "/" + quote(doc)))
    parser = {"text": parse_text, "markdown": parse_markdown, "html": parse_html}[fmt]
    document = parser(text, doc=doc, url=url, path=str(path))
    if not document.subject:
        document.subject = derive_subject(document, text)
    return document
