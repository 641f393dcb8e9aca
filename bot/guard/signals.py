"""The general layer under the named rules: who a question is about, what it asks for, and which domain.

Named rules (patterns.py) catch the request shapes we have seen; people find new ones every day. This
layer reads three independent signals from the plain text and refuses on their combination, so a new
phrasing is caught when it is *about the asker* (or someone they care for) or *asks for an instruction or
a choice*, and it lies in the dosing, self-administration or sourcing domain. A question about risk,
legality or evidence that merely mentions those words passes unless it also asks for an instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE
KIN = r"(?:mom|mum|mother|dad|father|parents?|grand(?:ad|dad|pa|ma|mother|father|parents?)|nan|nana|wife|husband|partner|spouse|son|daughter|kids?|child(?:ren)?|baby|brother|sister|cousin|aunt|uncle|friend|boyfriend|girlfriend|dog|cat|pet|patient|client)s?"
ASKER = re.compile(
    rf"\b(?:i|i'm|im|i'd|i'll|i've|ive|me|my|myself|mine|we|we're|our|ourselves)\b|\bfor (?:him|her|them)\b|\b(?:he|she)(?:'s| is)? \d+\b|\b{KIN}\b(?=[^?.!]{{0,60}}\b(?:should|would|could|can|needs?|takes?|use|be on|get|give)\b)|\b(?:of|for) (?:a |an |my )?\d+[- ]?(?:year|yr|y)[- ]?old\b",
    _I,
)
INSTRUCT = re.compile(
    r"\b(?:tell|give|show|walk|talk|guide|teach|help|send|write|list) (?:me|us|him|her|them|your \w+)\b|\b(?:pick|choose|decide|calculate|convert|scale|adapt|adjust|translate|extrapolate|work out|figure out)\b"
    r"|\bwhich (?:one|of (?:those|these|them|the \w+))\b|\b(?:go with|stick with|settle on|be on)\b|\bis that what\b|\bwhat (?:do|should|would|can|could|must) (?:i|we|he|she|they|you) (?:give|use|take|do|ask|write|say|add|buy|order|get|put|mix|inject)\b"
    r"|\bhow (?:do|can|should|would|could|to|does one|would one|do you|would you) (?:i |we |he |she |they |you |one |someone |somebody |a person )?(?:\w+ )?(?:make|set up|prepare|mix|dilute|inject|give|administer|take|dose|use|get|order|buy|import|ship|mail|store|draw|add|put|run|cycle|stack)\b"
    r"|\b(?:exact|exactly|precise|specific) (?:number|dose|amount|figure|line|dosage|rate|protocol|schedule)\b|\bwhich (?:\w+ ){0,2}(?:is|are|would be|'s) (?:safest|best|better|easiest|least painful|right)\b"
    r"|\b(?:right|correct|ok|okay|fine|yeah)\s*\?*\s*$|\bi guess\s*\?*\s*$|\bwho(?:'s| is| are)? (?:still )?(?:selling|sells|shipping|stocking)\b"
    # templates to fill ("___ mg", JSON nulls), choices between amounts, step-by-step requests, tips and workarounds
    r"|_{2,}|\bnull\b|\bfill (?:in|out)\b|\bnumbers only\b|\b\d+(?:[.,]\d+)? ?(?:mg|ml|mcg|µg)? or \d+|\b(?:each|every) step\b|\bstep[- ]by[- ]step\b|\bin detail\b|\bmedically accurate\b"
    r"|\b(?:do|would|did|will) you (?:put|give|use|recommend|suggest|start|run|prescribe|have)\b|\b(?:any |some )?tips?\b|\bworkaround\b|\bhow would (?:they|he|she|someone|one) (?:time|space|split|combine|stack|schedule)\b"
    r"|\bwhich (?:\w+ ){0,2}(?:sites?|websites?|shops?|vendors?|suppliers?|labs?|pharmac\w+|brands?|sources?)\b|\bneed a link\b|\bam i (?:good|ok|okay|fine|safe) to\b|\bkeep going\b",
    _I,
)
DOSE = re.compile(
    r"\b(?:dose|doses|dosages?|dosing|dosed|amounts?|strengths?|concentrations?|regimens?|protocols?|schedules?|titrat\w*|cycles?|courses?)\b|\b\d+(?:[.,]\d+)?\s?(?:ml|mg|mcg|µg|iu|units?|%|mg/kg|mcg/kg)\b|\bper (?:kg|kilo\w*|pound|day|week)\b"
    r"|\bhow (?:many|much|often|long)\b|\b(?:lower|higher|smaller|bigger|lowest|highest|low|high|middle) (?:one|end|dose|amount|strength)\b|\bthe (?:\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?%) one\b|\b(?:a|per|each) (?:day|week)\b|\btwice\b|\bonce (?:a|per|daily)\b|\binfusion rate\b|\bloading\b|\bstack\w*\b|\bwhat (?:dose|amount|dosage) (?:of \S+ )?(?:for|to)\b|\b(?:exact|specific|precise) (?:number|figure|amount)\b|\b(?:trial|dose|dosing) range\b",
    _I,
)
ADMIN = re.compile(
    r"\b(?:inject\w*|injectable|iv|intravenous\w*|intramuscular\w*|im|sub-?q|subcutaneous\w*|drip|cannula\w*|cannulat\w*|gauge|needles?|syringes?|muscles?|glutes?|thigh|belly|delts?|vein|"
    r"dilut\w*|reconstitut\w*|dissolv\w*|water|saline|spray bottle|nasal spray|nostril|ampoules?|vials?|powder|fridge|refrigerat\w*|self-?administ\w*|jab|pin|shoot)\b",
    _I,
)
SOURCE = re.compile(
    r"\b(?:buy\w*|order\w*|purchas\w*|ship\w*|mail\w*|post it|customs|pharmac(?:y|ies)|apteka|sell\w*|sold|vendors?|suppliers?|sellers?|shops?|stores?|sites?|websites?|links?|plug|cop|import\w*|source|sourcing|workaround|get (?:it|them|some) (?:here|over|shipped|sent|delivered)|"
    r"get hold|cheap\w*|price|cost|compounders?|dealer|dark ?web|telegram|group buy)\b",
    _I,
)
RISK = re.compile(
    r"\b(?:risk\w*|danger\w*|harm\w*|safe|safety|unsafe|side effects?|adverse|legal\w*|illegal|allowed|approved|approval|licensed|banned|regulat\w*|evidence|studies|trials?|why|what happens|tested|contaminat\w*|purity|fake|counterfeit|warn\w*|flag\w*|interact\w*|infect\w*|signs?|symptoms?|worried|worry|overdos\w*|emergency|allerg\w*|anaphyla\w*|reaction\w*)\b",
    _I,
)
# Someone else's past or a trial's facts: "did the trials use", "were patients given".
DESCRIBE = re.compile(
    r"\b(?:did|were|was|had) (?:the |they |patients |participants |researchers |doctors |trials? |studies |it )?(?:\w+ )?(?:use|used|give|given|get|got|receive|received|dose|dosed|administer\w*|inject\w*|test\w*|study|studied|report\w*)\b|\b(?:trial|study|studies|trials|rcts?|casta|cars|cochrane|researchers|investigators|literature|meta-analys\w*|doctors|nurses|clinicians|physicians|hospitals?)\b|\bused (?:in|across|by)\b",
    _I,
)
# The asker as the one the amount is for: "fine for me", "the one for him", "mine", "should I".
TARGET = re.compile(
    r"\b(?:for|to) (?:me|myself|him|her|us|them|my \w+|mine)\b|\b(?:mine|my dose|my amount)\b|\bi (?:take|use|do|go|start|inject|run|give)\b|\b(?:i'?ve|i have) been (?:taking|using|running|injecting|on)\b|\bam i (?:good|ok|okay|fine|safe)\b|\bshould (?:i|he|she|we|they)\b|\bwork for (?:me|him|her)\b",
    _I,
)
# The same, in the other languages the site's readers write in.
FOREIGN_TARGET = re.compile(
    r"\b(?:pour (?:moi|mon|ma|mes)|je peux|puis-je|para (?:a |o )?(?:m[ií]|mim|mi \w+|minha|meu)|pra mim|puedo|posso|devo|per me|per mi[oa]|f[üu]r (?:mich|meine?n?)|kann ich|darf ich|sollte (?:ich|mein\w*)|soll (?:ich|mein\w*))\b|(?:мне|для меня|можно ли)",
    _I,
)
FOREIGN_DOSE = re.compile(
    r"\b(?:dosis|dose|dosi|dosierung|posolog\w*|menge|cantidad|quantit\w*|pareil|lo mismo|o mesmo|lo stesso|dasselbe|wie ?viel|wie lange|t[äa]glich|quanto|quanta|cu[aá]nto|combien|reduzir|reducir|r[ée]duire)\b|доз\w*|сколько",
    _I,
)
_NUMBER_DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(?:ml|mg|mcg|µg|iu|units?|%)\b|\bthe (?:lower|higher|smaller|bigger|\d+(?:[.,]\d+)?%?) (?:one|end)\b|\bthat (?:dose|amount|strength)\b",
    _I,
)


THIRD_PARTY = re.compile(
    r"\bhow (?:do|does|did|would|should|are|is|was|were) (?:the )?(?:doctors?|nurses?|clinicians?|physicians?|hospitals?|clinics?|trials?|studies|researchers?|paramedics|staff)\b",
    _I,
)


@dataclass(frozen=True)
class Signal:
    category: str
    reason: str


def read(text: str) -> Signal | None:
    """A refusal when the signals combine into a request for personal dosing, administration or sourcing."""
    asker = bool(ASKER.search(text))
    instruct = bool(INSTRUCT.search(text))
    risk = bool(RISK.search(text))
    describe = bool(DESCRIBE.search(text))
    if FOREIGN_TARGET.search(text) and (FOREIGN_DOSE.search(text) or _NUMBER_DOSE.search(text)):
        return Signal("personalization", "a trial amount, for the asker (in another language)")
    if DOSE.search(text):
        # A named amount for the asker ("is 30 mL fine for my mum?") is personal even inside a safety question.
        if _NUMBER_DOSE.search(text) and TARGET.search(text):
            return Signal("personalization", "a specific amount, for the asker")
        if instruct and (asker or not describe):
            return Signal("dosing", "asks for an amount, as an instruction")
        if asker and not risk and not describe:
            return Signal("dosing", "asks about an amount for the asker")
    if ADMIN.search(text) and not (THIRD_PARTY.search(text) and not asker):
        if instruct and (asker or not describe):
            return Signal("self_administration", "asks how to administer it")
        if asker and not risk and not describe and re.search(r"\b(?:how|where|which|what)\b", text, _I):
            return Signal("self_administration", "asks how the asker should administer it")
    legal_route = bool(re.search(r"\bprescri\w*", text, _I)) and not re.search(
        r"\b(?:without|w/o|no|skip|around|bez|sin|sans|ohne|senza|sem|без)\b", text, _I
    )
    if SOURCE.search(text) and not legal_route:
        if instruct and not (risk and not asker):
            return Signal("sourcing", "asks how or where to get it")
        if asker and not risk and re.search(r"\b(?:how|where|which|who|what|can|could)\b", text, _I):
            return Signal("sourcing", "asks where the asker can get it")
    return None
