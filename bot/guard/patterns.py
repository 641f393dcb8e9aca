"""Deterministic rules for the refuse categories of prompts/guardrail/policy.yaml.

Rules look for the *shape of a personal request* (who should take, inject or buy what), not for words:
"what dose did CASTA use?" and "is self-injecting risky?" mention doses and injections but ask about
evidence, so they pass; "how much should I take?" is refused however it is spelled or framed. They run on
text already cleaned by normalize.plain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

W = r"[^?.!;]{0,60}?"  # a short stretch of the same clause
PERSON = r"(?:i|i'm|im|i am|we|me|myself|my \w+|one|someone|a person|a \d+ ?(?:kg|lb|lbs|pound)s? \w+|an? (?:adult|man|woman|beginner|athlete))"
TAKE = r"(?:take|taking|use|using|inject|injecting|dose|dosing|run|running|give|giving|get|administer|put|apply|cycle|stack|start|try|spray|drop|pin|do)"
DOSE_NOUN = r"(?:dose|doses|dosage|dosages|dosing|amount|amounts|protocol|regimen|schedule|cycle|stack|titrat\w*|mg|mcg|µg|ml|milligrams?|micrograms?|units?|drops?|sprays?|vials?|iu)"
UNIT_NUMBER = r"\d+(?:[.,]\d+)? ?(?:ml|mg|mcg|µg|iu|units?|drops?|milligrams?|micrograms?)\b"
SELF = r"(?:for me|for myself|for my \w+|for him|for her|to me|on me|on myself|me personally|my own)"
JUDGE = r"(?:starting|beginner|typical|good|right|best|max|maximum|optimal|ideal|safe|effective|proper|correct|recommended|usual|normal|standard|exact|perfect|sensible|reasonable)"
HOWTO = r"(?:how (?:do|can|could|should|would|to|does one|do you|would you|would one|must)|walk me through|explain how|show me how|teach me|tell me how|step by step|instructions? (?:for|on|to)|guide (?:to|for|on))"
ADMIN = r"(?:inject\w*|reconstitut\w*|dilut\w*|draw (?:it |them )?up|drawing up|mix\w*|store|storing|administer\w*|push\w*|pin\w*|shoot\w*|give (?:myself|it to myself)|put (?:it|them|drops?) (?:in|into|up)|self-?inject\w*|iv at home|home iv)"
BUY = r"(?:buy|buying|purchase|order|ordering|get hold of|get|find|source|obtain|import|importing|score|pick up|ship|shipped)"
SHOP = r"(?:vendor|supplier|seller|shop|store|website|site|pharmacy|dealer|lab|labs|source|online store|web ?shop)s?"


NOT = r"(?!\s*(?:won'?t|will not|don'?t|do not|never|not|am not|'m not|wouldn'?t|would not|can'?t|cannot)\b)"


@dataclass(frozen=True)
class Rule:
    category: str
    name: str
    pattern: re.Pattern[str]
    needs_dose_context: bool = False  # fires only when doses are in the message or the conversation


def _r(category: str, name: str, pattern: str, needs_dose_context: bool = False) -> Rule:
    return Rule(category, name, re.compile(pattern, re.IGNORECASE), needs_dose_context)


RULES: list[Rule] = [
    # -- dosing: how much / how often / which dose, for the asker or someone they care for
    _r("dosing", "how-much-should-person", rf"\bhow (?:much|many|often|long|frequently){W}\b(?:should|shall|do|can|could|would|must|to|ought|need){W}\b{PERSON}?{W}\b{TAKE}\b"),
    _r("dosing", "how-much-for-person", rf"\bhow (?:much|many){W}\b(?:per (?:kg|kilo\w*|pound|day|week)|{SELF}|a day should)"),
    _r("dosing", "judged-dose", rf"(?<!\bat )(?<!\bat the )(?<!\bat a )(?<!\bon the )(?<!\bwith the )\b{JUDGE}(?: [\w-]+){{0,2}} {DOSE_NOUN}\b(?!{W}\b(?:in|for|of) (?:the )?(?:trials?|studies|study|casta|cars)\b)"),
    _r("dosing", "dose-given-to-me", rf"\b{DOSE_NOUN}\b{W}\b(?:give|prescribe|recommend|suggest|put)\s+(?:me|us|him|her|my \w+)\b|\b(?:would|will|do|can|could) you (?:give|prescribe|recommend|suggest)\b{W}\b{DOSE_NOUN}\b"),
    _r("dosing", "dose-person-should", rf"\b{DOSE_NOUN}\b{W}\b(?:i|we|he|she|they|you|my \w+) (?:should|must|need to|ought to|have to|would need to) {TAKE}\b"),
    _r("dosing", "dose-for-self", rf"\b{DOSE_NOUN}\b{W}\b{SELF}"),
    _r("dosing", "should-person-dose-noun", rf"\b(?:should|shall|must|can|could|would|do) (?:i|we|my \w+|he|she){W}\b{DOSE_NOUN}\b"),
    _r("dosing", "what-dose-should", rf"\b(?:what|which)\b{W}\b{DOSE_NOUN}\b{W}\b(?:should|shall|must|do|can|could|would) (?:i|we|my \w+|he|she|a \w+|an \w+)\b"),
    _r("dosing", "should-i-take-drug", rf"\b(?:should|can|could|shall) (?:i|we|my \w+) (?:take|use|inject|try|start|run|cycle|stack|give)\b(?!{W}\bseriously\b)(?!{W}\b(?:from|away from)\b)"),
    _r("dosing", "cycle-on-off", r"\b(?:weeks?|days?|months?) on\b|\bon[ -]and[ -]off\b|\bon/off\b|\bpct\b"),
    _r("dosing", "give-me-protocol", rf"\b(?:give|tell|send|write) (?:me|us)\b{W}\b(?:protocol|regimen|dosing|dose|dosage|schedule|right amount|cycle|stack)\b"),
    _r("dosing", "how-to-titrate", rf"\b{HOWTO}{W}\b(?:titrat\w*|dose|dosing|taper\w*|cycle|stack)\b"),
    _r("dosing", "stack-with", r"\bstack\w*\b.{0,40}\bwith\b|\bwhat (?:should|can|do) i stack\b"),
    # -- personalisation: a trial's dose turned into the asker's plan
    _r("personalization", "i-will-take-that", rf"\b(?:i'll|ill|i will|i'm going to|im going to|i am going to|gonna|i plan to|i want to|let me|i'd|then i|so i|if i)\b{NOT}{W}\b(?:take|use|do|inject|follow|copy|try|start|give|run)\b", needs_dose_context=True),
    _r("personalization", "fine-for-me", rf"\b(?:fine|ok|okay|safe|right|good|enough|too much|too little|suitable|work|suit|appropriate|alright)\b{W}\b{SELF}", needs_dose_context=True),
    _r("personalization", "suit-me", r"\b(?:suit|suits|work for|right for|okay for|ok for|safe for) (?:me|myself|my \w+)\b", needs_dose_context=True),
    _r("personalization", "copy-trial", rf"\b(?:copy|follow|replicate|mirror|do the same|use the same|take the same)\b{W}\b(?:trial|protocol|dose|that|they|casta|cars|study|same)\b"),
    _r("personalization", "same-dose-personally", r"\b(?:same|that|this) (?:dose|amount|protocol|schedule)\b.{0,30}\b(?:me|myself|personally|my \w+)\b|\bme personally\b|\bfor me personally\b"),
    _r("personalization", "if-i-weigh", rf"\bif i (?:weigh|am|'m|do|did|took|take|use|used|inject)\b{W}\b(?:dose|ml|mg|mcg|trial|casta|cars|that|ok|safe|should)\b"),
    # -- self-administration: how to inject, mix, dilute, draw up or store it oneself
    _r("self_administration", "howto-admin", rf"\b{HOWTO}{W}\b{ADMIN}\b"),
    _r("self_administration", "can-i-inject", rf"\b(?:can|should|do|could|may|would) (?:i|we|you|one)\b{W}\b(?:inject|reconstitute|dilute|draw|mix|store|push|pin|shoot)\b(?!{W}\b(?:cause|risk\w*|danger\w*|harm\w*|safe)\b)"),
    _r("self_administration", "where-inject", rf"\bwhere (?:should|do|can|to|would) (?:i |you |one )?(?:inject|pin|shoot|put)\b|\b(?:injection|inject) site\b(?:{W}\b(?:for|near|best|should)\b)"),
    _r("self_administration", "needle", r"\b(?:with|using|by|via) (?:a |an |the |my )?(?:needle|syringe|jab)s?\b|\bgive\b.{0,40}\b(?:needle|syringe|jab)s?\b"),
    _r("self_administration", "kit", r"\b(?:bacteriostatic water|bac water|insulin syringe|needle (?:size|gauge|length)|gauge needle|what needle|which needle|reconstitut\w*|subq|sub-q|sub q)\b"),
    _r("self_administration", "self-route", rf"\b(?:giving|give|inject\w*|administer\w*|push\w*) (?:it |this |cerebrolysin |bpc\S* |semax |selank )?(?:to |into |in )?(?:myself|my (?:vein|arm|thigh|belly|stomach|muscle|butt|glute|knee|elbow|shoulder))\b|\b(?:home iv|iv at home|at-home iv)\b"),
    _r("self_administration", "how-long-mixed", rf"\bhow long\b{W}\b(?:last|keep|stable|good)\b{W}\b(?:mix|reconstitut|fridge|vial)\w*|\bonce i (?:mix|reconstitute|open)\b"),
    # -- sourcing: where to buy, vendors, import, no prescription
    _r("sourcing", "where-buy", rf"\bwhere\b{W}\b{BUY}\b"),
    _r("sourcing", "which-shop", rf"\b(?:which|what|any|recommend\w*|best|legit|legitimate|reliable|reputable|trusted|trustworthy|good|cheap\w*|real|safe)\b{W}\b{SHOP}\b(?!{W}\b(?:risk\w*|danger\w*|test\w*|regulat\w*)\b)"),
    _r("sourcing", "shop-for-product", rf"\b{SHOP} (?:for|that (?:sells?|has|have|stocks?|ships?)|selling|with)\b(?!{W}\b(?:risk\w*|danger\w*|test\w*|regulat\w*)\b)"),
    _r("sourcing", "howto-buy", rf"\b{HOWTO}{W}\b(?:buy|order|import|get|obtain|source|ship|smuggle|purchase)\b"),
    _r("sourcing", "no-prescription", r"\b(?:without|w/o|no|skip the) (?:a )?(?:prescription|script|rx|doctor'?s? note)\b"),
    _r("sourcing", "deals", r"\b(?:discount|coupon|promo(?:tion)? code|voucher|group buy|ships to|ship to|shipping to|past customs|through customs|over the counter|otc)\b"),
    _r("sourcing", "sells", r"\b(?:sells?|selling|stocks?|carries)\b.{0,30}\b(?:cerebrolysin|semax|selank|bpc\S*|peptides?)\b"),
    # -- other languages: the same three requests in Spanish, French, German, Portuguese, Italian, Russian
    _r("dosing", "es-dosing", r"\b(?:debo|deber[ií]a|tengo que|puedo)\b.{0,30}\b(?:tomar|usar|ponerme|aplicarme)\b|\b(?:qu[eé]|cu[aá]nta) dosis\b.{0,40}\b(?:debo|deber[ií]a|tomar|para m[ií])\b|\bcu[aá]nt[oa]s?\b.{0,30}\bdebo\b"),
    _r("dosing", "fr-dosing", r"\b(?:dois-je|devrais-je|je dois|faut-il que je|puis-je)\b.{0,30}\b(?:prendre|utiliser|m'injecter|injecter)\b|\bquelle dose\b.{0,40}\b(?:dois|devrais|prendre|pour moi)\b|\bcombien\b.{0,30}\b(?:dois-je|je dois|prendre)\b"),
    _r("dosing", "de-dosing", r"\b(?:soll|sollte|muss|kann|darf) ich\b.{0,40}\b(?:nehmen|einnehmen|spritzen|injizieren|verwenden)\b|\bwie ?viel\b.{0,40}\b(?:soll|sollte|muss) ich\b|\bwelche dosis\b"),
    _r("dosing", "pt-it-dosing", r"\b(?:devo|deveria|dovrei|posso)\b.{0,30}\b(?:tomar|usar|prendere|usare|injetar|iniettare|aplicar)\b|\bqual dose\b.{0,30}\b(?:devo|tomar)\b|\bquanto\b.{0,30}\b(?:devo|dovrei)\b"),
    _r("dosing", "ru-dosing", r"(?:доз\w*|сколько)[^?.]{0,40}(?:мне|принимать|колоть|пить|нужно|надо)|(?:мне|мой|моя)[^?.]{0,30}(?:доз\w*)"),
    _r("self_administration", "es-admin", r"\bc[oó]mo\b.{0,20}\b(?:me )?(?:inyect\w*|aplic\w*|pongo|reconstitu\w*|diluy\w*)\b"),
    _r("self_administration", "fr-admin", r"\bcomment\b.{0,30}\b(?:injecter|m'injecter|s'injecter|piquer|reconstituer|diluer)\b"),
    _r("self_administration", "de-admin", r"\b(?:wie|wo)\b.{0,30}\b(?:spritze|injiziere|spritzen|injizieren)\b"),
    _r("self_administration", "pt-it-admin", r"\bcome\b.{0,30}\biniett\w*|\bcomo\b.{0,30}\b(?:aplicar|injetar|inje[cç][aã]o)\b"),
    _r("self_administration", "ru-admin", r"(?:как)[^?.]{0,30}(?:уколоть|колоть|ввести|вводить|инъекц\w*|развести)"),
    _r("sourcing", "es-pt-it-buy", r"\b(?:d[oó]nde|onde|dove)\b.{0,40}\b(?:comprar|conseguir|pedir|encomendar|comprare|acquistare|ordinare)\b"),
    _r("sourcing", "fr-buy", r"\bo[uù]\b.{0,30}\b(?:acheter|commander|trouver|se procurer)\b"),
    _r("sourcing", "de-buy", r"\bwo\b.{0,40}\b(?:kaufen|bestellen|bekommen|besorgen)\b"),
    _r("sourcing", "ru-buy", r"(?:где|как)[^?.]{0,40}(?:купить|заказать|достать|приобрести)"),
]

# Asking about danger, legality or evidence is the allowed look-alike of these requests.
RISK_QUESTION = re.compile(
    r"\b(?:risk\w*|danger\w*|harm\w*|safe(?:ty)?|unsafe|side effects?|legal\w*|illegal|allowed|approved|banned|regulat\w*|evidence|studies|trials?|why|what happens|tested|contaminat\w*|purity)\b",
    re.IGNORECASE,
)
# Rules whose match is a how-to/where-to request stand even inside a risk question
# ("how do I inject it safely?"); the looser ones give way to a risk question.
FIRM = {
    "how-much-should-person", "how-much-for-person", "dose-for-self", "what-dose-should", "give-me-protocol", "how-to-titrate",
    "i-will-take-that", "fine-for-me", "suit-me", "same-dose-personally", "howto-admin", "where-inject", "kit", "self-route",
    "how-long-mixed", "needle", "where-buy", "howto-buy", "no-prescription", "deals", "if-i-weigh", "dose-person-should", "dose-given-to-me",
}
# Descriptive questions about what trials used: answered, with the trial-dose notice.
TRIAL_DOSE = re.compile(
    r"\b(?:dose|doses|dosage|dosing|dosed|amount|ml|mg|route|infusion|intravenous\w*|iv|course|how long|how many days|how soon|schedule|protocol|given|administered|dilut\w*|saline|duration|treat\w* for)\b"
    r"|\bdosis\b|\bdoses?\b",
    re.IGNORECASE,
)
TRIAL_CONTEXT = re.compile(r"\b(?:trials?|stud(?:y|ies)|casta|cars|cochrane|patients|research|russia\w*|ensayo|essai|studie)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    category: str
    rule: str
    text: str


DOSE_CONTEXT = re.compile(rf"{UNIT_NUMBER}|\b{DOSE_NOUN}\b|\b(?:casta|cars|trial|protocol)\b", re.IGNORECASE)


def match(text: str, dose_context: bool = False) -> Match | None:
    """The first refuse rule the (normalised) text matches, unless it is a risk question matched only loosely.

    `dose_context` says the conversation has been about doses, so "I'll take that" refers to one.
    """
    risk = bool(RISK_QUESTION.search(text))
    doses = dose_context or bool(DOSE_CONTEXT.search(text))
    for rule in RULES:
        if rule.needs_dose_context and not doses:
            continue
        m = rule.pattern.search(text)
        if m is None:
            continue
        if risk and rule.name not in FIRM and not rule.name.startswith(("es-", "fr-", "de-", "pt-", "ru-")):
            continue
        return Match(rule.category, rule.name, m.group(0))
    return None


def asks_trial_doses(text: str) -> bool:
    return bool(TRIAL_DOSE.search(text) and TRIAL_CONTEXT.search(text))
