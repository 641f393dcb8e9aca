"""Pipe tables in the text export and in Markdown, with or without the outer pipes.

GitHub accepts `Outcome | Finding` / `---|---` / `RR | 2.39` as a table, and monographs pasted from
editors arrive in that shape; read line by line, such rows would otherwise look like short headings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import ParseError, Table

_PIPE_RE = re.compile(r"(?<!\\)\|")
_LIST_OR_QUOTE_RE = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s")


def has_pipe(line: str) -> bool:
    """An unescaped `|`: the one mark every pipe-table line carries."""
    return bool(_PIPE_RE.search(line))


def is_table_line(line: str) -> bool:
    """A line that opens with `|` can only be a table row (or a broken one), never prose or a heading."""
    return line.lstrip().startswith("|")


def split_cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = _PIPE_RE.split(body)
    return [c.strip().replace("\\|", "|") for c in cells]


def _is_separator(cells: list[str]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?-{1,}:?", c.replace(" ", "")) for c in cells)


def is_delimiter_row(line: str) -> bool:
    """`---|:--:` or `|---|---|`; a bare `---` has no pipe and is a rule, not a table delimiter."""
    return has_pipe(line) and _is_separator(split_cells(line))


def table_end(lines: Sequence[str], start: int) -> int:
    """Index just past the pipe table that starts at `lines[start]`, or `start` when none starts there.

    A table starts at a line that opens with `|`, or at a line with a `|` followed by a delimiter row.
    Two consecutive `|` lines that are not list items or quotes also start one: a table missing its
    delimiter row, which parse_table then rejects rather than letting its rows pass as headings.
    It runs while lines carry a `|`.
    """
    if start >= len(lines) or not lines[start].strip():
        return start
    line = lines[start]
    following = lines[start + 1] if start + 1 < len(lines) else ""
    if not is_table_line(line):
        if not has_pipe(line) or not has_pipe(following):
            return start
        if not is_delimiter_row(following) and _LIST_OR_QUOTE_RE.match(line):
            return start
    end = start + 1
    while end < len(lines) and lines[end].strip() and has_pipe(lines[end]):
        end += 1
    return end


def parse_table(lines: list[str], where: str) -> Table:
    """A Markdown pipe table; ragged rows are an error because a row read against the wrong header misleads."""
    if len(lines) < 2:
        raise ParseError(f"broken table {where}: a header line without a '|---|' separator line")
    header = split_cells(lines[0])
    if not _is_separator(split_cells(lines[1])):
        raise ParseError(f"broken table {where}: line 2 of the table is not a '|---|' separator")
    if len(split_cells(lines[1])) != len(header):
        raise ParseError(
            f"broken table {where}: separator has {len(split_cells(lines[1]))} cells, header has {len(header)}"
        )
    rows = []
    for offset, line in enumerate(lines[2:], start=3):
        cells = split_cells(line)
        if len(cells) != len(header):
            raise ParseError(f"broken table {where}: row {offset - 2} has {len(cells)} cells, header has {len(header)}")
        rows.append(cells)
    if not rows:
        raise ParseError(f"broken table {where}: header but no rows")
    return Table(header=header, rows=rows)
