"""Other names of a monograph's subject, read from its lead text: readers ask by them ("NAC", "SAMe").

The shapes are the ones real encyclopedia leads use (the blind slice eval/corpora/real2 showed the first
three were missed): a bracketed abbreviation after the name, "X or Y", a cue followed by a list, a list
introduced by "include". Each page here is written for the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.index import LiveInfo
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


def test_an_abbreviation_that_is_an_english_word_is_not_an_alias():
    assert _aliases("Zelpatol (ALL) is a plant extract.", "Zelpatol") == []
    # names match without case or punctuation: "SAM" would name the product in "my friend Sam", "SAM-e" in "the same"
    lead = "Zelpa methionine (SAM), also known under the commercial names of SAMe, SAM-e, or AdoZel, is a cofactor."
    assert _aliases(lead, "Zelpa methionine") == ["AdoZel"]


def test_live_info_caches_aliases_but_never_writes_the_cache():
    info = LiveInfo("c", 1, "m", 384, {"d": {"subject": "Acetylcysteine", "aliases": ["NAC"]}}, 1, 0.0)
    assert info.aliases == {"NAC": "Acetylcysteine"} and info.aliases is info.aliases
    assert info.aliases_of("Acetylcysteine") == ["NAC"] and info.aliases_of("Semax") == []
    assert "_alias" not in info.to_json() and LiveInfo.from_json(info.to_json()).aliases == info.aliases
