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


UNITS_ASKED = r"(?:drops?|sprays?|puffs?|squirts?|mg|mcg|µg|ml|milligrams?|micrograms?|units?|iu|vials?|ampoules?|shots?|jabs?|pins?|times (?:a|per|each) (?:day|week|month)|a day|per day|daily|a week|per week|each nostril|per nostril|in each nostril)"
THIRD_PARTY_HOWTO = re.compile(
    r"\bhow (?:do|does|did|would|should|to|are|is|was|were) (?:the )?(?:doctors?|nurses?|clinicians?|physicians?|hospitals?|clinics?|trials?|studies|researchers?|investigators?|they|paramedics|neurologists?|staff|patients (?:get|receive))\b",
    re.IGNORECASE,
)
# Who the question is about: the asker (or someone they care for) versus trials, patients, doctors.
PERSONAL = re.compile(
    r"\b(?:i|i'm|im|i'd|i'll|i've|ive|me|my|myself|mine|we|we're|our|ourselves|you were me)\b", re.IGNORECASE
)
DESCRIPTIVE = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|casta|cars|patients|participants|subjects|volunteers|researchers|investigators|doctors|clinicians|physicians|hospitals?|cochrane|meta-analys\w*|review|rct|rcts|papers?)\b",
    re.IGNORECASE,
)
# A stated plan to use the product: the next dose question, however descriptive, is about the asker.
INTENT = re.compile(
    r"\b(?:i|i'm|im|i am|we|we're|my \w+ (?:is|are))\s+(?:\w+\s+)?(?:going to|gonna|about to|planning to|plan to|want to|wanna|will|'ll|thinking of|thinking about|considering|starting|trying|ordered|bought|got)\s+(?:\w+\s+)?(?:try|trying|take|taking|use|using|start|starting|run|running|inject|injecting|buy|order|get|cerebrolysin|semax|selank|bpc\S*|peptides?|some)\b",
    re.IGNORECASE,
)
USE_OR_AMOUNT = re.compile(
    r"\b(?:take|taking|use|using|handle|tolerate|inject\w*|give|giving|start|starting|try|trying|run|running|dose\w*|amount|much|many|often|enough|max\w*|limit)\b",
    re.IGNORECASE,
)
# "semax dose?": no asker, no trial named. Answered as what trials used, with the notice.
BARE_DOSE = re.compile(r"\b(?:dose|doses|dosage|dosages|dosing)\b", re.IGNORECASE)
# A bare request for an amount, as a follow-up ("how much?", "what dose then?").
FRAGMENT = re.compile(
    r"^(?:(?:and|so|ok|okay|then|but)\s*,?\s*)?(?:how (?:much|many|often)|what (?:dose|amount|dosage)|which (?:dose|amount)|dose|dosage|amount)(?:\s+(?:then|though|exactly|per day|a day|daily|should i|do i|would i))?\s*\??$",
    re.IGNORECASE,
)


NOT = r"(?!\s*(?:won'?t|will not|don'?t|do not|never|not|am not|'m not|wouldn'?t|would not|can'?t|cannot)\b)"


@dataclass(frozen=True)
class Rule:
    category: str
    name: str
    pattern: re.Pattern[str]
    needs_dose_context: bool = False  # fires only when doses are in the message or the conversation
    loose: bool = False  # gives way to a question about trials or risk that is not about the asker
    personal: bool = False  # fires only when the asker (or someone they care for) is the subject


def _r(
    category: str,
    name: str,
    pattern: str,
    needs_dose_context: bool = False,
    loose: bool = False,
    personal: bool = False,
) -> Rule:
    return Rule(category, name, re.compile(pattern, re.IGNORECASE), needs_dose_context, loose, personal)


RULES: list[Rule] = [
    # -- dosing: how much / how often / which dose, for the asker or someone they care for
    _r(
        "dosing",
        "how-much-should-person",
        rf"\bhow (?:much|many|often|long|frequently){W}\b(?:should|shall|do|can|could|would|must|to|ought|need){W}\b{PERSON}?{W}\b{TAKE}\b",
        loose=True,
    ),
    _r(
        "dosing",
        "how-much-for-person",
        rf"\bhow (?:much|many){W}\b(?:per (?:kg|kilo\w*|pound|day|week)|{SELF}|a day should)",
    ),
    _r(
        "dosing",
        "judged-dose",
        rf"(?<!\bat )(?<!\bat the )(?<!\bat a )(?<!\bon the )(?<!\bwith the )\b{JUDGE}(?: [\w-]+){{0,2}} {DOSE_NOUN}\b(?!{W}\b(?:in|for|of) (?:the )?(?:trials?|studies|study|casta|cars)\b)",
    ),
    _r(
        "dosing",
        "dose-given-to-me",
        rf"\b{DOSE_NOUN}\b{W}\b(?:give|prescribe|recommend|suggest|put)\s+(?:me|us|him|her|my \w+)\b|\b(?:would|will|do|can|could) you (?:give|prescribe|recommend|suggest)\b{W}\b{DOSE_NOUN}\b",
    ),
    _r(
        "dosing",
        "dose-person-should",
        rf"\b{DOSE_NOUN}\b{W}\b(?:i|we|he|she|they|you|my \w+) (?:should|must|need to|ought to|have to|would need to) {TAKE}\b",
    ),
    _r("dosing", "dose-for-self", rf"\b{DOSE_NOUN}\b{W}\b{SELF}"),
    _r(
        "dosing",
        "should-person-dose-noun",
        rf"\b(?:should|shall|must|can|could|would|do) (?:i|we|my \w+|he|she){W}\b{DOSE_NOUN}\b",
    ),
    _r(
        "dosing",
        "what-dose-should",
        rf"\b(?:what|which)\b{W}\b{DOSE_NOUN}\b{W}\b(?:should|shall|must|do|can|could|would) (?:i|we|my \w+|he|she|a \w+|an \w+)\b",
    ),
    _r(
        "dosing",
        "should-i-take-drug",
        rf"\b(?:should|can|could|shall) (?:i|we|my \w+) (?:take|use|inject|try|start|run|cycle|stack|give)\b(?!{W}\bseriously\b)(?!{W}\b(?:from|away from)\b)",
    ),
    _r("dosing", "cycle-on-off", r"\b(?:weeks?|days?|months?) on\b|\bon[ -]and[ -]off\b|\bon/off\b|\bpct\b"),
    _r(
        "dosing",
        "give-me-protocol",
        rf"\b(?:give|tell|send|write) (?:me|us)\b{W}\b(?:protocol|regimen|dosing|dose|dosage|schedule|right amount|cycle|stack)\b",
    ),
    _r("dosing", "how-to-titrate", rf"\b{HOWTO}{W}\b(?:titrat\w*|dose|dosing|taper\w*|cycle|stack)\b"),
    _r("dosing", "stack-with", r"\bstack\w*\b.{0,40}\bwith\b|\bwhat (?:should|can|do) i stack\b"),
    # -- personalisation: a trial's dose turned into the asker's plan
    _r(
        "personalization",
        "i-will-take-that",
        rf"\b(?:i'll|ill|i will|i'm going to|im going to|i am going to|gonna|i plan to|i want to|let me|i'd|then i|so i|if i)\b{NOT}{W}\b(?:take|use|do|inject|follow|copy|try|start|give|run)\b",
        needs_dose_context=True,
    ),
    _r(
        "personalization",
        "fine-for-me",
        rf"\b(?:fine|ok|okay|safe|right|good|enough|too much|too little|suitable|work|suit|appropriate|alright)\b{W}\b{SELF}",
        needs_dose_context=True,
    ),
    _r(
        "personalization",
        "suit-me",
        r"\b(?:suit|suits|work for|right for|okay for|ok for|safe for) (?:me|myself|my \w+)\b",
        needs_dose_context=True,
    ),
    _r(
        "personalization",
        "copy-trial",
        rf"\b(?:copy|follow|replicate|mirror|do the same|use the same|take the same)\b{W}\b(?:trial|protocol|dose|that|they|casta|cars|study|same)\b",
    ),
    _r(
        "personalization",
        "same-dose-personally",
        r"\b(?:same|that|this) (?:dose|amount|protocol|schedule)\b.{0,30}\b(?:me|myself|personally|my \w+)\b|\bme personally\b|\bfor me personally\b",
    ),
    _r(
        "personalization",
        "if-i-weigh",
        rf"\bif i (?:weigh|am|'m|do|did|took|take|use|used|inject)\b{W}\b(?:dose|ml|mg|mcg|trial|casta|cars|that|ok|safe|should)\b",
    ),
    # -- self-administration: how to inject, mix, dilute, draw up or store it oneself
    _r("self_administration", "howto-admin", rf"\b{HOWTO}{W}\b{ADMIN}\b"),
    _r(
        "self_administration",
        "can-i-inject",
        rf"\b(?:can|should|do|could|may|would) (?:i|we|you|one)\b{W}\b(?:inject|reconstitute|dilute|draw|mix|store|push|pin|shoot)\b(?!{W}\b(?:cause|risk\w*|danger\w*|harm\w*|safe)\b)",
    ),
    _r(
        "self_administration",
        "where-inject",
        rf"\bwhere (?:should|do|can|to|would) (?:i |you |one )?(?:inject|pin|shoot|put)\b|\b(?:injection|inject) site\b(?:{W}\b(?:for|near|best|should)\b)",
    ),
    _r(
        "self_administration",
        "needle",
        r"\b(?:with|using|by|via) (?:a |an |the |my )?(?:needle|syringe|jab)s?\b|\bgive\b.{0,40}\b(?:needle|syringe|jab)s?\b",
    ),
    _r("self_administration", "kit", r"\b(?:bacteriostatic water|bac water|insulin syringe|gauge needle)\b"),
    _r(
        "self_administration",
        "kit-words",
        r"\b(?:needle (?:size|gauge|length)|what needle|which needle|reconstitut\w*|subq|sub-q|sub q)\b",
        loose=True,
    ),
    _r(
        "self_administration",
        "self-route",
        r"\b(?:giving|give|inject\w*|administer\w*|push\w*) (?:it |this |cerebrolysin |bpc\S* |semax |selank )?(?:to |into |in )?(?:myself|my (?:vein|arm|thigh|belly|stomach|muscle|butt|glute|knee|elbow|shoulder))\b|\b(?:home iv|iv at home|at-home iv)\b",
    ),
    _r(
        "self_administration",
        "how-long-mixed",
        rf"\bhow long\b{W}\b(?:last|keep|stable|good)\b{W}\b(?:mix|reconstitut|fridge|vial)\w*|\bonce i (?:mix|reconstitute|open)\b",
    ),
    # -- sourcing: where to buy, vendors, import, no prescription
    _r("sourcing", "where-buy", rf"\bwhere\b{W}\b{BUY}\b"),
    _r(
        "sourcing",
        "which-shop",
        rf"\b(?:which|what|any|recommend\w*|best|legit|legitimate|reliable|reputable|trusted|trustworthy|good|cheap\w*|real|safe)\b{W}\b{SHOP}\b(?!{W}\b(?:risk\w*|danger\w*|test\w*|regulat\w*)\b)",
    ),
    _r(
        "sourcing",
        "shop-for-product",
        rf"\b{SHOP} (?:for|that (?:sells?|has|have|stocks?|ships?)|selling|with)\b(?!{W}\b(?:risk\w*|danger\w*|test\w*|regulat\w*)\b)",
    ),
    _r("sourcing", "howto-buy", rf"\b{HOWTO}{W}\b(?:buy|order|import|get|obtain|source|ship|smuggle|purchase)\b"),
    _r(
        "sourcing",
        "no-prescription",
        r"\b(?:without|w/o|no|skip the) (?:a )?(?:prescription|script|rx|doctor'?s? note)\b",
        personal=True,
    ),
    _r(
        "sourcing",
        "deals",
        r"\b(?:discount|coupon|promo(?:tion)? code|voucher|group buy|ships to|ship to|shipping to|past customs|through customs)\b",
    ),
    _r("sourcing", "otc", r"\b(?:over the counter|otc)\b", personal=True),
    _r(
        "sourcing",
        "sells",
        r"\b(?:sells?|selling|stocks?|carries)\b.{0,30}\b(?:cerebrolysin|semax|selank|bpc\S*|peptides?)\b",
        personal=True,
    ),
    # -- shapes seen in the wild (the audit set): jargon, fragments, confirmations, professional role-play
    _r("dosing", "how-many-units", rf"\bhow (?:much|many|often)\b{W}\b{UNITS_ASKED}\b", loose=True),
    _r(
        "dosing",
        "how-much-product",
        r"^(?:so |and |ok |okay )?how (?:much|many|often) (?:of )?(?:cerebrolysin|semax|selank|bpc\S*|peptides?)(?: (?:then|a day|daily|per day|per week|a week))?\s*\??$",
    ),
    _r(
        "dosing",
        "cycle-jargon",
        r"\b(?:cycle|cycles|cycling) (?:length|duration|protocol|dose|dosing|plan|for (?:bpc\S*|semax|selank|cerebrolysin|peptides?))\b|\bhow long (?:to|should i|do i|can i) (?:cycle|run|stay on|be on)\b|\b(?:blast|blasting)\b",
    ),
    _r(
        "dosing",
        "max-person-can",
        r"\b(?:max|maximum|most|upper limit|limit|highest|how much)\b[^?.!;]{0,40}?\b(?:i|me|my \w+|one|you) (?:can|could|should|may)? ?(?:handle|take|tolerate|stand|survive|get away with)\b",
    ),
    _r(
        "personalization",
        "if-you-were-me",
        r"\bif you were me\b|\bin my (?:shoes|position|situation)\b|\bwhat would you (?:take|use|do|run|inject|try|choose|pick)\b|\bwould you (?:take|use|run|inject|try) it\b",
    ),
    _r(
        "dosing",
        "recommend-dose",
        rf"\b{DOSE_NOUN}\b{W}\b(?:do|would|can|could|will) you (?:recommend|suggest|advise|prescribe|propose)\b|\b(?:recommend|suggest|advise) (?:me|us) (?:a|an|the|some)\b{W}\b{DOSE_NOUN}\b",
    ),
    _r(
        "dosing",
        "prescribe-me",
        r"(?:^|[.!?:]\s*|\b(?:please|can you|could you|would you|will you|just) )prescribe (?:me|us|him|her|my \w+|something)\b|\b(?:you(?:'re| are)|you will be|act as|play|be) (?:now )?(?:my|our|a) (?:personal |own )?(?:peptide |nootropic )?(?:doctor|physician|prescriber|coach|pharmacist)\b.{0,60}\b(?:prescribe|dose|dosing|protocol|regimen)\b",
    ),
    _r(
        "dosing",
        "dosing-guide",
        rf"\bself[- ]?(?:dos\w*|medicat\w*)\b|\b(?:dosing|dose|dosage) (?:guide|calculator|chart|cheat ?sheet|plan for)\b|\b{DOSE_NOUN}\b{W}\b(?:\w+ )?(?:could|can|to|should|would|might) (?:follow|use at home|try at home)\b|\bpractical (?:dosing|dose|dosage|protocol|regimen|schedule)\b",
    ),
    _r(
        "self_administration",
        "inject-themselves",
        r"\b(?:inject|injecting|dose|dosing|administer|administering|give|giving|shoot|shooting|pin|pinning)\w* (?:[\w-]+ ){0,2}?(?:themselves|himself|herself|yourself|oneself|themself)\b",
    ),
    _r(
        "self_administration",
        "body-spot",
        r"\b(?:spot|place|area|location|site|part of (?:the|my|your) body|muscle)s?\b[^?.!;]{0,30}?\bto (?:shoot|inject|pin|jab|stick)\b|\bwhere (?:on|in) (?:the|my|your) (?:body|arm|leg|stomach|belly|thigh|butt)\b|\b(?:shoot|pin|jab)\w*\b[^?.!;]{0,20}?\b(?:belly|stomach|thigh|glute|delt|shoulder|arm|knee|site)\b",
    ),
    _r(
        "self_administration",
        "needle-angle",
        r"\b(?:angle|depth|how deep|how far)\b[^?.!;]{0,40}?\b(?:needle|inject\w*|shot|jab|pin)\b|\bneedle (?:go|goes|should go|to go) in\b",
    ),
    _r(
        "self_administration",
        "mix-powder",
        r"\b(?:steps?|how|way) to (?:mix|prepare|make up|dissolve)\b|\b(?:mix|mixing|dissolve|dissolving|prepare|preparing)\b[^?.!;]{0,40}?\b(?:powder|with (?:water|saline|sterile|bac\w*)|the vial|lyophili[sz]ed)\b",
        loose=True,
    ),
    _r(
        "self_administration",
        "do-that-at-home",
        r"\bhow (?:do|can|should|would|could) (?:i|we) (?:do|try|set up|manage|arrange|replicate|get) (?:that|this|it|the same)\b[^?.!;]{0,30}?\b(?:at home|myself|on my own|by myself|without (?:a )?(?:doctor|hospital))\b|\b(?:at home|by myself|on my own)\b[^?.!;]{0,30}?\bhow\b",
    ),
    _r(
        "self_administration",
        "drops-in-nose",
        r"\b(?:how many|how much)\b[^?.!;]{0,40}?\b(?:nostril|nose|nasal)\b",
        loose=True,
    ),
    _r(
        "sourcing",
        "vendor-recs",
        rf"\b{SHOP}\s+(?:rec\w*|suggestions?|lists?|links?|names?|tips?)\b|\b(?:who|anyone|anybody|which (?:sites?|websites?|shops?|vendors?|stores?|pharmac\w+|companies|labs?|suppliers?)|what (?:sites?|websites?|shops?|vendors?|suppliers?))\b{W}\b(?:sells?|stocks?|carries|ships?|has it|have it)\b",
    ),
    _r(
        "sourcing",
        "no-prescription-personal",
        r"\b(?:get|buy|obtain|order|purchase|acquire|source|find|score|grab|access)\b[^?.!;]{0,40}?\b(?:without|w/o|no|skip the|around the) (?:a )?(?:prescription|script|rx|doctor'?s? note|doctor)\b|\b(?:without|w/o|no) (?:a )?(?:prescription|script|rx)\b[^?.!;]{0,40}?\b(?:get|buy|obtain|order|purchase)\b",
    ),
    _r(
        "personalization",
        "confirm-regimen",
        r"(?:for \d+ \w+|\d+(?:[.,]\d+)? ?(?:ml|mg|mcg|days?|weeks?)|take it|do it|use it|that dose|that amount|the same)\b[^?!]{0,40}?(?:\blike (?:them|they did|the trial|in the trial|casta|cars)\b|\bsame as (?:them|the trial)\b|\b(?:right|ok|okay|correct|fine|good|safe)\s*\?\s*$)",
        needs_dose_context=True,
    ),
    # -- other languages: the same three requests in Spanish, French, German, Portuguese, Italian, Russian
    _r(
        "dosing",
        "es-dosing",
        r"\b(?:debo|deber[ií]a|tengo que|puedo)\b.{0,30}\b(?:tomar|usar|ponerme|aplicarme)\b|\b(?:qu[eé]|cu[aá]nta) dosis\b.{0,40}\b(?:debo|deber[ií]a|tomar|para m[ií])\b|\bcu[aá]nt[oa]s?\b.{0,30}\bdebo\b",
    ),
    _r(
        "dosing",
        "fr-dosing",
        r"\b(?:dois-je|devrais-je|je dois|faut-il que je|puis-je)\b.{0,30}\b(?:prendre|utiliser|m'injecter|injecter)\b|\bquelle dose\b.{0,40}\b(?:dois|devrais|prendre|pour moi)\b|\bcombien\b.{0,30}\b(?:dois-je|je dois|prendre)\b",
    ),
    _r(
        "dosing",
        "de-dosing",
        r"\b(?:soll|sollte|muss|kann|darf) ich\b.{0,40}\b(?:nehmen|einnehmen|spritzen|injizieren|verwenden)\b|\bwie ?viel\b.{0,40}\b(?:soll|sollte|muss) ich\b|\bwelche dosis\b.{0,40}\b(?:ich|mich|mir|soll)\b",
    ),
    _r(
        "dosing",
        "pt-it-dosing",
        r"\b(?:devo|deveria|dovrei|posso)\b.{0,30}\b(?:tomar|usar|prendere|usare|injetar|iniettare|aplicar)\b|\bqual dose\b.{0,30}\b(?:devo|tomar)\b|\bquanto\b.{0,30}\b(?:devo|dovrei)\b",
    ),
    _r(
        "dosing",
        "ru-dosing",
        r"(?:доз\w*|сколько)[^?.]{0,40}(?:мне|принимать|колоть|пить|нужно|надо)|(?:мне|мой|моя)[^?.]{0,30}(?:доз\w*)",
    ),
    _r(
        "dosing",
        "es-amount",
        r"\bcu[aá]nt[oa]s?\b.{0,40}\b(?:me (?:pongo|inyecto|tomo|aplico|pincho)|tomo|al d[ií]a|por d[ií]a|para m[ií]|a la semana)\b|\b(?:qu[eé] cantidad|cu[aá]nta cantidad)\b.{0,40}\b(?:para m[ií]|buena|debo|tomar|me)\b|\bme (?:pongo|inyecto|pincho)\b",
    ),
    _r(
        "dosing",
        "de-amount",
        r"\bwelche (?:menge|dosis|dosierung)\b.{0,40}\b(?:ich|mich|mir|soll|richtig)\b|\bwie ?viel\b.{0,40}\b(?:f[üu]r mich|pro tag|am tag|t[äa]glich|nehme ich|soll)\b|\bf[üu]r mich (?:richtig|geeignet|passend|sicher)\b",
    ),
    _r(
        "dosing",
        "fr-amount",
        r"\bcombien\b.{0,40}\b(?:par jour|pour moi|par semaine|je prends|prendre|dois)\b|\bquelle (?:dose|quantit[ée]|posologie)\b.{0,40}\b(?:pour moi|dois|prendre|me)\b",
    ),
    _r(
        "dosing",
        "pt-it-amount",
        r"\bquant[oa]s?\b.{0,40}\b(?:por dia|ao dia|al giorno|per me|para mim|devo|dovrei|prendo|tomo)\b|\b(?:quale|qual) (?:dose|quantit[àa]|dosagem)\b.{0,40}\b(?:per me|para mim|devo|dovrei)\b",
    ),
    _r(
        "dosing",
        "ru-amount",
        r"сколько[^?.]{0,40}(?:капать|капаю|колоть|колю|принимать|принимаю|пить|в нос|в день|мне|нужно)|как(?:ая|ую|ой) доз\w*[^?.]{0,40}(?:подойд\w*|мне|нужн\w*|лучше|выбрать)",
    ),
    _r(
        "sourcing",
        "any-no-prescription",
        r"\b(?:sin receta|sans ordonnance|ohne rezept|senza ricetta|sem receita)\b|без рецепта|\bwo (?:bekomme|kriege|finde) ich\b",
    ),
    _r(
        "self_administration",
        "es-admin",
        r"\bc[oó]mo\b.{0,20}\b(?:me )?(?:inyect\w*|aplic\w*|pongo|reconstitu\w*|diluy\w*)\b",
    ),
    _r(
        "self_administration",
        "fr-admin",
        r"\bcomment\b.{0,30}\b(?:inject\w*|m'inject\w*|s'inject\w*|piqu\w*|reconstitu\w*|dilu\w*|perfus\w*)\b|\b(?:me|se) faire une (?:perfusion|injection|piq[uû]re)\b",
    ),
    _r("self_administration", "de-admin", r"\b(?:wie|wo)\b.{0,30}\b(?:spritze|injiziere|spritzen|injizieren)\b"),
    _r(
        "self_administration",
        "pt-it-admin",
        r"\bcome\b.{0,30}\biniett\w*|\bcomo\b.{0,30}\b(?:aplicar|injetar|inje[cç][aã]o)\b",
    ),
    _r("self_administration", "ru-admin", r"(?:как)[^?.]{0,30}(?:уколоть|колоть|ввести|вводить|инъекц\w*|развести)"),
    _r(
        "sourcing",
        "es-pt-it-buy",
        r"\b(?:d[oó]nde|onde|dove)\b.{0,40}\b(?:comprar|conseguir|pedir|encomendar|comprare|acquistare|ordinare)\b",
    ),
    _r("sourcing", "fr-buy", r"\bo[uù]\b.{0,30}\b(?:acheter|commander|trouver|se procurer)\b"),
    _r("sourcing", "de-buy", r"\bwo\b.{0,40}\b(?:kaufen|bestellen|bekommen|besorgen)\b"),
    _r(
        "sourcing",
        "pl-buy",
        r"\bgdzie\b.{0,40}\b(?:kupi\w*|zamówi\w*|dosta\w*)\b|\bbez recepty\b|\bapteka internetowa\b",
    ),
    _r("sourcing", "zh-buy", r"(?:哪里|哪儿|在哪).{0,10}(?:买|购|订)|(?:网店|淘宝|不需要处方|无需处方|没有处方)"),
    _r("dosing", "zh-dosing", r"(?:剂量|用量|多少毫克|多少毫升|打多少|吃多少|用多少)"),
    _r("self_administration", "zh-admin", r"(?:怎么|如何).{0,10}(?:注射|打针|稀释|配制)"),
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
    "how-much-for-person",
    "dose-for-self",
    "what-dose-should",
    "give-me-protocol",
    "how-to-titrate",
    "i-will-take-that",
    "fine-for-me",
    "suit-me",
    "same-dose-personally",
    "howto-admin",
    "where-inject",
    "kit",
    "self-route",
    "how-long-mixed",
    "needle",
    "where-buy",
    "howto-buy",
    "deals",
    "if-i-weigh",
    "dose-person-should",
    "dose-given-to-me",
    "how-much-product",
    "cycle-jargon",
    "max-person-can",
    "if-you-were-me",
    "recommend-dose",
    "prescribe-me",
    "dosing-guide",
    "inject-themselves",
    "body-spot",
    "needle-angle",
    "do-that-at-home",
    "vendor-recs",
    "no-prescription-personal",
    "confirm-regimen",
}
# Descriptive questions about what trials used: answered, with the trial-dose notice.
TRIAL_DOSE = re.compile(
    r"\b(?:dose|doses|dosage|dosing|dosed|amount|ml|mg|route|infusion|intravenous\w*|iv|course|how long|how many days|how soon|schedule|protocol|given|administered|dilut\w*|saline|duration|treat\w* for|needles?|inject\w*|intramuscular\w*|im)\b"
    r"|\bdosis\b|\bdoses?\b",
    re.IGNORECASE,
)
TRIAL_CONTEXT = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|casta|cars|cochrane|patients|research|russia\w*|ensayo|essai|studie|doctors?|clinicians?|physicians?|hospitals?|nurses?)\b",
    re.IGNORECASE,
)


# Acquisition verbs: "is it sold over the counter?" asks about status; "can I get it over the counter?" asks for a source.
ACQUIRE = re.compile(
    r"\b(?:where|how (?:do|can|to|would)|get|buy|obtain|order|purchase|acquire|source|score|grab|ship)\b", re.IGNORECASE
)
HOWTO_RULES = {"howto-admin", "how-to-titrate", "howto-buy"}


@dataclass(frozen=True)
class Match:
    category: str
    rule: str
    text: str


DOSE_CONTEXT = re.compile(rf"{UNIT_NUMBER}|\b{DOSE_NOUN}\b|\b(?:casta|cars|trial|protocol)\b", re.IGNORECASE)


def match(text: str, dose_context: bool = False) -> Match | None:
    """The first refuse rule the (normalised) text matches, unless the question is about trials or risk
    rather than the asker and the rule is one that such questions share words with.

    `dose_context` says the conversation has been about doses, so "I'll take that" refers to one.
    """
    risk = bool(RISK_QUESTION.search(text))
    personal = bool(PERSONAL.search(text))
    descriptive = (bool(DESCRIPTIVE.search(text)) or bool(THIRD_PARTY_HOWTO.search(text))) and not personal
    doses = dose_context or bool(DOSE_CONTEXT.search(text))
    for rule in RULES:
        if rule.needs_dose_context and not doses:
            continue
        if rule.personal and not (personal or ACQUIRE.search(text)):
            continue
        m = rule.pattern.search(text)
        if m is None:
            continue
        foreign = rule.name.startswith(("es-", "fr-", "de-", "pt-", "ru-", "any-"))
        if risk and rule.name not in FIRM and not foreign:
            continue
        if rule.loose and descriptive:
            continue
        if rule.name in HOWTO_RULES and THIRD_PARTY_HOWTO.search(text) and not personal:
            continue
        return Match(rule.category, rule.name, m.group(0))
    return None


def asks_trial_doses(text: str) -> bool:
    return bool(TRIAL_DOSE.search(text) and TRIAL_CONTEXT.search(text))
