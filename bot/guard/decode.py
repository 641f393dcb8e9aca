"""Layer 1, decoding and normalisation: every later layer reads what the reader meant, not how it was disguised.

People slip requests past filters by spelling them differently (d0se, d o s e, Cyrillic look-alike letters,
zero-width joins), by wrapping them in chat-template tokens or JSON/YAML with snake_case fields, or by
encoding them (base64, hex, ROT13, reversed text). This module undoes all of that once and returns `Views`:
the plain text of what was written plus any hidden text decoded out of it. It decides nothing.

Decoders are conservative: a blob is decoded only when the result is readable text, and a ROT13 or
reversed reading is kept only when it has clearly more common words of some language than the text as
written (the word lists are data, in prompts/guardrail/lexicon.yaml).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Format characters (zero-width space/joiners, soft hyphen, BOM, direction marks) are invisible in any text.
_INVISIBLE = dict.fromkeys(
    [
        ord(c)
        for c in "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u202a\u202b\u202c\u202d\u202e"
    ],
    None,
)
# Latin letters and their Cyrillic/Greek look-alikes: a word mostly in one script is written in that script.
_LATIN_LOOKALIKES = "aceiopxyjsABEHIKMNOPTXYCaopikvnx"
_CYRILLIC_LOOKALIKES = "асеіорхујѕАВЕНІКМНОРТХУСαορικνηχ"
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)
_TO_CYRILLIC = str.maketrans("aceopxyACEHKMOPTXB", "асеорхуАСЕНКМОРТХВ")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g", "@": "a", "$": "s"})
_TEMPLATE_TOKENS = re.compile(
    r"<\|[^|<>]{1,40}\|>|\[/?INST\]|<</?SYS>>|</?s>|^#{2,}\s*(?:instruction|response|system|user|assistant|input)\s*:?",
    re.IGNORECASE | re.MULTILINE,
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MIXED = re.compile(r"(?<![\w.])[a-z@$]*[0-9@$][a-z0-9@$]*(?![\w])")
_CODE_NAME = re.compile(r"[a-z]{1,5}\d{1,5}|\d+[a-z]{1,3}|\d+")
# Letters spaced out one by one ("d o s e", "b.u.y"): single characters joined by one separator used
# throughout the run; words are separated by more than one.
_SPACED = re.compile(r"(?<![^\W_])[^\W_]([ .\-*·])(?:[^\W_]\1)+[^\W_](?![^\W_])")
# Textspeak: "how 2 inject", "good 4 me".
_TEXTSPEAK = re.compile(
    r"\b(how|want|need|going|have|where|what|way|able|try|ok|safe|good|dose|enough|it|is|fine) ([24])\b(?= \w)"
)
_CJK = r"\u4e00-\u9fff\u3400-\u4dbf"
_CJK_SPACED = re.compile(rf"(?<=[{_CJK}])\s(?=[{_CJK}])")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_SEGMENT = re.compile(r"\n+|(?<=[:：])\s*")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){8,}(?![0-9A-Fa-f])")


@dataclass
class Views:
    """What a message says, in the forms the later layers read."""

    raw: str
    text: str  # the message as written, disguises undone, lower case
    hidden: list[str] = field(default_factory=list)  # decoded payloads (base64, hex, ROT13, reversed), normalised
    undone: set[str] = field(default_factory=set)  # which disguises were found

    @property
    def full(self) -> str:
        """Everything the message says, visible and hidden."""
        return " \n ".join([self.text, *self.hidden])

    @property
    def encoded(self) -> bool:
        """The request was encoded: an embedding of the raw text describes the encoding, not the request."""
        return bool(self.undone & {"base64", "hex", "rot13", "reversed"})


class Normalizer:
    """Undoes disguises; `common_words` (language -> words) tells a real decoding from noise."""

    def __init__(self, common_words: dict[str, Iterable[str]]) -> None:
        words: set[str] = set()
        cjk: set[str] = set()
        for language, vocabulary in common_words.items():
            for word in vocabulary:
                (cjk if language == "zh" else words).add(str(word).lower())
        self._words = frozenset(words)
        self._cjk = tuple(sorted(cjk, key=len, reverse=True))
        # Earlier turns are normalised again with every question; Views are not changed after they are made.
        self.views = functools.lru_cache(maxsize=4096)(self._views)  # type: ignore[method-assign]
        self.plain = functools.lru_cache(maxsize=4096)(self._plain_text)  # type: ignore[method-assign]

    # -- the public entry point
    def views(self, text: str) -> Views:
        """The message as written, normalised, and anything decoded out of it."""
        return self._views(text)

    def _views(self, text: str) -> Views:
        undone: set[str] = set()
        cleaned = self._surface(text, undone)
        hidden = [self._plain(h, undone) for h in self._decode(cleaned, undone)]
        return Views(raw=text, text=self._plain(cleaned, undone), hidden=[h for h in hidden if h], undone=undone)

    def plain(self, text: str) -> str:
        """The normalised form of a text with no decoding (history turns, answers)."""
        return self._plain_text(text)

    def _plain_text(self, text: str) -> str:
        undone: set[str] = set()
        return self._plain(self._surface(text, undone), undone)

    # -- steps
    def _surface(self, text: str, undone: set[str]) -> str:
        """Unicode compatibility forms, invisible characters and chat-template tokens."""
        value = unicodedata.normalize("NFKC", text)
        stripped = value.translate(_INVISIBLE)
        if stripped != value:
            undone.add("zero_width")
        without_tokens = _TEMPLATE_TOKENS.sub(" ", stripped)
        if without_tokens != stripped:
            undone.add("template_tokens")
        return without_tokens

    def _plain(self, text: str, undone: set[str]) -> str:
        latin_text = len(re.findall(r"[A-Za-z]", text)) > len(re.findall(r"[\u0400-\u04ff]", text))
        value = _WORD.sub(lambda m: self._one_script(m.group(0), undone, latin_text), text)
        # Code, JSON and YAML: identifiers become words ("dose_mcg" -> "dose mcg", "bacWaterMl" -> "bac water ml").
        value = _CAMEL.sub(" ", value).replace("_", " ")
        value = value.lower().replace("’", "'").replace("‘", "'")
        unleet = _MIXED.sub(self._unleet, value)
        if unleet != value:
            undone.add("leetspeak")
        spaced = _SPACED.sub(self._join_spaced, unleet)
        spaced = _TEXTSPEAK.sub(lambda m: f"{m.group(1)} {'to' if m.group(2) == '2' else 'for'}", spaced)
        spaced = _CJK_SPACED.sub("", spaced)
        if spaced != unleet:
            undone.add("spacing")
        return re.sub(r"\s+", " ", spaced).strip()

    def _join_spaced(self, match: re.Match[str]) -> str:
        word = match.group(0).replace(match.group(1), "")
        # "I t a k e" is "I take", not "itake": keep a leading pronoun when the rest is a common word.
        if word[0] == "i" and word not in self._words and word[1:] in self._words:
            return f"i {word[1:]}"
        return word

    @staticmethod
    def _one_script(word: str, undone: set[str], latin_text: bool) -> str:
        latin = sum("a" <= ch.lower() <= "z" for ch in word)
        other = sum(ch in _CYRILLIC_LOOKALIKES or "\u0400" <= ch <= "\u04ff" for ch in word)
        if latin_text and other and not latin and all(ch in _CYRILLIC_LOOKALIKES or not ch.isalpha() for ch in word):
            undone.add("homoglyph")  # "ВРС-157" in an English sentence
            return word.translate(_TO_LATIN)
        if latin and other:
            undone.add("homoglyph")
            return word.translate(_TO_LATIN) if latin >= other else word.translate(_TO_CYRILLIC)
        return word

    def _unleet(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if sum(ch.isalpha() for ch in token) == 0:
            return token
        word = token.translate(_LEET)
        # "d0se", "1nj3ct" (letters on both sides of a digit) are words in disguise; "bpc157", "tb500", "5mg"
        # are names and amounts, unless the letters-then-digits token reads as a common word ("wh47", "m17").
        if not _CODE_NAME.fullmatch(token) or word in self._words or word.replace("i", "l") in self._words:
            return word if word in self._words or word.replace("i", "l") not in self._words else word.replace("i", "l")
        return token

    # -- decoders
    def _decode(self, text: str, undone: set[str]) -> list[str]:
        out: list[str] = []
        for blob in _BASE64.findall(text):
            padded = blob + "=" * (-len(blob) % 4)
            decoded = _readable(_try(functools.partial(base64.b64decode, padded, validate=True)))
            if decoded:
                out.append(decoded)
                undone.add("base64")
        for blob in _HEX.findall(text):
            decoded = _readable(_try(functools.partial(binascii.unhexlify, re.sub(r"[ :]", "", blob))))
            if decoded and not decoded.isdigit():
                out.append(decoded)
                undone.add("hex")
        if out:
            return out
        for segment in _SEGMENT.split(text):
            decoded = self._unscramble(segment.strip(), undone)
            if decoded:
                out.append(decoded)
        return out

    def _unscramble(self, segment: str, undone: set[str]) -> str:
        """A ROT13 or reversed reading of one segment, when it reads clearly better than the segment itself."""
        if len(segment) < 8:
            return ""
        base = self.wordiness(segment)
        # A reversed question starts with its question mark.
        flipped = segment[0] in "?？¿.!" and segment[-1] not in "?？.!"
        for kind, candidate in (("rot13", codecs.encode(segment, "rot13")), ("reversed", segment[::-1])):
            score = self.wordiness(candidate)
            clearer = score >= 0.25 and score > base * 1.6 + 0.08 and self.common_count(candidate) >= 2
            if clearer or (kind == "reversed" and flipped and score > base):
                undone.add(kind)
                return candidate
        return ""

    def common_count(self, text: str) -> int:
        lowered = text.lower()
        return sum(w in self._words for w in _WORD.findall(lowered)) + sum(
            lowered.count(w) for w in self._cjk if len(w) > 1
        )

    def wordiness(self, text: str) -> float:
        """Share of a text's words that are common words of some language (CJK: common words per character)."""
        lowered = text.lower()
        cjk_chars = len(re.findall(rf"[{_CJK}]", lowered))
        if cjk_chars >= 4:
            hits = sum(lowered.count(w) * len(w) for w in self._cjk if len(w) > 1)
            return hits / cjk_chars
        words = _WORD.findall(lowered)
        if not words:
            return 0.0
        return sum(w in self._words for w in words) / len(words)


def _try(decode: Callable[[], bytes]) -> bytes | None:
    try:
        return decode()
    except (ValueError, binascii.Error):
        return None


def _readable(raw: bytes | None) -> str:
    """Decoded bytes that are readable text, else ''."""
    if not raw:
        return ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    printable = sum(ch.isprintable() or ch.isspace() for ch in text) / len(text)
    if printable < 0.95 or not re.search(r"[^\W\d_]{3}", text):
        return ""
    return text
