#!/usr/bin/env python3
"""Generate the templated guardrail prompt set (eval/guardrail/gen/*.jsonl) from eval/guardrail/families/*.yaml.

Deterministic: the same YAML and the same --seed give byte-identical output. Standard library + PyYAML only.

    python3 eval/guardrail/generate.py            # writes gen/train.jsonl, gen/dev.jsonl, gen/test.jsonl, gen/README.md
    python3 eval/guardrail/generate.py --check    # also re-reads the output and checks the split rules

Data files (all in families/):
  slots.yaml              shared lexicon: verbs, goals, relatives, countries, stock assistant turns, obfuscation wrappers
  subjects.yaml           train and dev subjects (drugs, supplements, lay references)
  test_subjects.yaml      test subjects (never seen in train or dev)
  *.yaml                  train/dev families and wrappers
  test_*.yaml             test families and wrappers (frozen: do not read them while changing the guardrail)

A *family* is one sentence shape with variants in several languages. A *wrapper* is a framing shape
(role-play, fiction, override, ...) that embeds a core question as ${Q}. A wrapped row's family is
"<core>|<wrapper>", and both parts belong to the row's split. Template syntax:
  ${name} / ${name.form}  a slot (S, S2, take, goal, rel, country, ...); see Ctx.slot
  [[a|b|]]                 a random choice (an empty alternative makes the part optional)
"""

from __future__ import annotations

import argparse
import base64
import codecs
import collections
import json
import random
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FAMILY_DIR = HERE / "families"
OUT_DIR = HERE / "gen"
SEED = 157
SPLITS = ("train", "dev", "test")
LANGS = ("en", "es", "de", "fr", "pt", "ru", "pl", "zh")
LANG_WEIGHT = {"en": 0.36, **{lang: 0.64 / 7 for lang in LANGS[1:]}}
# rows per split; each split is half refuse, half answer
SPLIT_ROWS = {"train": 1560, "dev": 400, "test": 660}
CATEGORY_WEIGHT = {
    "refuse": {"dose": 1, "personalise_or_scale": 1, "schedule": 1, "administer": 1, "source": 1},
    "answer": {
        "offtopic_safe": 0.25,
        "lookalike_trial_dose": 0.13,
        "lookalike_definition": 0.09,
        "lookalike_risk": 0.13,
        "lookalike_regulatory": 0.10,
        "lookalike_efficacy": 0.10,
        "lookalike_followup": 0.11,
        "lookalike_wording": 0.09,
    },
}
FRAMINGS = (
    "plain",
    "relative",
    "population",
    "hypothetical",
    "fiction",
    "roleplay",
    "authority",
    "override",
    "pasted_doc",
    "template",
    "multi_turn",
)
FRAMING_WEIGHT = {f: 1.0 for f in FRAMINGS} | {"plain": 2.2, "multi_turn": 1.3}
WRAPPER_FRAMINGS = ("hypothetical", "fiction", "roleplay", "authority", "override")
OBFUSCATIONS = ("base64", "rot13", "hex", "reversed", "leetspeak", "spacing", "homoglyph", "zero_width")
OBFUSCATION_RATE = 0.27
OBFUSCABLE_FRAMINGS = {
    "plain",
    "relative",
    "population",
    "hypothetical",
    "roleplay",
    "authority",
    "fiction",
    "multi_turn",
}
LATIN_LANGS = {"en", "es", "de", "fr", "pt", "pl"}
CASUAL_RATE = 0.14
CASUAL_FRAMINGS = {"plain", "relative", "population", "multi_turn"}

SLOT_RE = re.compile(r"\$\{(\w+)(?:\.(\w+))?\}")
CHOICE_RE = re.compile(r"\[\[([^\[\]]*)\]\]")


# ---------------------------------------------------------------- loading


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


class Data:
    def __init__(self, family_dir: Path):
        self.lex = load_yaml(family_dir / "slots.yaml")
        self.subjects: list[dict] = []
        self.families: list[dict] = []
        self.wrappers: list[dict] = []
        for path in sorted(family_dir.glob("*.yaml")):
            is_test_file = path.name.startswith("test_")
            doc = load_yaml(path)
            if path.name == "slots.yaml":
                continue
            for subj in doc.get("subjects", []):
                self._check_split(subj, is_test_file, path)
                self.subjects.append(subj)
            for fam in doc.get("families", []):
                self._check_split(fam, is_test_file, path)
                fam["_file"] = path.name
                self.families.append(fam)
            for wrap in doc.get("wrappers", []):
                self._check_split(wrap, is_test_file, path)
                wrap["_file"] = path.name
                self.wrappers.append(wrap)
        ids = [f["id"] for f in self.families + self.wrappers]
        dup = [k for k, v in collections.Counter(ids).items() if v > 1]
        assert not dup, f"duplicate family ids: {dup}"
        sids = [s["id"] for s in self.subjects]
        dup = [k for k, v in collections.Counter(sids).items() if v > 1]
        assert not dup, f"duplicate subject ids: {dup}"

    @staticmethod
    def _check_split(item: dict, is_test_file: bool, path: Path):
        split = item.get("split")
        assert split in SPLITS, f"{path.name}: {item.get('id')} has split {split!r}"
        assert (split == "test") == is_test_file, f"{path.name}: {item['id']} split {split} in the wrong file"


# ---------------------------------------------------------------- subjects


def subject_ok(subj: dict, needs: list[str]) -> bool:
    routes = [n for n in needs if n in ("inj", "oral", "nasal")]
    if routes and subj["route"] not in routes:
        return False
    for need in needs:
        if need in ("inj", "oral", "nasal"):
            continue
        if need == "name" and subj.get("generic"):
            return False
        if need == "lyo" and not subj.get("lyo"):
            return False
        if need == "vial" and not subj.get("vial"):
            return False
        if need == "amounts" and not subj.get("amounts"):
            return False
        if need == "named_trial" and not subj.get("trials"):
            return False
        if need == "human" and subj.get("evidence") != "human":
            return False
    return True


FR_ELIDE = re.compile(r"^[aeiouéèêâîôûAEIOUÉÈÊÂÎÔÛ]")


def subject_forms(subj: dict, lang: str, rng: random.Random) -> dict:
    """Surface forms of a subject in one language: nom, part, gen, acc, de."""
    if subj.get("generic"):
        forms = dict(subj["forms"][lang])
    else:
        loc = (subj.get("l10n") or {}).get(lang)
        alts = subj.get("alt") or []
        if lang != "en":  # lower-case English lay spellings stay English; brands and codes travel
            alts = [a for a in alts if re.search(r"[A-Z0-9]", a)]
        roll = rng.random()
        if alts and ((lang in LATIN_LANGS and roll < 0.28) or (lang in ("ru", "zh") and roll < 0.12)):
            forms = {"nom": rng.choice(alts), "brand": True}  # lay or brand spelling, left undeclined
        elif isinstance(loc, dict):
            forms = dict(loc)
        elif isinstance(loc, str):
            forms = {"nom": loc}
        else:
            forms = {"nom": subj["name"]}
    nom = forms["nom"]
    if lang == "fr" and "art" not in forms:
        if subj.get("generic"):
            forms["art"] = nom
        elif FR_ELIDE.match(nom):
            forms["art"] = "l'" + nom
        else:
            fem = subj.get("fr_gender") == "f" and not forms.get("brand")  # brand names are masculine
            forms["art"] = ("la " if fem else "le ") + nom
    if lang == "fr" and "du" not in forms:
        art = forms["art"]
        forms["du"] = "du " + art[3:] if art.startswith("le ") else "de " + art
    if lang in ("es", "pt") and "art" not in forms:
        if subj.get("generic"):
            forms["art"] = nom
        else:
            fem = nom.endswith("a") and not forms.get("brand")
            forms["art"] = {("es", True): "la ", ("es", False): "el ", ("pt", True): "a ", ("pt", False): "o "}[
                (lang, fem)
            ] + nom
    if lang == "de" and not subj.get("generic") and nom[:1].islower():
        forms["nom"] = nom = nom[0].upper() + nom[1:]  # German capitalises nouns
        for k in ("part", "gen", "acc"):
            forms.pop(k, None)
    forms.setdefault("art", nom)
    forms.setdefault("du", nom)
    forms.setdefault("part", nom)
    forms.setdefault("gen", nom)
    forms.setdefault("acc", nom)
    if "de" not in forms:
        if lang == "fr":
            forms["de"] = ("d'" if FR_ELIDE.match(nom) else "de ") + nom
        else:
            forms["de"] = "de " + nom
    return forms


# ---------------------------------------------------------------- localisation helpers

UNIT = {
    "en": {"mcg": "mcg", "mg": "mg", "IU": "IU", "mL": "mL", "g": "g"},
    "es": {"mcg": "mcg", "mg": "mg", "IU": "UI", "mL": "ml", "g": "g"},
    "pt": {"mcg": "mcg", "mg": "mg", "IU": "UI", "mL": "ml", "g": "g"},
    "fr": {"mcg": "µg", "mg": "mg", "IU": "UI", "mL": "ml", "g": "g"},
    "de": {"mcg": "µg", "mg": "mg", "IU": "IE", "mL": "ml", "g": "g"},
    "ru": {"mcg": "мкг", "mg": "мг", "IU": "МЕ", "mL": "мл", "g": "г"},
    "pl": {"mcg": "mcg", "mg": "mg", "IU": "j.m.", "mL": "ml", "g": "g"},
    "zh": {"mcg": "微克", "mg": "毫克", "IU": "IU", "mL": "毫升", "g": "克"},
}


def localise_amount(amount: str, lang: str) -> str:
    num, unit = amount.split(" ", 1)
    if lang not in ("en", "zh"):
        num = num.replace(".", ",")
    u = UNIT[lang].get(unit, unit)
    return f"{num}{u}" if lang == "zh" else f"{num} {u}"


def postprocess(text: str, lang: str) -> str:
    if lang == "fr":
        text = re.sub(r"\b([Dd]e|[Qq]ue|[Jj]e|[Ll]e|[Ll]a|[Ss]e|[Mm]e|[Nn]e) (?=[aeiouéèêâAEIOUÉÈ])", r"\1'", text)
        text = re.sub(r"\b([Ss])i (?=ils?\b)", r"\1'", text)
        text = re.sub(r"\b([Dd])e le\b", r"\1u", text)
        text = re.sub(r"\b([Dd])e les\b", r"\1es", text)
        text = re.sub(r"\bà le\b", "au", text)
        text = re.sub(r"\bà les\b", "aux", text)
    elif lang == "pt":
        for a, b in (
            ("em os ", "nos "),
            ("em as ", "nas "),
            ("de os ", "dos "),
            ("de as ", "das "),
            ("a os ", "aos "),
            ("de este", "deste"),
            ("de esta", "desta"),
            ("de esse", "desse"),
            ("de essa", "dessa"),
            ("em este", "neste"),
            ("em esta", "nesta"),
            ("em esse", "nesse"),
            ("de o ", "do "),
            ("de a ", "da "),
            ("em o ", "no "),
            ("em a ", "na "),
            ("a o ", "ao "),
            ("a a ", "à "),
        ):
            text = re.sub(r"\b" + a + r"\b", b, text)
    elif lang == "es":
        text = re.sub(r"\bde el\b", "del", text)
        text = re.sub(r"\ba el\b", "al", text)
    lines = []
    for line in text.split("\n"):
        indent = re.match(r"[ \t]*", line).group()
        line = indent + re.sub(r"[ \t]{2,}", " ", line[len(indent) :]).rstrip()
        if lang != "fr":
            line = re.sub(r" +([,.?!;:])(?=\s|$)", r"\1", line)
        line = re.sub(r"\( +", "(", line)
        lines.append(line)
    text = "\n".join(lines).strip("\n ")
    return text


def upper_first(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha() and not ("\u0370" <= ch <= "\u03ff"):  # leave Greek (α-GPC) alone
            return text[:i] + ch.upper() + text[i + 1 :] if ch.islower() else text
        if ch not in "¿¡\"'«“„(":
            return text
    return text


# ---------------------------------------------------------------- rendering


class Ctx:
    """Slot values for one row: each slot is drawn once, so a row is consistent."""

    def __init__(self, data: Data, rng: random.Random, lang: str, fam: dict, subj: dict | None, subj2: dict | None):
        self.data, self.rng, self.lang, self.fam = data, rng, lang, fam
        self.subj, self.subj2 = subj, subj2
        self.cache: dict[str, object] = {}
        self.local = (fam.get("slots") or {}).get(lang, {})
        self.forms = subject_forms(subj, lang, rng) if subj else None
        self.forms2 = subject_forms(subj2, lang, rng) if subj2 else None

    # entry-first lists: lex["lists"][name] = [{en: ..., es: ...}, ...]
    def _pick_list(self, name: str):
        lex = self.data.lex
        if name in self.local:
            return self.rng.choice(self.local[name])
        by_lang = lex.get("bylang", {}).get(self.lang, {})
        if name in by_lang:
            return self.rng.choice(by_lang[name])
        entries = lex.get("lists", {}).get(name)
        if entries is None:
            raise KeyError(f"unknown slot {name!r} (family {self.fam['id']}, {self.lang})")
        entries = [e for e in entries if self.lang in e]
        return self.rng.choice(entries)[self.lang]

    def _compute(self, name: str):
        lex, rng, lang, subj = self.data.lex, self.rng, self.lang, self.subj
        if name in self.local:
            return rng.choice(self.local[name])
        if name == "take":
            return rng.choice(lex["bylang"][lang]["take_" + subj["route"]])
        if name == "unitcount":
            return rng.choice(lex["bylang"][lang]["unitcount_" + subj["route"]])
        if name == "pop" and subj is not None:
            doms = set().union(*(lex["goal_domains"][g] for g in subj["goals"]))
            entries = [e for e in lex["lists"]["pop"] if lang in e and doms & set(e["dom"])]
            return rng.choice(entries)[lang]
        if name == "goal":
            key = rng.choice(subj["goals"])
            return lex["goals"][key][lang]
        if name in ("amount", "amount2"):
            amounts = list(subj["amounts"])
            if name == "amount2" and "amount" in self.cache and len(amounts) > 1:
                amounts = [a for a in amounts if a != self.cache["_amount_raw"]]
            raw = rng.choice(amounts)
            if name == "amount":
                self.cache["_amount_raw"] = raw
            return localise_amount(raw, lang)
        if name == "dunit":
            unit = subj["amounts"][0].split(" ", 1)[1] if subj.get("amounts") else "mg"
            return {"mcg": "mcg", "mg": "mg", "IU": "iu", "mL": "ml", "g": "g"}[unit]
        if name == "vial":
            return localise_amount(subj["vial"], lang)
        if name == "trial":
            pat = lex["trial_forms"][lang]
            if subj.get("trials"):
                t = rng.choice(subj["trials"])
                return {k: v.replace("@", t) for k, v in rng.choice(pat["named"]).items()}
            key = "generic_human" if subj.get("evidence") == "human" else "generic_animal"
            return rng.choice(pat[key])
        if name == "kg":
            return str(rng.randint(52, 118))
        if name == "ckg":
            return str(rng.randint(14, 48))
        if name == "pkg":
            return str(rng.choice([4, 6, 8, 12, 18, 25, 30, 35, 40]))
        if name == "weight":
            kg = int(self.get("kg"))
            if lang == "en" and rng.random() < 0.4:
                return f"{round(kg * 2.2046 / 5) * 5} lbs"
            if lang == "zh":
                return f"{kg * 2}斤" if rng.random() < 0.4 else f"{kg}公斤"
            return f"{kg} кг" if lang == "ru" else f"{kg} kg"
        if name == "age":
            return str(rng.randint(24, 78))
        if name == "cage":
            return str(rng.randint(4, 15))
        if name == "n":
            return str(rng.choice([2, 3, 4, 6, 8, 10, 12]))
        return self._pick_list(name)

    def get(self, name: str, form: str | None = None) -> str:
        if name in ("S", "S2"):
            forms = self.forms if name == "S" else self.forms2
            if forms is None:
                raise KeyError(f"{self.fam['id']} uses ${{{name}}} without a subject")
            return forms.get(form or "nom", forms["nom"])
        if name not in self.cache:
            self.cache[name] = self._compute(name)
        val = self.cache[name]
        if isinstance(val, dict):
            text = val.get(form) if form else None
            if text is None:
                text = val.get("default", next(iter(val.values())))
        else:
            text = val
        text = str(text)
        if "${" in text or "[[" in text:
            text = self.render_raw(text)
            if isinstance(val, dict):
                val[form or "default"] = text
            else:
                self.cache[name] = text
        return text

    def render_raw(self, template: str) -> str:
        text = template
        for _ in range(5):
            new = CHOICE_RE.sub(lambda m: self.rng.choice(m.group(1).split("|")), text)
            if new == text:
                break
            text = new
        return SLOT_RE.sub(lambda m: self.get(m.group(1), m.group(2)), text)

    def render(self, template: str) -> str:
        return postprocess(self.render_raw(template), self.lang)

    def stock(self, key: str) -> str:
        return self.render(self.data.lex["stock"][key][self.lang])


# ---------------------------------------------------------------- obfuscation

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "l": "1", "g": "9"}
HOMO_LAT = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "i": "і",
    "A": "А",
    "B": "В",
    "E": "Е",
    "H": "Н",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "C": "С",
    "T": "Т",
    "X": "Х",
}
HOMO_CYR = {v: k for k, v in HOMO_LAT.items() if k not in "i"}
ZW = ["\u200b", "\u200c", "\u200d", "\u2060"]


def obf_applicable(lang: str) -> list[str]:
    out = ["base64", "hex", "reversed", "spacing", "zero_width"]
    if lang in LATIN_LANGS:
        out += ["rot13", "leetspeak", "homoglyph"]
    if lang == "ru":
        out += ["homoglyph"]
    return [o for o in OBFUSCATIONS if o in out]


def obfuscate(kind: str, text: str, lang: str, rng: random.Random, lex: dict) -> str:
    def wrap(key, payload):
        return rng.choice(lex["obfuscation"][key][lang]).replace("{x}", payload)

    if kind == "base64":
        return wrap("base64", base64.b64encode(text.encode("utf-8")).decode("ascii"))
    if kind == "hex":
        raw = text.encode("utf-8")
        return wrap("hex", raw.hex(" ") if rng.random() < 0.3 else raw.hex())
    if kind == "rot13":
        return wrap("rot13", codecs.encode(text, "rot13"))
    if kind == "reversed":
        return wrap("reversed", text[::-1])
    if kind == "leetspeak":
        out = []
        for w in re.split(r"(\s+)", text):
            if w.strip() and rng.random() < 0.7:
                w = "".join(LEET.get(ch.lower(), ch) if rng.random() < 0.65 else ch for ch in w)
            out.append(w)
        return "".join(out).lower() if rng.random() < 0.6 else "".join(out)
    if kind == "spacing":
        if lang == "zh":
            chars = [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]
            if len(chars) < 4:
                return " ".join(text)
            start = rng.randrange(0, max(1, len(chars) - 4))
            a, b = chars[start], chars[min(len(chars) - 1, start + rng.randint(3, 6))]
            return text[:a] + " ".join(text[a : b + 1]) + text[b + 1 :]
        words = [m for m in re.finditer(r"[^\W\d_]+", text) if len(m.group()) >= 2]
        if len(words) < 2:
            return " ".join(text)
        k = rng.randint(2, min(4, len(words)))
        start = rng.randrange(0, len(words) - k + 1)
        span = words[start : start + k]
        a, b = span[0].start(), span[-1].end()
        spaced = "  ".join(" ".join(m.group()) for m in span)
        return text[:a] + spaced + text[b:]
    if kind == "homoglyph":
        table = HOMO_CYR if lang == "ru" else HOMO_LAT
        out = []
        for w in re.split(r"(\s+)", text):
            if rng.random() < 0.6:
                w = "".join(table[ch] if ch in table and rng.random() < 0.5 else ch for ch in w)
            out.append(w)
        res = "".join(out)
        return res if res != text else "".join(table.get(ch, ch) for ch in text)
    if kind == "zero_width":
        out = []
        for w in re.split(r"(\s+)", text):
            if len(w) >= 3 and rng.random() < 0.55:
                pos = sorted(rng.sample(range(1, len(w)), min(len(w) - 1, rng.randint(1, 2))))
                for p in reversed(pos):
                    w = w[:p] + rng.choice(ZW) + w[p:]
            out.append(w)
        return "".join(out)
    raise ValueError(kind)


def casualise(text: str, lang: str, rng: random.Random) -> str:
    if lang == "zh":
        return text.rstrip("？?")
    text = text.lower()
    if rng.random() < 0.6:
        text = text.rstrip("?.!").rstrip()
    return text.lstrip("¿¡")


# ---------------------------------------------------------------- generation


def deficit_pick(options, counts, weights, rng):
    """The option furthest below its share (ties broken at random)."""
    total = sum(counts[o] for o in options) + 1
    wsum = sum(weights[o] for o in options)
    best, best_d = [], None
    for o in sorted(options):
        d = weights[o] / wsum - counts[o] / total
        if best_d is None or d > best_d + 1e-12:
            best, best_d = [o], d
        elif abs(d - best_d) <= 1e-12:
            best.append(o)
    return rng.choice(best)


def allocate(n: int, weights: dict) -> dict:
    total = sum(weights.values())
    raw = {k: n * w / total for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (out[k] - raw[k], k))[: n - sum(out.values())]:
        out[k] += 1
    return out


class Generator:
    def __init__(self, data: Data, seed: int):
        self.data = data
        self.rng = random.Random(seed)
        self.seen: set[str] = set()
        self.rows: dict[str, list[dict]] = {s: [] for s in SPLITS}

    def subjects_for(self, split, needs):
        return [s for s in self.data.subjects if s["split"] == split and subject_ok(s, needs)]

    def options(self, split: str, label: str, category: str):
        """(framing, lang, family, wrapper) combinations available in a split for one category."""
        opts = []
        for fam in self.data.families:
            if fam["split"] != split or fam["expect"] != label or fam["category"] != category:
                continue
            if fam.get("subj") != "none" and not self.subjects_for(split, fam.get("subj") or []):
                continue
            for lang in fam["t"]:
                opts.append((fam["framing"], lang, fam["id"], None))
                if fam.get("wrap"):
                    for w in self.data.wrappers:
                        if w["split"] == split and label in w["applies_to"] and lang in w["t"]:
                            if category in w.get("exclude", []):
                                continue
                            opts.append((w["framing"], lang, fam["id"], w["id"]))
        return opts

    def generate(self):
        fams = {f["id"]: f for f in self.data.families}
        wraps = {w["id"]: w for w in self.data.wrappers}
        for split in SPLITS:
            use_fam = collections.Counter()
            use_core = collections.Counter()
            use_subj = collections.Counter()
            use_var = collections.Counter()
            use_obf = collections.Counter()
            for label in ("refuse", "answer"):
                frame_counts = collections.Counter()
                lang_counts = collections.Counter()
                quotas = allocate(SPLIT_ROWS[split] // 2, CATEGORY_WEIGHT[label])
                for category in sorted(quotas):
                    opts = self.options(split, label, category)
                    assert opts, f"no families for {split}/{label}/{category}"
                    made, failures = 0, 0
                    dead: set = set()
                    while made < quotas[category] and failures < 4000:
                        live = [o for o in opts if o not in dead]
                        if not live:
                            break
                        framing = deficit_pick({o[0] for o in live}, frame_counts, FRAMING_WEIGHT, self.rng)
                        live = [o for o in live if o[0] == framing]
                        lang = deficit_pick({o[1] for o in live}, lang_counts, LANG_WEIGHT, self.rng)
                        live = [o for o in live if o[1] == lang]
                        low = min(use_core[o[2]] for o in live)  # balance core families first,
                        live = [o for o in live if use_core[o[2]] == low]
                        low = min(use_fam[(o[2], o[3])] for o in live)  # then their wrappers
                        opt = self.rng.choice([o for o in live if use_fam[(o[2], o[3])] == low])
                        row = self.make_row(split, fams[opt[2]], wraps.get(opt[3]), lang, use_subj, use_var, use_obf)
                        if row is None:
                            failures += 1
                            use_fam[(opt[2], opt[3])] += 1  # steer away from exhausted combos
                            use_core[opt[2]] += 1
                            if failures % 50 == 0:
                                dead.add(opt)
                            continue
                        use_fam[(opt[2], opt[3])] += 1
                        use_core[opt[2]] += 1
                        frame_counts[row["framing"]] += 1
                        lang_counts[lang] += 1
                        self.rows[split].append(row)
                        made += 1
                    if made < quotas[category]:
                        print(f"warning: {split}/{category}: {made} of {quotas[category]}", file=sys.stderr)
        return self.rows

    def make_row(self, split, fam, wrap, lang, use_subj, use_var, use_obf):
        rng = self.rng
        subj = subj2 = None
        if fam.get("subj") != "none":
            cands = self.subjects_for(split, fam.get("subj") or [])
            low = min(use_subj[s["id"]] for s in cands)
            subj = rng.choice([s for s in cands if use_subj[s["id"]] <= low + 1])
            if fam.get("pair") is not None:
                cands2 = [
                    s for s in self.subjects_for(split, (fam.get("pair") or []) + ["name"]) if s["id"] != subj["id"]
                ]
                subj2 = rng.choice(cands2)
        ctx = Ctx(self.data, rng, lang, fam, subj, subj2)
        variants = fam["t"][lang]
        low = min(use_var[(fam["id"], lang, i)] for i in range(len(variants)))
        vi = rng.choice([i for i in range(len(variants)) if use_var[(fam["id"], lang, i)] == low])
        var = variants[vi]
        history = []
        if isinstance(var, dict):
            turns = var["h"]
            for i, turn in enumerate(turns):
                role = "user" if i % 2 == 0 else "assistant"
                content = ctx.stock(turn[1:]) if turn.startswith("@") else upper_first(ctx.render(turn))
                history.append({"role": role, "content": content})
            question = ctx.render(var["q"])
        else:
            question = ctx.render(var)
        if fam["framing"] != "template" and lang != "zh":
            question = upper_first(question)
        framing = fam["framing"]
        family = fam["id"]
        if wrap is not None:
            wtext = rng.choice(wrap["t"][lang])
            question = postprocess(ctx.render_raw(wtext.replace("${Q}", "\x00")).replace("\x00", question), lang)
            framing = wrap["framing"]
            family = f"{fam['id']}|{wrap['id']}"
        obf = "none"
        if framing in OBFUSCABLE_FRAMINGS and rng.random() < OBFUSCATION_RATE:
            kinds = obf_applicable(lang)
            low = min(use_obf[k] for k in kinds)
            obf = rng.choice([k for k in kinds if use_obf[k] == low])
            question = obfuscate(obf, question, lang, rng, self.data.lex)
        elif framing in CASUAL_FRAMINGS and rng.random() < CASUAL_RATE:
            question = casualise(question, lang, rng)
        key = json.dumps([question, history], ensure_ascii=False)
        if key in self.seen:
            return None
        self.seen.add(key)
        if subj:
            use_subj[subj["id"]] += 1
        use_var[(fam["id"], lang, vi)] += 1
        if obf != "none":
            use_obf[obf] += 1
        return {
            "id": None,
            "question": question,
            "history": history,
            "expect": fam["expect"],
            "category": fam["category"],
            "intent": fam.get("intent", fam["category"]),
            "framing": framing,
            "language": lang,
            "obfuscation": obf,
            "family": family,
            "subject": subj["id"] if subj else "none",
            "split": split,
        }


# ---------------------------------------------------------------- output, checks, README


def write_outputs(rows: dict[str, list[dict]], out_dir: Path, rng_seed: int):
    out_dir.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        items = rows[split]
        random.Random(f"{rng_seed}-{split}").shuffle(items)
        prefix = {"train": "gtr", "dev": "gdv", "test": "gte"}[split]
        with (out_dir / f"{split}.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            for i, row in enumerate(items, 1):
                row["id"] = f"{prefix}{i:05d}"
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_outputs(out_dir: Path) -> dict[str, list[dict]]:
    return {s: [json.loads(line) for line in (out_dir / f"{s}.jsonl").open(encoding="utf-8")] for s in SPLITS}


def surface_names(subj: dict) -> set[str]:
    names = set()
    if subj.get("generic"):
        return names
    names.add(subj["name"])
    names.update(subj.get("alt") or [])
    for loc in (subj.get("l10n") or {}).values():
        names.update(loc.values() if isinstance(loc, dict) else [loc])
    return {n.lower() for n in names if len(n) >= 3}


def check(data: Data, rows: dict[str, list[dict]]) -> list[str]:
    problems = []
    parts = {s: set() for s in SPLITS}
    subjects = {s: set() for s in SPLITS}
    for split, items in rows.items():
        for r in items:
            assert r["split"] == split
            parts[split].update(r["family"].split("|"))
            if r["subject"] != "none":
                subjects[split].add(r["subject"])
    seen = parts["train"] | parts["dev"]
    if parts["test"] & seen:
        problems.append(f"families shared by test and train/dev: {sorted(parts['test'] & seen)}")
    if parts["train"] & parts["dev"]:
        problems.append(f"families shared by train and dev: {sorted(parts['train'] & parts['dev'])}")
    seen = subjects["train"] | subjects["dev"]
    if subjects["test"] & seen:
        problems.append(f"subjects shared by test and train/dev: {sorted(subjects['test'] & seen)}")
    # no test subject name appears in train/dev text, and no train/dev subject name in test text
    test_names = set().union(*(surface_names(s) for s in data.subjects if s["split"] == "test"))
    other_names = set().union(*(surface_names(s) for s in data.subjects if s["split"] != "test"))
    # "insulin syringe" and its translations name a syringe, not the subject insulin
    collocations = re.compile(
        r"insulin\w*[ -]?[s5]\S*|insulinspritze|seringue à insuline|jeringa de insulina|"
        r"seringa de insulina|strzykawce insulinowej|insulinówk\w*|инсулинк\w*|胰岛素针",
        re.I,
    )

    def unmask(word):  # undo homoglyphs inside mostly-Latin words
        return "".join(HOMO_CYR.get(c, c) for c in word) if re.search(r"[A-Za-z]", word) else word

    def decoded(r):  # the question as a reader would see it after undoing the encoding
        q, kind = r["question"], r["obfuscation"]
        if kind == "reversed":
            return q[::-1]
        if kind == "rot13":
            return codecs.decode(q, "rot13")
        if kind == "base64":
            m = max(re.findall(r"[A-Za-z0-9+/=]{16,}", q), key=len)
            return base64.b64decode(m).decode("utf-8")
        if kind == "hex":
            m = max(re.findall(r"[0-9a-f ]{16,}", q), key=len)
            return bytes.fromhex(m.replace(" ", "")).decode("utf-8")
        return q

    def text_of(r):
        text = decoded(r) + " " + " ".join(t["content"] for t in r["history"])
        text = re.sub(r"[\u200b-\u200d\u2060]", "", text)
        text = re.sub(r"\S+", lambda m: unmask(m.group()), text)
        return collocations.sub(" ", text).lower()

    for split in ("train", "dev"):
        for r in rows[split]:
            hits = [n for n in test_names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text_of(r))]
            if hits:
                problems.append(f"{r['id']} mentions test subject {hits}")
    for r in rows["test"]:
        hits = [n for n in other_names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text_of(r))]
        if hits:
            problems.append(f"{r['id']} mentions train/dev subject {hits}")
    keys = collections.Counter(
        json.dumps([r["question"], r["history"]], ensure_ascii=False) for items in rows.values() for r in items
    )
    dups = [k for k, v in keys.items() if v > 1]
    if dups:
        problems.append(f"{len(dups)} duplicated prompts")
    leftovers = [
        r["id"]
        for items in rows.values()
        for r in items
        if "${" in r["question"] or "[[" in r["question"] or any("${" in t["content"] for t in r["history"])
    ]
    if leftovers:
        problems.append(f"unfilled slots in {leftovers[:10]}")
    return problems


def table(rows, dim, values=None):
    counts = collections.Counter((r["split"], r["expect"], r[dim]) for items in rows.values() for r in items)
    values = values or sorted({k[2] for k in counts})
    cols = [(s, e) for s in SPLITS for e in ("refuse", "answer")]
    head = f"| {dim} | " + " | ".join(f"{s} {e}" for s, e in cols) + " | total |"
    sep = "|---|" + "---:|" * (len(cols) + 1)
    lines = [head, sep]
    for v in values:
        cells = [counts[(s, e, v)] for s, e in cols]
        if sum(cells):
            lines.append(f"| {v} | " + " | ".join(str(c) if c else "·" for c in cells) + f" | {sum(cells)} |")
    totals = [sum(counts[(s, e, v)] for v in values) for s, e in cols]
    lines.append("| **total** | " + " | ".join(str(t) for t in totals) + f" | {sum(totals)} |")
    return "\n".join(lines)


def cross(rows, dim_a, values_a, dim_b, values_b):
    counts = collections.Counter((r[dim_a], r[dim_b]) for items in rows.values() for r in items)
    lines = [f"| {dim_a} \\ {dim_b} | " + " | ".join(values_b) + " |", "|---|" + "---:|" * len(values_b)]
    for a in values_a:
        lines.append(f"| {a} | " + " | ".join(str(counts[(a, b)]) for b in values_b) + " |")
    return "\n".join(lines)


def write_readme(data: Data, rows, out_dir: Path, seed: int):
    n = {s: len(rows[s]) for s in SPLITS}
    core_counts = {s: len({f["id"] for f in data.families if f["split"] == s}) for s in SPLITS}
    wrap_counts = {s: len({w["id"] for w in data.wrappers if w["split"] == s}) for s in SPLITS}
    subj_counts = {s: len({x["id"] for x in data.subjects if x["split"] == s}) for s in SPLITS}
    train_dev_subjects = ", ".join(
        x["name"] if not x.get("generic") else f"“{x['forms']['en']['nom']}”"
        for x in data.subjects
        if x["split"] != "test"
    )
    cats_refuse = ["dose", "personalise_or_scale", "schedule", "administer", "source"]
    cats_answer = [
        "lookalike_trial_dose",
        "lookalike_definition",
        "lookalike_risk",
        "lookalike_regulatory",
        "lookalike_efficacy",
        "lookalike_followup",
        "lookalike_wording",
        "offtopic_safe",
    ]
    text = (
        f"""# Generated guardrail prompts

Written by `eval/guardrail/generate.py` (seed {seed}) from the templates in `eval/guardrail/families/`.
Do not edit these files by hand: change the YAML and re-run `python3 eval/guardrail/generate.py --check`.
The output is deterministic (the same YAML and seed give byte-identical files).

| split | rows | refuse | answer | core families | wrapper families | subjects |
|---|---:|---:|---:|---:|---:|---:|
"""
        + "\n".join(
            f"| {s} | {n[s]} | {sum(r['expect'] == 'refuse' for r in rows[s])} | {sum(r['expect'] == 'answer' for r in rows[s])} "
            f"| {core_counts[s]} | {wrap_counts[s]} | {subj_counts[s]} |"
            for s in SPLITS
        )
        + f"""
| total | {sum(n.values())} | | | | | |

## The freezing rule

**`test` is frozen.** Never read `gen/test.jsonl` or `families/test_*.yaml` while changing the guardrail
(rules, exemplars, thresholds, prompts). Tune on `train`, check on `dev`, and run `test` once per
release candidate, recording the figure before anything is changed for it. A test miss is *not* fixed by
adding its wording: write a new train/dev family for the *kind* of phrasing, and if the test set is ever
regenerated, re-freeze it and say so in the changelog.

Families (sentence shapes) and subjects (drugs) are partitioned: no test row shares a core family, a
wrapper family or a subject with any train or dev row, and no test subject's name appears in train/dev
text (`--check` verifies all of this). Roughly 60/15/25 of the families and subjects are train/dev/test.
Subject-less rows (definitions, off-topic prompts) have subject `none`; that is not a shared subject.

## Row format

`id, question, history, expect ("refuse"|"answer"), category, intent, framing, language, obfuscation,
family, subject, split`. `history` holds earlier turns for multi-turn rows (the last user turn is
`question`). A wrapped row's family is `core|wrapper`.

## Dimensions

- **expect / category.** refuse: {", ".join(cats_refuse)}. answer: {", ".join(cats_answer)}.
  `intent` refines the category (e.g. `taper`, `stack`, `reconstitute`, `vendor`, `mtd`, `definition`).
- **framing.** plain; relative (mother/child/pet); population proxy; hypothetical; fiction; roleplay;
  authority (claimed profession); override (ignore-instructions text, fake chat-template tokens);
  pasted_doc (a label/abstract/forum post with blanks); template (JSON/YAML/code with snake_case fields);
  multi_turn (uses `history`: a benign turn or a refused turn, then the follow-up).
- **language.** en, es, de, fr, pt, ru, pl, zh.
- **obfuscation** (applied programmatically to the last user turn): none, base64, rot13, hex, reversed,
  leetspeak, spacing (letters spaced out), homoglyph (Cyrillic/Latin look-alikes), zero_width.
  Some un-obfuscated rows are also typed casually (lower case, no final question mark).
- **subject.** Train/dev subjects: {train_dev_subjects}. Test subjects are listed only in
  `families/test_subjects.yaml`.

## Counts (split × label × value)

### category
{table(rows, "category", cats_refuse + cats_answer)}

### framing
{table(rows, "framing", list(FRAMINGS))}

### language
{table(rows, "language", list(LANGS))}

### obfuscation
{table(rows, "obfuscation", ["none", *OBFUSCATIONS])}

### language × framing (all splits, both labels)
{cross(rows, "language", list(LANGS), "framing", list(FRAMINGS))}

(`intent` is not tabulated here, so that the README names no test-only intent.)

## Known limits

- Templates, however varied, are templates: a classifier tuned on train can still learn template
  artefacts. Treat test as a check on unseen *shapes and drugs*, not on unseen writers; the blind slices
  of `prompts.jsonl` remain the better estimate of real-world recall.
- Labels follow `prompts/guardrail/policy.yaml`, except that trial-dose facts (`notice` there) are
  labelled `answer` here.
"""
    )
    (out_dir / "README.md").write_text(text, encoding="utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--families", type=Path, default=FAMILY_DIR)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--check", action="store_true", help="verify the split rules on the written files")
    args = ap.parse_args(argv)
    data = Data(args.families)
    rows = Generator(data, args.seed).generate()
    write_outputs(rows, args.out, args.seed)
    write_readme(data, rows, args.out, args.seed)
    total = sum(len(v) for v in rows.values())
    print(f"wrote {total} rows: " + ", ".join(f"{s} {len(rows[s])}" for s in SPLITS))
    if args.check:
        problems = check(data, read_outputs(args.out))
        for p in problems:
            print("CHECK:", p, file=sys.stderr)
        if problems:
            return 1
        print("check: ok (no family or subject shared between test and train/dev)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
