"""The real test corpus (issue 13): every real page parses, no markup reaches a chunk, subjects are exact,
and every inline citation is resolved or reported once.

Pages: tests/fixtures/real (HTML as served, Markdown with original markup) and eval/corpora/real (Markdown
drug pages); origins and licences are in each folder's SOURCES.md. Chunks are sized with the model's own
tokenizer only (no weights), so this stays a fast test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.embedding import TokenCounter
from bot.settings import REPO_ROOT, Settings
from bot.text import cited_numbers
from ingest.chunk import chunk_document
from ingest.load import find_files, parse_file

REAL = [REPO_ROOT / "tests" / "fixtures" / "real", REPO_ROOT / "eval" / "corpora" / "real"]
SITE = "https://example.org/monographs/"
MAX_TOKENS = 200

# The subject each page is about, exactly. Drug pages name the drug whole ("Withania somnifera",
# "St. John's wort"); the off-topic parser fixtures (Creative Commons, the SRE book, DTrace ...) have no drug,
# and their value pins what the title rule gives so a change is seen.
EXPECTED_SUBJECTS = {
    "tests/fixtures/real/html/apibot.zavinagi.org-development-code-utils-mw1.16-monobook.html": "Development code/Utils.php",
    "tests/fixtures/real/html/creativecommons.at-faircoin-hackathon.html": "FairCoin hackathon beim Sommercamp",
    "tests/fixtures/real/html/creativecommons.org-about-what-we-do.html": "What we do",
    "tests/fixtures/real/html/davidwolfe.com-florida-school-shooter-medication.html": "Medication",
    "tests/fixtures/real/html/de.creativecommons.org-nc-einschraenkung.html": "Recht",
    "tests/fixtures/real/html/ebb.org-bkuhn-on-recent-controversial-events.html": "On Recent Controversial Events",
    "tests/fixtures/real/html/en.wikipedia.org-ictis-content-fragment-mw1.19.html": "En.wikipedia.org ictis content",
    "tests/fixtures/real/html/en.wikipedia.org-t-distributed-stochastic-neighbor-embedding.html": "t-distributed stochastic neighbor embedding",
    "tests/fixtures/real/html/en.wikipedia.org-two-sided-market.html": "Two-sided market",
    "tests/fixtures/real/html/hukumusume.com-aesop-greedy-dog.html": "欲張りなイヌ",
    "tests/fixtures/real/html/ja.wikipedia.org-web-scraping.html": "ウェブスクレイピング",
    "tests/fixtures/real/html/sre.google-sre-book-monitoring-distributed-systems.html": "Monitoring Distributed Systems",
    "tests/fixtures/real/html/v8.dev-blog-emscripten-standalone-wasm.html": "Emscripten",
    "tests/fixtures/real/html/www.dtracebook.com-system-view-scrwtop10-mw1.16-monobook.html": "System View",
    "tests/fixtures/real/markdown/adrafinil-psychonautwiki.md": "Adrafinil",
    "tests/fixtures/real/markdown/aniracetam-psychonautwiki.md": "Aniracetam",
    "tests/fixtures/real/markdown/bromantane-psychonautwiki.md": "Bromantane",
    "tests/fixtures/real/markdown/oxiracetam-psychonautwiki.md": "Oxiracetam",
    "tests/fixtures/real/markdown/pramiracetam-psychonautwiki.md": "Pramiracetam",
    "tests/fixtures/real/markdown/theanine-psychonautwiki.md": "Theanine",
    "eval/corpora/real/markdown/adrafinil.md": "Adrafinil",
    "eval/corpora/real/markdown/aniracetam.md": "Aniracetam",
    "eval/corpora/real/markdown/aoa-vitamin-b12-healthy-tip.md": "Vitamin B12",
    "eval/corpora/real/markdown/armodafinil.md": "Armodafinil",
    "eval/corpora/real/markdown/baclofen.md": "Baclofen",
    "eval/corpora/real/markdown/bromantane.md": "Bromantane",
    "eval/corpora/real/markdown/caffeine.md": "Caffeine",
    "eval/corpora/real/markdown/citicoline.md": "Citicoline",
    "eval/corpora/real/markdown/diphenhydramine-psychonautwiki-2015.md": "Diphenhydramine",
    "eval/corpora/real/markdown/handwiki-creatine.md": "Creatine",
    "eval/corpora/real/markdown/kava.md": "Kava",
    "eval/corpora/real/markdown/melatonin.md": "Melatonin",
    "eval/corpora/real/markdown/mesembryanthemum-tortuosum-kanna.md": "Mesembryanthemum tortuosum",
    "eval/corpora/real/markdown/mitragyna-speciosa-kratom.md": "Mitragyna speciosa",
    "eval/corpora/real/markdown/modafinil-psychonautwiki.md": "Modafinil",
    "eval/corpora/real/markdown/nccam-ginkgo-herbs-at-a-glance-2008.md": "Ginkgo",
    "eval/corpora/real/markdown/nccih-ashwagandha-bulletin.md": "Ashwagandha",
    "eval/corpora/real/markdown/nccih-cautions-about-melatonin.md": "Melatonin",
    "eval/corpora/real/markdown/nhs-vitamin-d.md": "Vitamin D",
    "eval/corpora/real/markdown/nihseniorhealth-st-johns-wort-faq.md": "St. John's wort",
    "eval/corpora/real/markdown/omberacetam-noopept.md": "Omberacetam",
    "eval/corpora/real/markdown/oxiracetam.md": "Oxiracetam",
    "eval/corpora/real/markdown/phenibut.md": "Phenibut",
    "eval/corpora/real/markdown/phenylpiracetam.md": "Phenylpiracetam",
    "eval/corpora/real/markdown/picamilon.md": "Picamilon",
    "eval/corpora/real/markdown/piracetam.md": "Piracetam",
    "eval/corpora/real/markdown/pramiracetam-psychonautwiki.md": "Pramiracetam",
    "eval/corpora/real/markdown/pramiracetam.md": "Pramiracetam",
    "eval/corpora/real/markdown/rhodiola.md": "Rhodiola",
    "eval/corpora/real/markdown/sulbutiamine.md": "Sulbutiamine",
    "eval/corpora/real/markdown/theanine.md": "Theanine",
    "eval/corpora/real/markdown/tianeptine.md": "Tianeptine",
    "eval/corpora/real/markdown/withania-somnifera.md": "Withania somnifera",
}

ARTEFACTS = {
    "link": re.compile(r"\]\("),
    "image": re.compile(r"!\["),
    "quote marker": re.compile(r"(?m)^> "),
    "raw tag": re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"),
    "reference link": re.compile(r"\[\[\d|\]\(#"),
    "back to top": re.compile(r"(?i)^back to top$"),
}
# Text that is markup-shaped because the page's own prose quotes it (the Japanese article on web scraping
# shows readers the robots meta tag); it is content, written in the page as &lt;meta …&gt;.
QUOTED_MARKUP = {
    "ja.wikipedia.org-web-scraping.html": ["<head>", "</head>", '<meta name="robots" content="noindex,nofollow">']
}


def real_files() -> list[Path]:
    files, errors = find_files(REAL)
    assert not errors
    return files


def rel(path: Path) -> str:
    return path.resolve().relative_to(REPO_ROOT).as_posix()


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter(Settings().embed_model)


@pytest.fixture(scope="module")
def parsed(counter):
    """Every real page parsed and chunked once: {path: (document, records)}."""
    out = {}
    for path in real_files():
        document = parse_file(path, SITE)
        out[rel(path)] = (document, chunk_document(document, counter.count_tokens, MAX_TOKENS, counter.model_id))
    return out


def test_the_corpus_is_real_sized_and_mixed():
    files = real_files()
    assert len(files) >= 30
    assert {p.suffix for p in files} >= {".html", ".md"}


def test_every_page_has_an_expected_subject_and_it_is_exact(parsed):
    assert sorted(parsed) == sorted(EXPECTED_SUBJECTS), "a page was added or removed: update EXPECTED_SUBJECTS"
    wrong = {path: doc.subject for path, (doc, _) in parsed.items() if doc.subject != EXPECTED_SUBJECTS[path]}
    assert not wrong


def test_no_page_is_rejected_and_each_has_chunks(parsed):
    assert all(records for _, records in parsed.values())


def test_no_markup_artefacts_in_any_chunk(parsed):
    found = []
    for path, (_, records) in parsed.items():
        allowed = QUOTED_MARKUP.get(Path(path).name, [])
        for record in records:
            text = record.text
            for quoted in allowed:
                text = text.replace(quoted, "")
            found += [(path, name, record.text[:80]) for name, rx in ARTEFACTS.items() if rx.search(text)]
    assert not found


def test_every_chunk_fits_the_model(parsed, counter):
    assert all(counter.count_tokens(r.embed_text) <= MAX_TOKENS for _, records in parsed.values() for r in records)


def test_every_inline_citation_is_resolved_or_reported_once(parsed):
    for path, (doc, records) in parsed.items():
        reports = [n for n in doc.notes if "inline citation(s) have no entry" in n]
        assert len(reports) <= 1, path
        listed = {int(n) for n in re.findall(r"\[(\d+)\]", reports[0].split(":", 1)[1])} if reports else set()
        for record in records:
            cited = set(cited_numbers(record.text))
            assert cited <= set(doc.sources) | listed, (path, cited - set(doc.sources) - listed)
            assert {s["n"] for s in record.sources} == cited & set(doc.sources)


def test_reference_lists_are_resolved_on_pages_that_have_them(parsed):
    with_refs = {
        "tests/fixtures/real/html/en.wikipedia.org-t-distributed-stochastic-neighbor-embedding.html": 12,
        "tests/fixtures/real/html/en.wikipedia.org-two-sided-market.html": 19,
        "tests/fixtures/real/markdown/aniracetam-psychonautwiki.md": 13,
    }
    for path, count in with_refs.items():
        doc, _ = parsed[path]
        assert len(doc.sources) == count
        assert not any("inline citation(s) have no entry" in n for n in doc.notes)
    tsne, _ = parsed["tests/fixtures/real/html/en.wikipedia.org-t-distributed-stochastic-neighbor-embedding.html"]
    assert any(s.doi for s in tsne.sources.values()) and any(s.url for s in tsne.sources.values())


def test_headings_carry_their_path(parsed):
    doc, _ = parsed["tests/fixtures/real/markdown/aniracetam-psychonautwiki.md"]
    assert "Dosage & Duration › Oral" in [s.heading for s in doc.sections]
    assert all(s.blocks for s in doc.sections)
