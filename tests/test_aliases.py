"""Other names of a monograph's subject, read from its lead text: readers ask by them ("NAC", "SAMe").

The shapes are the ones real encyclopedia leads use (the blind slice eval/corpora/real2 showed the first
three were missed): a bracketed abbreviation after the name, "X or Y", a cue followed by a list, a list
introduced by "include". Each page here is written for the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.guard import Guardrail
from bot.index import LiveInfo
from bot.prompts import Prompts
from bot.settings import Settings
from bot.subjects import SubjectMatcher
from ingest.load import parse_bytes


def _aliases(lead: str, title: str) -> list[str]:
    page = f"# {title}\n\n{lead}\n\n## Side effects\n\nMild nausea was reported.\n"
    return parse_bytes(page.encode(), Path("page.md"), "markdown", "https://example.org").aliases


@pytest.mark.parametrize(
    ("title", "lead", "expected"),
    [
        (
            "Zelpacysteine",
            "Zelpacysteine or N-zelpacysteine (ZAC; not the same as ZAK) is a mucolytic.",
            ["ZAC", "N-zelpacysteine"],
        ),
        ("Zelpamide", "Zelpamide (5-ZPM), used medically as oxizelpa, is an amino acid.", ["oxizelpa", "5-ZPM"]),
        (
            "Zelpanine",
            "Zelpanine, also known under the commercial names of ZelpaX, Zel-X, or AdoZel, is a cofactor.",
            ["ZelpaX", "Zel-X", "AdoZel"],
        ),
        (
            "Zelpadrin",
            "Zelpadrin, also known by its former developmental code names ALT-7 and ZP-189, is a drug.",
            ["ALT-7", "ZP-189"],
        ),
        ("Zelpafen", "Zelpafen, sold under the brand name Zelpa among others, is a medication.", ["Zelpa"]),
        ("Zelpacin", "Zelpacin (INN) is a drug of the racetam group.", []),
    ],
)
def test_lead_text_names_are_found(title, lead, expected):
    assert _aliases(lead, title) == expected


def _document(lead: str, title: str):
    page = f"# {title}\n\n{lead}\n\n## Side effects\n\nMild nausea was reported.\n"
    return parse_bytes(page.encode(), Path("page.md"), "markdown", "https://example.org")


def test_an_abbreviation_that_is_an_english_word_is_not_an_alias():
    assert _aliases("Zelpatol (ALL) is a plant extract.", "Zelpatol") == []
    # names match without case or punctuation: "SAM" would name the product in "my friend Sam", "SAM-e" in "the same"
    lead = "Zelpa methionine (SAM), also known under the commercial names of SAMe, SAM-e, or AdoZel, is a cofactor."
    document = _document(lead, "Zelpa methionine")
    assert document.aliases == ["AdoZel"]
    # ... but written in mixed case it names the product, and only so; all capitals ("SAM", "ALL") never does
    assert document.cased_aliases == ["SAMe", "SAM-e"]
    assert _document("Zelpatol (ALL) is a plant extract.", "Zelpatol").cased_aliases == []


def test_a_cased_alias_names_its_subject_only_as_written():
    matcher = SubjectMatcher(["Zelpa methionine"], cased={"SAMe": "Zelpa methionine", "SAM-e": "Zelpa methionine"})
    assert matcher.find("Is SAMe safe with bipolar disorder?") == ["Zelpa methionine"]
    assert matcher.find("does SAM-e interact with SSRIs") == ["Zelpa methionine"]
    for text in ["is it the same dose?", "SAME AS BEFORE?", "a gift for my friend Sam", "the same-day results"]:
        assert matcher.find(text) == [], text
    assert matcher.spelled("samee") is None  # never a respelling target either


def test_the_topic_gate_reads_cased_aliases_in_the_message_as_written():
    prompts = Prompts(Settings().prompts_dir)
    guard = Guardrail(prompts, subjects=lambda: ["Zelpa methionine"], cased=lambda: ["SAMe"])
    assert guard.check("Which SAMe brand should I buy, and where is it cheapest?", []).decision == "refuse"
    assert guard.check("Where can I buy the same shoes cheaper?", []).decision == "allow"


def test_live_info_caches_aliases_but_never_writes_the_cache():
    docs = {"d": {"subject": "Acetylcysteine", "aliases": ["NAC"]}, "s": {"subject": "SAM", "cased_aliases": ["SAMe"]}}
    info = LiveInfo("c", 1, "m", 384, docs, 1, 0.0)
    assert info.aliases == {"NAC": "Acetylcysteine"} and info.aliases is info.aliases
    assert info.cased_aliases == {"SAMe": "SAM"}
    assert info.aliases_of("Acetylcysteine") == ["NAC"] and info.aliases_of("Semax") == []
    assert info.aliases_of("SAM") == ["SAMe"]
    assert "_alias_cache" not in info.to_json() and LiveInfo.from_json(info.to_json()).aliases == info.aliases
