"""Find and read files safely, refuse what is not a monograph with a reason, and hand the text to its parser.

Reading is bounded before it starts: the size comes from `fstat` on the opened file, so a 200 MB file is
refused without being read, and inside a corpus folder symbolic links are not followed unless asked (and
then only to files that stay inside the folder), so a link to /etc/passwd is never opened.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import quote

from .aliases import aliases
from .blocks import safe_url
from .model import Document, Limits, Paragraph, ParseError
from .parse_html import parse_html
from .parse_markdown import parse_markdown, split_front_matter
from .parse_text import parse_text
from .subject import derive_subject

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
MAX_BYTES = Limits().max_bytes
# Files in a corpus folder that describe the folder rather than being monographs.
FOLDER_NOTES = {"readme.md", "sources.md", "license.md", "licence.md", "changelog.md", "contributing.md"}


def find_files(paths: list[Path], follow_symlinks: bool = False) -> tuple[list[Path], list[str]]:
    """Monograph files under the given paths, sorted, plus one error line per path that is neither.

    A symbolic link is skipped with a line saying so, unless `follow_symlinks`, and even then only when its
    target stays inside the folder searched (for a link named as a path: inside the link's own folder, since
    a shell glob names links too). The lines name the link, never anything read through it.
    """
    found: list[Path] = []
    errors: list[str] = []
    for path in paths:
        if path.is_dir():
            files, skipped = _walk_folder(path, follow_symlinks)
            found.extend(files)
            errors.extend(skipped)
        elif path.is_symlink() and (not follow_symlinks or not _inside(path, path.parent.resolve())):
            errors.append(_link_message(path, follow_symlinks))  # `ingest corpus/*.txt` names links too
        elif path.is_file():
            found.append(path)
        else:
            errors.append(f"{path}: no such file or directory")
    return found, errors


def _walk_folder(root: Path, follow_symlinks: bool) -> tuple[list[Path], list[str]]:
    found: list[Path] = []
    errors: list[str] = []
    real_root = root.resolve()
    for folder, dirs, names in os.walk(root, followlinks=follow_symlinks):
        base = Path(folder)
        for name in sorted(dirs):
            link = base / name
            if link.is_symlink() and (not follow_symlinks or not _inside(link, real_root)):
                dirs.remove(name)
                errors.append(_link_message(link, follow_symlinks))
        dirs.sort()
        for name in sorted(names):
            path = base / name
            if path.suffix.lower() not in FORMATS or name.lower() in FOLDER_NOTES:
                continue
            if path.is_symlink() and (not follow_symlinks or not _inside(path, real_root)):
                errors.append(_link_message(path, follow_symlinks))
                continue
            if path.is_file():
                found.append(path)
    return sorted(found), errors


def _inside(link: Path, real_root: Path) -> bool:
    try:
        return link.resolve(strict=True).is_relative_to(real_root)
    except (OSError, RuntimeError):  # a dangling link or a loop
        return False


def _link_message(link: Path, follow_symlinks: bool) -> str:
    if follow_symlinks:
        return f"{link}: symbolic link to a target outside the folder (or missing), not followed"
    return f"{link}: symbolic link, not followed (monobot ingest --follow-symlinks follows links inside the folder)"


def read_file(path: Path, limits: Limits | None = None, follow_symlinks: bool = True) -> bytes:
    """The file's bytes, its size checked on the open file before any byte is read."""
    limits = limits or Limits()
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ParseError("not a regular file")
        if info.st_size > limits.max_bytes:
            raise ParseError(
                f"file is {info.st_size:,} bytes; the limit is {limits.max_bytes:,} (MONOBOT_MAX_FILE_BYTES)"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limits.max_bytes + 1)  # a file that grew since fstat is still cut at the limit
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > limits.max_bytes:
        raise ParseError(f"file is over {limits.max_bytes:,} bytes (MONOBOT_MAX_FILE_BYTES)")
    return raw


def decode(raw: bytes, limits: Limits | None = None) -> str:
    limits = limits or Limits()
    if not raw.strip():
        raise ParseError("empty file")
    if len(raw) > limits.max_bytes:
        raise ParseError(f"file is {len(raw):,} bytes; the limit is {limits.max_bytes:,} (MONOBOT_MAX_FILE_BYTES)")
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


def title_from_file_name(path: Path) -> str:
    """The last resort for a page with no title of its own: "withania-somnifera.md" is "Withania somnifera"."""
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:]


def parse_file(path: Path, site_url: str, limits: Limits | None = None) -> Document:
    """One monograph, or ParseError naming what is wrong with it."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(
            f"unsupported file type '{path.suffix or '(none)'}'; expected one of {', '.join(sorted(FORMATS))}"
        )
    return parse_bytes(read_file(path, limits), path, fmt, site_url, limits)


def _check_text_lines(text: str, limits: Limits) -> None:
    """The text export's caps, checked before any parsing: a line's length, a table row's width."""
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > limits.max_line_chars:
            raise ParseError(
                f"line {number} has {len(line):,} characters; the limit is {limits.max_line_chars:,} "
                "(MONOBOT_MAX_LINE_CHARS)"
            )
        if line.count("|") > limits.max_table_columns + 1:
            raise ParseError(
                f"line {number}: a table row with {line.count('|') - 1:,} columns or more; the limit is "
                f"{limits.max_table_columns} (MONOBOT_MAX_TABLE_COLUMNS)"
            )


def parse_bytes(raw: bytes, path: Path, fmt: str, site_url: str, limits: Limits | None = None) -> Document:
    limits = limits or Limits()
    text = decode(raw, limits)
    meta: dict = {}
    if fmt == "markdown":
        meta, _, _ = split_front_matter(text)
    doc = str(meta.get("slug") or path.stem).strip()
    if not doc or "/" in doc or "#" in doc:
        raise ParseError(f"slug {doc!r} cannot be part of a URL")
    site_link = site_url.rstrip("/") + "/" + quote(doc)
    url = site_link
    notes = []
    if meta.get("url"):
        checked = safe_url(str(meta["url"]))
        if checked:
            url = checked
        else:
            notes.append("front-matter url is not an http(s) URL without '|', '<' or '>'; the site link is used")
    fallback = title_from_file_name(path)
    if fmt == "text":
        _check_text_lines(text, limits)
        document = parse_text(text, doc=doc, url=url, path=str(path))
    elif fmt == "markdown":
        document = parse_markdown(text, doc=doc, url=url, path=str(path), limits=limits, fallback_title=fallback)
    else:
        document = parse_html(text, doc=doc, url=url, path=str(path), limits=limits, fallback_title=fallback)
    document.notes[:0] = notes
    if not document.subject:
        document.subject = derive_subject(document.title, document_text(document), document.doc)
    declared = meta.get("aliases")
    document.aliases, document.cased_aliases = aliases(document, declared if isinstance(declared, list) else None)
    return document


def document_text(document: Document) -> str:
    """The text a reader sees (headings, paragraphs, table cells): what the subject is counted in."""
    parts = [document.title]
    for section in document.sections:
        parts.append(section.heading)
        for block in section.blocks:
            parts.extend([block.text] if isinstance(block, Paragraph) else [*block.header, *sum(block.rows, [])])
    return "\n".join(parts)
