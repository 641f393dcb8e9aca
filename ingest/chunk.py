"""Cut sections into chunks that the embedding model reads whole.

Chunks never cross a section boundary. Paragraph text is packed sentence by sentence up to the token
budget, counted with the embedding model's own tokenizer, title and heading prefix included. Every table
row becomes its own chunk, repeated with the header row, so a figure that exists only in a table is
retrievable with the labels that give it meaning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from bot.index import ChunkRecord, chunk_id, embed_text, vector_key
from bot.text import cited_numbers, sentence_spans

from .model import Document, Paragraph, Section, Table


def _row_line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table_row_text(table: Table, row: list[str]) -> str:
    return _row_line(table.header) + "\n" + _row_line(row)


class TokenBudget:
    """Word-piece counts for one section's chunks, each sentence tokenised once.

    The model's tokenizer splits on whitespace before it cuts words into pieces, so a text's count is its
    sentences' counts added up (plus the fixed cost of the special tokens and the title/heading prefix).
    A chunk is sized by adding numbers, in time linear in the text; re-encoding the growing chunk once per
    word made a 1,000-column table take 17 s. A sentence too long for the model is cut by its words' counts
    (each distinct word tokenised once). A chunk is checked with one real count unless its sum leaves a
    margin, and a tokenizer whose counts do not add up (byte-level BPE) gets the exact path for that chunk.
    """

    def __init__(self, count_tokens: Callable[[str], int], prefix: str, max_tokens: int) -> None:
        self.count_tokens = count_tokens
        self.prefix = prefix
        self.max_tokens = max_tokens
        self.fixed = count_tokens(prefix)  # specials and the prefix, the same for every chunk of the section
        self._empty = count_tokens("")
        self._words: dict[str, int] = {}

    def word(self, word: str) -> int:
        cost = self._words.get(word)
        if cost is None:
            cost = self._words[word] = self.count_tokens(word) - self._empty
        return cost

    def cost(self, text: str) -> int:
        """Pieces of `text` itself, without the fixed part."""
        return self.count_tokens(text) - self._empty

    def fits_exactly(self, text: str) -> bool:
        return self.count_tokens(self.prefix + text) <= self.max_tokens

    @property
    def room(self) -> int:
        return self.max_tokens - self.fixed


def _pieces(section: Section, budget: TokenBudget) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """(kind, text, sentence spans) per chunk of one section."""
    chunks: list[tuple[str, str, list[tuple[int, int]]]] = []
    buffer: list[str] = []  # sentences, with "\n" marking a paragraph break before a sentence
    used = 0

    def flush() -> None:
        nonlocal used
        if not buffer:
            return
        text, spans = "", []
        for sentence in buffer:
            sep = "" if not text else ("\n" if sentence.startswith("\n") else " ")
            body = sentence.lstrip("\n")
            start = len(text) + len(sep)
            text += sep + body
            spans.append((start, start + len(body)))
        buffer.clear()
        estimate, used = used, 0
        if estimate + len(spans) <= budget.room or budget.fits_exactly(text):
            chunks.append(("text", text, spans))
        else:  # the tokenizer does not add up word by word: size this chunk exactly
            chunks.extend(_exact_split(text, spans, budget))

    for block in section.blocks:
        if isinstance(block, Table):
            flush()
            chunks.extend(_table_rows(block, budget))
            continue
        assert isinstance(block, Paragraph)
        for k, (a, b) in enumerate(sentence_spans(block.text)):
            sentence = block.text[a:b]
            cost = budget.cost(sentence)
            marked = ("\n" + sentence) if k == 0 and buffer else sentence
            if used + cost <= budget.room:
                buffer.append(marked)
                used += cost
                continue
            flush()
            if cost <= budget.room:
                buffer.append(sentence)
                used = cost
            else:
                chunks.extend(("text", part, [(0, len(part))]) for part in _split_words(sentence, budget, budget.room))
    flush()
    return chunks


def _table_rows(table: Table, budget: TokenBudget) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """One chunk per row with its header row. A row too wide for the model is cut into groups of columns,
    each with its own header cells, so every figure keeps the label that gives it meaning."""
    chunks: list[tuple[str, str, list[tuple[int, int]]]] = []
    header_cost = budget.cost(_row_line(table.header))
    head_costs: list[int] | None = None
    for row in table.rows:
        text = table_row_text(table, row)
        estimate = header_cost + budget.cost(_row_line(row))
        if estimate + 2 <= budget.room or (estimate <= budget.room and budget.fits_exactly(text)):
            chunks.append(("table", text, [(0, len(text))]))
            continue
        if head_costs is None:
            head_costs = [budget.cost(cell) + 1 for cell in table.header]  # "| cell": a pipe is one piece
        start, used = 0, 2
        for i, cell in enumerate(row):
            cost = head_costs[i] + budget.cost(cell) + 1
            if i > start and used + cost > budget.room:
                chunks.extend(_column_group(table.header[start:i], row[start:i], budget))
                start, used = i, 2
            used += cost
        chunks.extend(_column_group(table.header[start:], row[start:], budget))
    return chunks


def _column_group(
    header: list[str], cells: list[str], budget: TokenBudget
) -> list[tuple[str, str, list[tuple[int, int]]]]:
    head = _row_line(header)
    text = head + "\n" + _row_line(cells)
    if budget.fits_exactly(text):
        return [("table", text, [(0, len(text))])]
    room = max(budget.room - budget.cost(head), 1)  # one cell longer than the model reads: cut at words
    pieces = [head + "\n" + part for part in _split_words(_row_line(cells), budget, room)]
    return [("table", piece, [(0, len(piece))]) for piece in pieces]


def _split_words(text: str, budget: TokenBudget, room: int) -> list[str]:
    """A sentence longer than the model reads: cut at word boundaries rather than let the model truncate it."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for word in text.split(" "):
        cost = budget.word(word) if word else 0
        if current and used + cost > room:
            parts.append(" ".join(current))
            current, used = [], 0
        if cost > room:  # one "word" longer than the model reads: unspaced scripts (Japanese, Chinese)
            parts.extend(_split_chars(word, budget, room))
            continue
        current.append(word)
        used += cost
    if current:
        parts.append(" ".join(current))
    return [p.strip() for p in parts if p.strip()]


def _split_chars(word: str, budget: TokenBudget, room: int) -> list[str]:
    """A word with no spaces that is too long (a Japanese sentence): cut between characters, each counted once."""
    parts, start, used = [], 0, 0
    for i, char in enumerate(word):
        cost = budget.word(char)
        if i > start and used + cost > room:
            parts.append(word[start:i])
            start, used = i, 0
        used += cost
    parts.append(word[start:])
    return parts


def _exact_split(
    text: str, spans: list[tuple[int, int]], budget: TokenBudget
) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """The slow, exact packing, for a tokenizer whose counts do not add up (never the bundled model's)."""
    out: list[tuple[str, str, list[tuple[int, int]]]] = []
    current = ""
    for a, b in spans:
        sentence = text[a:b]
        candidate = f"{current} {sentence}".strip()
        if current and not budget.fits_exactly(candidate):
            out.append(("text", current, sentence_spans(current)))
            current = sentence
        else:
            current = candidate
    if current:
        out.append(("text", current, sentence_spans(current)))
    return out


def chunk_document(
    document: Document, count_tokens: Callable[[str], int], max_tokens: int, model_id: str, doc_hash: str = ""
) -> list[ChunkRecord]:
    records: list[ChunkRecord] = []
    ordinal = 0
    for section_index, section in enumerate(document.sections):
        url = document.url + (f"#{section.anchor}" if section.anchor else "")

        budget = TokenBudget(count_tokens, embed_text(document.title, section.heading, "", section.anchor), max_tokens)
        for chunk_index, (kind, text, spans) in enumerate(_pieces(section, budget)):
            key = f"{document.doc}#{section.anchor}#{chunk_index}"
            sources = [document.sources[n].to_dict() for n in cited_numbers(text) if n in document.sources]
            identity = json.dumps([url, document.subject, sources, spans, kind], ensure_ascii=False)
            records.append(
                ChunkRecord(
                    id="",
                    text=text,
                    doc=document.doc,
                    title=document.title,
                    subject=document.subject or "",
                    section=section.heading,
                    anchor=section.anchor,
                    url=url,
                    ordinal=ordinal,
                    section_index=section_index,
                    chunk_index=chunk_index,
                    kind=kind,
                    hash=hashlib.sha256(text.encode()).hexdigest()[:16],
                    sources=sources,
                    sentences=spans,
                    path=document.path,
                    doc_hash=doc_hash,
                )
            )
            record = records[-1]
            record.vkey = vector_key(model_id, record.embed_text)
            record.id = chunk_id(record.vkey, key, identity)
            ordinal += 1
    return records
