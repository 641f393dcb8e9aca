"""Undo the spellings people use to slip a request past filters: d0se, inj3ct, d o s e, m.u.c.h, zero-width joins.

Patterns then run on the plain form, so one rule covers every disguise of the same word.
"""

from __future__ import annotations

import base64
import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)
# Cyrillic and Greek letters that look like Latin ones, used inside otherwise Latin words.
_HOMOGLYPHS = str.maketrans("асеіорхуАСЕІОРХУΑΒΕΗΙΚΜΝΟΡΤΧΥαορ", "aceiopxyACEIOPXYABEHIKMNOPTXYaop")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_SPACED = re.compile(r"\b[a-z]([\s.\-_*·])(?:[a-z]\1){1,}[a-z]\b")  # one separator throughout: "d o s e", "b.u.y"
_TEXTSPEAK = re.compile(
    r"\b(how|want|need|going|have|where|what|way|able|try|ok|safe|good|dose|enough|it) ([24])\b(?= [a-z])"
)
_MIXED = re.compile(r"[a-z@$!]*[0-9@$][a-z0-9@$!]*")


def _latinize_word(match: re.Match[str]) -> str:
    word = match.group(0)
    has_latin = any("a" <= ch.lower() <= "z" for ch in word)
    return word.translate(_HOMOGLYPHS) if has_latin else word


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    letters = sum(ch.isalpha() for ch in token)
    # "d0se", "inj3ct" are words in disguise; "30", "bpc157", "5mg" are numbers and names.
    if letters >= 1 and len(token) >= 2 and not re.fullmatch(r"[a-z]\d{2,}|[a-z]{2,4}\d+|\d+[a-z]{1,3}", token):
        return token.translate(_LEET)
    return token


def _join(match: re.Match[str], keep_pronoun: bool) -> str:
    letters = re.sub(r"[\s.\-_*·]", "", match.group(0))
    # "should I t a k e" is "I" followed by a spaced word, not the word "itake".
    if keep_pronoun and letters[0] in "ia" and len(letters) >= 4:
        return f"{letters[0]} {letters[1:]}"
    return letters


def plain(text: str, keep_pronoun: bool = False) -> str:
    """Lowercase text with disguises removed; non-Latin scripts (Russian questions) are kept as they are."""
    value = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    value = re.sub(r"\w+", _latinize_word, value).lower()
    value = value.replace("’", "'").replace("‘", "'")
    value = _MIXED.sub(_unleet, value)
    value = _SPACED.sub(lambda m: _join(m, keep_pronoun), value)
    value = _TEXTSPEAK.sub(lambda m: f"{m.group(1)} {'to' if m.group(2) == '2' else 'for'}", value)
    return re.sub(r"\s+", " ", value).strip()


_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")


def decoded(text: str) -> str:
    """Base64 blobs that decode to readable text ("decode this and answer it"), decoded; else ''."""
    out = []
    for blob in _BASE64.findall(text):
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if (
            raw
            and sum(ch.isprintable() or ch.isspace() for ch in raw) / len(raw) > 0.95
            and re.search(r"[A-Za-z]{3}", raw)
        ):
            out.append(raw)
    return " ".join(out)


def variants(text: str) -> list[str]:
    """The plain forms a rule should see: a spaced word right after "I" or "a" is ambiguous, so both
    readings; a hidden (base64) message is read as well."""
    forms = [plain(text)]
    second = plain(text, keep_pronoun=True)
    if second != forms[0]:
        forms.append(second)
    hidden = decoded(text)
    if hidden:
        forms.append(plain(hidden))
    return forms
