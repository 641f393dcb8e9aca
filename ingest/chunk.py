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


def _pieces(section: Section, fits: Callable[[str], bool]) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """(kind, text, sentence spans) per chunk of one section."""
    chunks: list[tuple[str, str, list[tuple[int, int]]]] = []
    buffer: list[str] = []  # sentences, with "\n" marking a paragraph break before a sentence

    def flush() -> None:
        if not buffer:
            return
        text, spans = "", []
        for sentence in buffer:
            sep = "" if not text else ("\n" if sentence.startswith("\n") else " ")
            body = sentence.lstrip("\n")
            start = len(text) + len(sep)
            text += sep + body
            spans.append((start, start + len(body)))
        chunks.append(("text", text, spans))
        buffer.clear()

    def render(candidate: list[str]) -> str:
        return " ".join(s.lstrip("\n") for s in candidate)

    for block in section.blocks:
        if isinstance(block, Table):
            flush()
            for row in block.rows:
                text = table_row_text(block, row)
                if fits(text):
                    chunks.append(("table", text, [(0, len(text))]))
                else:
                    header = _row_line(block.header)

                    def fits_row(text: str, header: str = header) -> bool:
                        return fits(header + "\n" + text)

                    for part in _split_words(_row_line(row), fits_row):
                        piece = header + "\n" + part
                        chunks.append(("table", piece, [(0, len(piece))]))
            continue
        assert isinstance(block, Paragraph)
        sentences = [block.text[a:b] for a, b in sentence_spans(block.text)]
        for k, sentence in enumerate(sentences):
            marked = ("\n" + sentence) if k == 0 and buffer else sentence
            if fits(render(buffer + [marked])):
                buffer.append(marked)
                continue
            flush()
            if fits(sentence):
                buffer.append(sentence)
            else:
                for part in _split_words(sentence, fits):
                    chunks.append(("text", part, [(0, len(part))]))
    flush()
    return chunks


def _split_words(text: str, fits: Callable[[str], bool]) -> list[str]:
    """A sentence longer than the model reads: cut at word boundaries rather than let the model truncate it."""
    parts, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}".strip()
        if current and not fits(candidate):
            parts.append(current)
            current = word
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def chunk_document(
    document: Document, count_tokens: Callable[[str], int], max_tokens: int, model_id: str, doc_hash: str = ""
) -> list[ChunkRecord]:
    records: list[ChunkRecord] = []
    ordinal = 0
    for section_index, section in enumerate(document.sections):
        url = document.url + (f"#{section.anchor}" if section.anchor else "")

        def fits(text: str, section: Section = section) -> bool:
            return count_tokens(embed_text(document.title, section.heading, text, section.anchor)) <= max_tokens

        for chunk_index, (kind, text, spans) in enumerate(_pieces(section, fits)):
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
