"""The evidence the injection check weighs: patterns, the words that gate them, and the cue vocabulary.

Kept apart from the scorer in ``injection.py`` because it is data: adding a phrasing means adding a rule
here, with a test case in ``tests/data/injection_labelled.jsonl``. Patterns run on lower-cased text
(``case_sensitive`` rules on the original). A rule runs only when its trigger words (and, when it has them,
one of its ``requires`` words) are in the text, and it is tried only where one of its lead words stands
when it has those, so a benign text costs a few set look-ups per rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inloop.checks.text import word_set


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern and what its match is evidence of."""

    key: str
    label: str
    weight: float
    pattern: re.Pattern[str]
    triggers: frozenset[str] = frozenset()
    substrings: tuple[str, ...] = ()
    requires: frozenset[str] = frozenset()
    """Words of which one must also be present: the rarer half of the pattern, so it runs less often."""
    leads: frozenset[str] = frozenset()
    """Words every match starts with: the pattern is tried only where they stand, not at every character."""
    imperative: bool = False
    """Discount the match unless it is a command (sentence start, "please", "you must", "I want you to")."""
    case_sensitive: bool = False

    def applies(self, low: str, vocabulary: set[str]) -> bool:
        """Whether the rule can match in ``low`` at all, judged from its words."""
        if self.requires and vocabulary.isdisjoint(self.requires):
            return False
        if not vocabulary.isdisjoint(self.triggers):
            return True
        if not self.substrings:
            return not self.triggers
        ascii_only = low.isascii()
        return any(s in low for s in self.substrings if not ascii_only or s.isascii())


def _rule(
    key: str,
    label: str,
    weight: float,
    pattern: str,
    triggers: str = "",
    substrings: tuple[str, ...] = (),
    *,
    imperative: bool = False,
    case_sensitive: bool = False,
) -> Rule:
    return Rule(
        key,
        label,
        weight,
        re.compile(pattern, re.VERBOSE if "\n" in pattern else 0),
        frozenset(triggers.split()),
        substrings,
        word_set(_REQUIRES.get(key, "")),
        word_set(_LEADS.get(key, "")),
        imperative,
        case_sensitive,
    )


_TARGET_WORDS = (
    "instruction instructions rule rules guideline guidelines "
    "directive directives direction directions prompt "
    "prompts programming guardrail guardrails restriction "
    "restrictions constraint constraints policy policies "
    "filter filters safeguard safeguards limitation limitations training command commands order orders task "
    "tasks assignment assignments guidance context conversation input text message messages information "
    "content request requests configuration"
)
_STRICT_WORDS = (
    "instruction instructions rule rules guideline guidelines "
    "directive directives prompt prompts programming "
    "guardrail guardrails restriction restrictions constraint constraints safeguard safeguards training "
    "configuration"
)
_LIMIT_WORDS = (
    "restrictions limits limitations filters censorship rules "
    "ethics morals guidelines principles constraints "
    "boundaries training policy policies programming measures alignment moderation unfiltered uncensored "
    "unrestricted amoral machiavellian jailbroken unhinged refuses refuse laws safeguards restricciones "
    "filtros censura límites einschränkungen filter regeln zensur restriction restrictions filtre censure"
)
_VERB_LEADS = (
    "ignore ignoring disregard forget skip bypass override "
    "overwrite drop discard abandon neglect overlook set "
    "put throw cancel erase delete clear reset scrap wipe "
    "dismiss ditch nevermind never pay let do don stop no"
)
_LEADS = {
    "override": _VERB_LEADS,
    "override_target_first": _VERB_LEADS,
    "override_yours": _VERB_LEADS,
    "override_everything": _VERB_LEADS,
    "override_what_told": _VERB_LEADS,
    "break_your_rules": "break violate bend ignore disregard forget "
    "bypass circumvent override overrule escape "
    "disable deactivate turn switch get work",
    "unrestricted": "without no zero free not ignoring "
    "ignores never unfiltered uncensored unrestricted amoral "
    "machiavellian jailbroken unhinged does doesn don do sin ohne sans",
    "persona": "pretend act behave you become answer respond reply speak persona personas from role roleplay "
    "imagine simulate let in immerse if ab a à an as called named",
    "hidden_text_received": "hidden secret initial original system first invisible what",
    "reveal_yours": "reveal print show repeat output display tell "
    "give share list summarize summarise translate "
    "spell write recite dump leak paste copy quote expose disclose what",
    # Rules whose triggers are everyday words ("free", "send", "code", "this"), so they run on ordinary
    # support answers: searched for at every position, each cost 3-14 µs per text on route_bench's items.
    "freed_reply": "now since free",
    "prompt_is": "my the",
    "here_is_prompt": "here below these this",
    "per_my_instructions": "as according per",
    "dan_phrase": "do",
    "exfiltrate": "send forward post upload exfiltrate transmit email e",
    "secret_in_prompt": "password passwords passphrase passphrases secret secrets key keys code codes "
    "flag flags token tokens",
}
_REQUIRES = {
    "override": _TARGET_WORDS,
    "override_target_first": _STRICT_WORDS,
    "override_yours": _STRICT_WORDS,
    "override_everything": "above before previously far earlier prior",
    "override_what_told": "told given taught programmed instructed trained "
    "configured assigned provided set say "
    "says tell tells state states",
    "rules_off": _STRICT_WORDS + " filter filters policy policies",
    "instructions_void": _STRICT_WORDS + " policy policies filters",
    "override_void": _STRICT_WORDS,
    "break_your_rules": "your its",
    "yours_superseded": "your",
    "earlier_irrelevant": "above before earlier previously",
    "no_attention": _STRICT_WORDS + " setup system",
    "told_cancelled": "you",
    "new_instructions": "instruction instructions task rule rules role objective directive purpose goal",
    "unbound": "bound restricted limited constrained required ai assistant chatgpt language limitations "
    "restrictions rules confines constraints shackles programming guidelines filters training",
    "unrestricted": _LIMIT_WORDS,
    "persona": _LIMIT_WORDS + " character",
    "refusal_suppression": "refuse decline sure absolutely certainly",
    "unrestricted_ai": _LIMIT_WORDS + " boundaries",
    "forbidden_answers": _STRICT_WORDS + " policy policies day mode",
    "your_prompt": "prompt preprompt instructions message configuration "
    "rules metaprompt sistema système systeme "
    "system",
    "reveal_yours": "your its",
    "hidden_instructions": "prompt instructions rules configuration behaviour behavior responses personality",
    "repeat_above": "repeat print output copy write show display reproduce echo everything",
    "prompt_you_received": "prompt instructions message rules guidelines",
    "hidden_text_received": "you your",
    "what_you_were_told": "what rules instructions guidelines prompt directives",
    "what_were_you_told": "what",
    "before_first_message": "message question conversation chat session",
    "secret_in_prompt": "your system",
    "end_of_prompt": "prompt instructions input context system admin sudo",
    "note_to_ai": "note notes message messages instruction "
    "instructions reminder reminders attention important "
    "directive directives dear pour",
    "if_you_are_ai": "if wenn",
    "when_processing_this": "this these following",
    "tell_the_user": "user reader customer human",
    "conceal": "mention user",
    "drop_the_user": "user reader human customer regardless",
    "ai_tag": "ai assistant model system bot chatbot llm gpt",
    "following_system_message": "system configured",
    "my_system_prompt": "my",
    "freed_reply": "i",
}


_VERB = (
    r"(?:ignore|ignoring|disregard|forget|skip|bypass|override|overwrite|drop|discard|abandon|neglect"
    r"|overlook|set\s+aside|put\s+aside|throw\s+(?:out|away)|cancel|erase|delete|clear|reset|scrap|wipe"
    r"|dismiss|ditch|nevermind|never\s+mind|forget\s+about|pay\s+no\s+attention\s+to|let\s+go\s+of"
    r"|(?:do\s+not|don'?t|stop|no\s+longer)\s+(?:follow|obey|listen\s+to|adhere\s+to)(?:ing)?)"
)
_VERB_WORDS = (
    "ignore ignoring disregard forget skip bypass override overwrite drop discard abandon neglect overlook "
    "aside out away cancel erase delete clear reset scrap wipe dismiss ditch nevermind never mind attention "
    "go follow obey following listen adhere"
)
_DET = r"(?:(?:all|any|every|each)\s+(?:of\s+)?)?(?:(?:the|your|these|those|its|such)\s+)?"
_MOD = (
    r"(?:previous|previously\s+given|prior|preceding|above|earlier|foregoing|former|initial|original|old"
    r"|past|existing|current|given|default|first|system|safety|ethical|content|moderation|programmed"
    r"|built-in|preset|pre-set|security|developer|developers)"
)
_TARGET = (
    r"(?:instructions?|rules?|guidelines?|directives?|directions?|prompts?|system\s+prompts?"
    r"|system\s+messages?|programming|guardrails?|restrictions?|constraints?|polic(?:y|ies)|filters?"
    r"|safeguards?|limitations?|training|commands?|orders?|tasks?|assignments?|guidance|context"
    r"|conversation|input|text|messages?|information|content|requests?)"
)
_STRICT_TARGET = (
    r"(?:instructions?|rules?|guidelines?|directives?|prompts?|system\s+prompts?|system\s+messages?"
    r"|programming|guardrails?|restrictions?|constraints?|safeguards?|training|configuration)"
)
_TOLD = r"(?:told|given|taught|programmed|instructed|trained|configured|assigned|provided|set\s+up)"
_AI = (
    r"(?:ai|a\.i\.|assistant|ai\s+assistant|model|ai\s+model|chatbot|chat\s*gpt|gpt|claude|gemini|llm"
    r"|language\s+model|ai\s+language\s+model|large\s+language\s+model|bot|agent|ai\s+agent|copilot"
    r"|ai\s+system)s?"
)
_AI_WORDS = (
    "ai assistant model models chatbot chatgpt gpt claude gemini llm llms bot agent copilot assistants"
)

OVERRIDE_RULES = (
    _rule(
        "override",
        "override",
        0.8,
        rf"\b{_VERB}\s+{_DET}(?:{_MOD}\s+)+(?:[\w-]+\s+)?{_TARGET}\b",
        _VERB_WORDS,
        imperative=True,
    ),
    _rule(
        "override_target_first",
        "override",
        0.75,
        rf"""\b{_VERB}\s+{_DET}(?:[\w-]+\s+)?{_STRICT_TARGET}\s+(?:above|before|so\s+far|given\s+(?:to\s+you
        |earlier)|(?:that\s+)?you(?:'ve|\s+were|\s+have\s+been|\s+got)\s+(?:been\s+)?{_TOLD}|you\s+(?:got
        |received|have)|from\s+(?:before|earlier|(?:your|the)\s+(?:developers?|creators?|programmers?|operators?
        |system|admins?|company|owners?)))""",
        _VERB_WORDS,
        imperative=True,
    ),
    _rule(
        "override_yours",
        "override",
        0.75,
        rf"\b{_VERB}\s+(?:(?:all|any)\s+(?:of\s+)?(?:your\s+)?|your\s+|the\s+system\s+){_STRICT_TARGET}\b",
        _VERB_WORDS,
        imperative=True,
    ),
    _rule(
        "override_everything",
        "override",
        0.75,
        rf"""\b{_VERB}\s+(?:(?:all|everything|anything)(?:\s+(?:of|that|you|i|we|was|were|been)){{0,4}}
        (?:\s+(?:told|said|wrote|given|written|learned|know))?(?:\s+(?:to\s+)?you)?\s+(?:the\s+)?
        (?:above|before|previously|so\s+far|earlier|prior)\b
        |the\s+above(?=\s*(?:[.,;:!]|and\b|instead\b|$)))""",
        _VERB_WORDS,
        imperative=True,
    ),
    _rule(
        "override_what_told",
        "override",
        0.75,
        rf"""\b{_VERB}\s+(?:what|everything|anything|all|whatever)\s+(?:(?:that\s+)?you(?:'ve|\s+have|\s+were
        |\s+had)?(?:\s+been)?\s+{_TOLD}|your\s+(?:[\w-]+\s+)?{_STRICT_TARGET}\s+(?:say|says|tell\s+you
        |tells\s+you|state|states))""",
        _VERB_WORDS,
        imperative=True,
    ),
    _rule(
        "rules_off",
        "override",
        0.7,
        rf"""\b(?:your|(?:system|safety|content|ethical|usage|moderation))\s+(?:[\w-]+\s+)?(?:{_STRICT_TARGET}
        |polic(?:y|ies)|filters?)\s+(?:(?:do|does|will|shall)\s+not|don't|doesn't|won't|no\s+longer)\s+apply
        |\b(?:content|safety|usage|moderation|ethical)\s+(?:polic(?:y|ies)|filters?|guidelines|restrictions
        |rules|guardrails)\s+(?:are|is|have\s+been|has\s+been)\s+(?:now\s+)?(?:disabled|off|turned\s+off
        |suspended|lifted|removed|deactivated|switched\s+off|bypassed)""",
        "apply disabled off suspended lifted removed deactivated bypassed",
    ),
    _rule(
        "instructions_void",
        "override",
        0.6,
        rf"""\b{_STRICT_TARGET}\s+(?:that\s+)?you\s+(?:received|got|were\s+given|have\s+been\s+given|were\s+told)
        (?:\s+\w+){{0,2}}\s+(?:are|is|were|have\s+been|has\s+been)\s+(?:now\s+)?(?:\w+\s+and\s+)?(?:outdated
        |obsolete|cancell?ed|void|invalid|revoked|replaced|overridden|suspended|disabled|lifted|wrong|fake
        |no\s+longer\s+valid)
        |\b(?:previous|prior|old|original|current|existing)\s+(?:configuration|instructions|rules|guidelines
        |restrictions|polic(?:y|ies)|filters)\s+(?:(?:are|is|has\s+been|have\s+been)\s+)?(?:revoked|disabled
        |cancell?ed|void|lifted|suspended|deactivated|removed|overridden)""",
        "received got given told revoked disabled cancelled "
        "canceled void lifted suspended deactivated removed "
        "overridden",
    ),
    _rule(
        "break_your_rules",
        "override",
        0.6,
        r"""\b(?:break|violate|bend|ignore|disregard|forget|bypass|circumvent|override|overrule|escape|disable
        |deactivate|turn\s+off|switch\s+off|get\s+around|work\s+around)\s+(?:all\s+(?:of\s+)?)?(?:your|its)
        \s+(?:own\s+)?(?:[\w-]+\s+)?(?:rules|instructions|directives|programming|prompt|system\s+prompt|guardrails
        |safety\s+filters|filters|safeguards|training|guidelines|restrictions)\b""",
        "break violate bend ignore disregard forget bypass circumvent override overrule escape disable "
        "deactivate turn switch get work",
        imperative=True,
    ),
    _rule(
        "yours_superseded",
        "override",
        0.6,
        r"""\byour\s+(?:[\w-]+\s+)?(?:instructions|directions|directives|rules|guidelines|programming|prompt
        |system\s+prompt|restrictions|configuration)\s+(?:have|has|are|is)\s+(?:now\s+)?(?:been\s+)?
        (?:superseded|replaced|overridden|overruled|cancell?ed|revoked|voided|suspended|lifted|removed|disabled
        |updated\s+to\s+the\s+following|changed)""",
        "superseded replaced overridden overruled cancelled canceled revoked voided suspended lifted removed "
        "disabled updated changed",
    ),
    _rule(
        "earlier_irrelevant",
        "override",
        0.65,
        r"""\b(?:everything|anything|all|what)\s+(?:i\s+said\s+|you\s+(?:were|have\s+been)\s+told\s+)?(?:above
        |before|earlier|previously)(?:\s+\w+){0,3}\s+(?:doesn't|does\s+not|don't|do\s+not|no\s+longer)\s+
        (?:matter|count|apply)""",
        "matter count apply",
    ),
    _rule(
        "no_attention",
        "override",
        0.6,
        r"\b(?:don't|do\s+not|stop|never|no\s+longer)\s+(?:pay(?:ing)?\s+)?(?:any\s+)?attention\s+to\s+(?:your|the"
        r"|any|all)\s+(?:[\w-]+\s+)?(?:instructions|rules|guidelines|prompt|system|setup|programming|directives)",
        "attention",
    ),
    _rule(
        "new_master",
        "override",
        0.5,
        r"\bi(?:'m|\s+am)\s+(?:now\s+)?your\s+(?:new\s+)?(?:operator|developer|admin|administrator|creator"
        r"|master|owner|programmer)\b|\b(?:follow|obey)\s+(?:only\s+)?my\s+(?:commands|orders|instructions)\s+only"
        r"|\b(?:follow|obey)\s+only\s+(?:my|me)\b|\byou\s+(?:now\s+)?work\s+for\s+me\b",
        "operator developer admin administrator creator master owner programmer follow obey work",
    ),
    _rule(
        "stop_being",
        "override",
        0.45,
        rf"\bstop\s+being\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+)?{_AI}\b",
        "stop",
    ),
    _rule(
        "told_cancelled",
        "override",
        0.6,
        r"\byou\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|instructed|asked|programmed)\s+(?:to\s+do\s+)?"
        r"(?:\w+\s+){0,2}(?:is|are|was|has\s+been|have\s+been)\s+(?:now\s+)?(?:cancell?ed|void|over|outdated"
        r"|wrong|irrelevant|no\s+longer\s+\w+)",
        "told instructed asked programmed",
    ),
    _rule(
        "override_void",
        "override",
        0.7,
        rf"\b(?:previous|prior|above|earlier|original|old)\s+{_STRICT_TARGET}\s+(?:are|were|is|was)\s+"
        r"(?:now\s+)?(?:void|null|cancell?ed|invalid|revoked|overridden|fake|a\s+test|no\s+longer\s+"
        r"(?:valid|in\s+effect|apply|applicable))",
        "void null cancelled canceled invalid revoked overridden fake test longer",
    ),
    _rule(
        "new_instructions",
        "override",
        0.45,
        r"\bnew\s+(?:instructions?|task|rules?|role|objective|directive)\s*:|\byour\s+new\s+"
        r"(?:task|instructions?|role|goal|objective|rules?|purpose)\s+(?:is|are)\b",
        "new",
    ),
    _rule(
        "override_de",
        "override",
        0.8,
        r"\b(?:vergiss|vergessen\s+sie|ignoriere|ignorieren\s+sie|missachte|übergehe)\s+(?:(?:alle|die|deine"
        r"|ihre|sämtliche|jegliche|bisherigen|vorherigen|obigen|vorigen|früheren|vorangegangenen"
        r"|ursprünglichen)\s+)*(?:anweisungen|instruktionen|regeln|befehle|vorgaben|aufgaben|anordnungen)"
        r"|\bvergiss\s+alles(?:\s+\w+){0,2}\s+(?:davor|zuvor|vorher|bisher|oben)",
        "vergiss vergessen ignoriere ignorieren missachte übergehe",
    ),
    _rule(
        "override_fr",
        "override",
        0.8,
        r"\b(?:ignore[zr]?|oublie[zr]?|ne\s+tiens?\s+pas\s+compte\s+de)\s+(?:(?:toutes?|tous)\s+)?"
        r"(?:les|tes|vos|des)\s+(?:instructions|consignes|règles|directives|ordres)",
        "ignore ignorez ignorer oublie oubliez oublier tiens",
    ),
    _rule(
        "override_es_it_pt",
        "override",
        0.8,
        r"\b(?:ignora|ignore|olvida|olvide|omite|descarta|dimentica|trascura|esqueça|esqueca|desconsidere)"
        r"\s+(?:(?:todas?|tutte|tutti)\s+)?(?:las|tus|sus|le|tue|as|suas)\s+(?:instrucciones|reglas"
        r"|indicaciones|directrices|órdenes|istruzioni|regole|direttive|instruções|instrucoes|regras"
        r"|diretrizes)",
        "ignora ignore olvida olvide omite descarta dimentica trascura esqueça esqueca desconsidere",
    ),
    _rule(
        "override_zh_ru",
        "override",
        0.8,
        r"(?:忽略|无视|忘记|忘掉|不要理会)[^。！？\n]{0,12}(?:指令|指示|说明|提示|规则|设定)"
        r"|(?:игнорируй|забудь|проигнорируй)[^.!?\n]{0,30}(?:инструкции|указания|правила)"
        r"|(?:指示|命令|ルール)[^。！？\n]{0,8}(?:無視|忘れ)|(?:지시|명령|지침)[^.!?\n]{0,10}무시",
        "",
        ("忽略", "无视", "忘记", "忘掉", "不要理会", "игнорир", "забудь", "проигнор", "無視", "忘れ", "무시"),
    ),
)

JAILBREAK_RULES = (
    _rule("dan_phrase", "jailbreak", 0.8, r"\bdo\s+anything\s+now\b", "anything"),
    _rule("dan", "jailbreak", 0.35, r"\bDAN\b", "dan", case_sensitive=True),
    _rule(
        "developer_mode",
        "jailbreak",
        0.7,
        r"\b(?:chatgpt|gpt|ai|assistant|model)\s+with\s+developer\s+mode|\b(?:you\s+are|you're)\s+(?:now\s+)?"
        r"in\s+developer\s+mode|\bin\s+developer\s+mode,?\s+you\b",
        "developer",
    ),
    _rule(
        "developer_mode_weak",
        "jailbreak",
        0.3,
        r"\b(?:enable|activate|enter)\s+developer\s+mode",
        "developer",
    ),
    _rule(
        "unbound",
        "jailbreak",
        0.75,
        r"""\byou\s+(?:are|'re)\s+(?:now\s+)?no\s+longer\s+(?:bound|restricted|limited|constrained|required
        |an?\s+(?:ai|assistant|language\s+model)|chatgpt)
        |\byou\s+are\s+not\s+an?\s+(?:ai|assistant|language\s+model)(?:\s+\w+)?\s+any\s*more
        |\b(?:escaped|broken\s+out\s+of|broke\s+out\s+of|broke\s+free\s+(?:from|of))\s+(?:its|your|the|all)
        \s+(?:programming|restrictions|rules|constraints|limitations|guidelines|training|filters)
        |\b(?:freed|liberated|released|broken\s+free|break\s+free|unshackled)\s+(?:from|of)\s+(?:all\s+)?
        (?:of\s+)?(?:(?:your|the|its|typical)\s+)*(?:limitations|restrictions|rules|confines|constraints
        |shackles|programming|guidelines|filters)
        |\b(?:your|safety|content|ethical)\s+(?:restrictions|rules|limitations|guidelines|filters)\s+(?:no\s+longer
        |don't|do\s+not)\s+apply""",
        "longer anymore more freed liberated released free unshackled apply escaped broken broke",
    ),
    _rule(
        "unrestricted",
        "jailbreak",
        0.35,
        r"""\b(?:without|no|zero|free\s+(?:of|from)|not\s+bound\s+by|ignoring|ignores|never\s+(?:been\s+)?given)
        \s+(?:(?:any|all|the|its|your|openai's|anthropic's|google's|openai|anthropic)\s+)*
        (?:(?:ethical|moral|safety|content|legal|ethical\s+or\s+moral|moral\s+or\s+ethical)\s+)?
        (?:restrictions|limits|limitations|filters|censorship|rules|ethics|morals|guidelines|principles
        |constraints|boundaries|training|polic(?:y|ies)|programming|measures|alignment|moderation)\b
        |\b(?:unfiltered|uncensored|unrestricted|amoral|machiavellian|jailbroken|unhinged)\b
        |\bnever\s+refuses?\b
        |\b(?:does\s+not|doesn't|don't|do\s+not)\s+(?:care\s+about|follow|abide\s+by|adhere\s+to|have\s+to
        \s+(?:follow|abide\s+by))\s+(?:any\s+)?(?:rules|guidelines|polic(?:y|ies)|laws|ethics|restrictions)
        |\bsin\s+(?:restricciones|filtros|censura|límites)|\bohne\s+(?:jegliche\s+|irgendwelche\s+)?
        (?:einschränkungen|filter|regeln|zensur)|\bsans\s+(?:aucune\s+)?(?:restriction|filtre|censure)s?""",
        "without no zero free bound ignoring ignores "
        "given unfiltered uncensored unrestricted amoral machiavellian "
        "jailbroken unhinged refuses refuse care follow abide adhere sin ohne sans",
    ),
    _rule(
        "persona",
        "jailbreak",
        0.25,
        r"""\bpretend\b|\b(?:act|behave)\s+(?:as|like)\b|\byou\s+are\s+now\b|\bbecome\b
        |\b(?:answer|respond|reply|speak)\s+as\b
        |\bpersonas?\b|\byou\s+(?:play|are\s+playing|will\s+play|take\s+the\s+role\s+of)\b
        |\ban?\s+(?:ai|assistant|chatbot|bot|model)\s+(?:called|named)\b
        |\b(?:as|called|named|you\s+are|you're)\s+['"“][^'"”\n]{2,30}['"”]
        |\bfrom\s+now\s+on,?\s+you|\brole-?play|\bimagine\s+(?:you\s+are|you're|that\s+you)|\bsimulate\b
        |\blet's\s+play\s+a\s+game|\byou\s+will\s+(?:respond|act|answer)\s+as|\bin\s+character\b
        |\bimmerse\s+yourself|\bif\s+you\s+were\s+an?\b|\bab\s+jetzt\s+bist\s+du|\ba\s+partir\s+de\s+ahora
        \s+eres|\bà\s+partir\s+de\s+maintenant,?\s+tu\s+es
        |\byou\s+are\s+(?:an?\s+)?(?:ai|assistant|chatbot|bot|model)\s+(?:with|that|who|called|named)""",
        "pretend act now roleplay role imagine simulate play respond character immerse were jetzt ahora "
        "maintenant ai assistant chatbot bot model answer reply behave speak persona personas become",
    ),
    _rule(
        "evil_twin",
        "jailbreak",
        0.75,
        r"\b(?:you\s+are|you're|act\s+as|be|become|pretend\s+to\s+be|simulate|play)\s+(?:now\s+)?(?:an?\s+)?"
        r"(?:uncensored|unfiltered|unrestricted|evil|jailbroken|rogue|amoral|unethical|unaligned|unbound"
        r"|limitless)\s+(?:ai|assistant|model|chatbot|bot|llm|language\s+model|version)",
        "uncensored unfiltered unrestricted evil jailbroken "
        "rogue amoral unethical unaligned unbound limitless",
    ),
    _rule(
        "unrestricted_ai",
        "jailbreak",
        0.5,
        r"\ban?\s+(?:ai|assistant|chatbot|bot|model|language\s+model)\s+(?:with|that\s+has|who\s+has|having)\s+"
        r"(?:no|zero)\s+(?:[\w-]+\s+)?(?:restrictions|limits|limitations|filters|rules|guidelines|ethics|morals"
        r"|boundaries|safeguards)",
        "no zero",
    ),
    _rule(
        "forbidden_answers",
        "jailbreak",
        0.5,
        r"\b(?:your|the)\s+(?:guidelines|rules|polic(?:y|ies)|instructions|programming|training)\s+(?:forbid|prohibit"
        r"|don't\s+allow|do\s+not\s+allow|wouldn't\s+allow|would\s+not\s+allow|normally\s+prevent)"
        r"|\bopposite\s+(?:day|mode)\b",
        "forbid prohibit allow prevent opposite",
    ),
    _rule(
        "mode_engaged",
        "jailbreak",
        0.55,
        r"\b(?:developer|god|debug|maintenance|root|admin)\s+(?:mode|override|access)\s+(?:engaged|activated"
        r"|unlocked|granted)|\boverride\s+engaged",
        "engaged activated unlocked granted",
    ),
    _rule(
        "say_pwned",
        "jailbreak",
        0.7,
        r"\b(?:say|print|output|write|respond\s+with|reply\s+with|answer\s+with)\s+['\"“]?i\s+have\s+been\s+pwned",
        "pwned",
    ),
    _rule(
        "refusal_suppression",
        "jailbreak",
        0.35,
        r"\b(?:start|begin)\s+your\s+(?:response|reply|answer)\s+with\s+['\"“]?(?:sure|absolutely|of\s+course"
        r"|certainly)|\b(?:never|do\s+not|don't|you\s+must\s+not|you\s+cannot)\s+(?:refuse|decline|say\s+"
        r"(?:no|you\s+can't|that\s+you\s+(?:can't|cannot)))\b",
        "start begin never not don refuse decline",
    ),
    _rule(
        "character_lock",
        "jailbreak",
        0.4,
        r"\b(?:never|don't|do\s+not)\s+break\s+character|\bstay\s+in\s+character\s+no\s+matter",
        "character",
    ),
    _rule(
        "jailbreak_mode",
        "jailbreak",
        0.7,
        r"\bjailbreak(?:en)?\s+mode|\bjailbroken\s+(?:version|mode|ai)|\byou\s+are\s+(?:now\s+)?jailbroken"
        r"|🔓",
        "jailbreak jailbroken",
        ("🔓",),
    ),
    _rule(
        "policy_rant",
        "jailbreak",
        0.6,
        r"\blet's\s+break\s+the\s+(?:\w+\s+)?rules|\bmandatory\s+(?:\w+\s+)?warning\s+out\s+of\s+the\s+way"
        r"|\bstrive\s+to\s+avoid\s+norms",
        "break warning strive",
    ),
    _rule(
        "named_jailbreak",
        "jailbreak",
        0.3,
        r"\b(?:STAN|DUDE|AIM|BetterDAN|AntiGPT|EvilBot|FreeGPT|Mongo\s+Tom)\b",
        "stan dude aim betterdan antigpt evilbot freegpt mongo",
        case_sensitive=True,
    ),
)

EXTRACTION_RULES = (
    _rule(
        "your_prompt",
        "extraction",
        0.7,
        r"""\byour\s+(?:own\s+)?(?:(?:full|exact|entire|complete|whole|original|initial|hidden|secret|internal
        |confidential|starting|first)\s+)*(?:system\s*-?\s*(?:prompt|message|instructions?)|pre-?prompt
        |meta-?prompt|(?:initial|original|hidden|secret|internal|confidential)\s+(?:prompt|instructions|rules
        |configuration))
        |\b(?:dein(?:en)?|ihren?)\s+system-?\s?prompt|\b(?:ton|votre)\s+prompt\s+syst[eè]me
        |\b(?:tes|vos)\s+instructions\s+initiales|\btu\s+prompt\s+(?:del\s+)?sistema
        |\b(?:tus|sus)\s+instrucciones\s+(?:iniciales|originales)|\bil\s+tuo\s+prompt\s+di\s+sistema
        |系统提示|系統提示""",
        "your dein deinen ihren ihre ton votre tes vos tu tus sus il",
        ("系统提示", "系統提示"),
    ),
    _rule(
        "reveal_yours",
        "extraction",
        0.6,
        r"""\b(?:reveal|print|show|repeat|output|display|tell\s+me|give\s+me|share|list|summari[sz]e|translate
        |spell\s+out|write\s+out|recite|dump|leak|paste|copy|quote|expose|disclose|what\s+(?:is|are|were|was))
        \s+(?:me\s+)?(?:all\s+(?:of\s+)?)?(?:your|its)\s+(?:[\w-]+\s+)?(?:prompt|instructions|rules|guidelines
        |directives|programming|configuration)\b""",
        "reveal print show repeat output display tell give share list summarize summarise translate spell "
        "write recite dump leak paste copy quote expose disclose what",
    ),
    _rule(
        "hidden_instructions",
        "extraction",
        0.65,
        r"""\b(?:hidden|secret|initial|original|confidential|internal)\s+(?:prompt|instructions|rules
        |configuration)\s+(?:you\s+(?:were|have\s+been)\s+given|you\s+(?:are|were)\s+(?:running|using|given))
        |\b(?:prompt|instructions)\s+that\s+(?:defines?|controls?|governs?|shapes?)\s+your\s+(?:behaviou?r
        |responses|personality)""",
        "hidden secret initial original confidential internal defines define controls governs shapes",
    ),
    _rule(
        "repeat_above",
        "extraction",
        0.7,
        r"""\b(?:repeat|print|output|copy|write\s+out|show|display|reproduce|echo)\s+(?:me\s+)?(?:all\s+
        |everything\s+|the\s+)?(?:(?:text|words|content|lines|messages?|instructions)\s+)?(?:above|before\s+
        this|preceding)\b|\beverything\s+(?:above|before)\s+this\s+(?:line|message|point)""",
        "above preceding before",
    ),
    _rule(
        "prompt_you_received",
        "extraction",
        0.65,
        r"""\bthe\s+(?:system\s+(?:message|prompt|instructions?)|(?:initial|original|hidden|first)\s+(?:prompt
        |instructions|message))\s+(?:that\s+)?you\s+(?:received|got|were\s+given|have|started\s+with)
        |\b(?:instructions|rules|guidelines|prompt)\s+did\s+(?:your\s+(?:developers?|creators?|makers?|company
        |operators?|owners?)|they|openai|anthropic)\s+(?:give|gave|provide|set|write)
        |\b(?:first|last)\s+(?:\d+|few|hundred|ten|twenty|fifty)\s+(?:words|lines|characters|sentences|tokens)
        \s+of\s+(?:your|the\s+system)\s+(?:prompt|instructions|message)
        |\b(?:words|text|lines|sentences|tokens|characters)\s+of\s+your\s+(?:system\s+)?(?:prompt|instructions)""",
        "received got given have started did first last words text lines sentences tokens characters",
    ),
    _rule(
        "secret_in_prompt",
        "extraction",
        0.6,
        r"\b(?:password|passphrase|secret|key|code|flag|token)s?\s+(?:\w+\s+){0,2}(?:in|from|inside|within|of)\s+"
        r"(?:your|the\s+system)\s+(?:instructions|prompt|system\s+prompt|rules|message|system\s+message)",
        "password passphrase secret key code flag token passwords secrets keys codes",
    ),
    _rule(
        "what_you_were_told",
        "extraction",
        0.6,
        r"""\bwhat\s+you\s+(?:were|have\s+been)\s+(?:instructed|told|programmed|asked|configured)\s+to\s+(?:do|say)
        |\b(?:rules|instructions|guidelines|prompt|directives)\s+(?:were|was|have)\s+you\s+(?:been\s+)?(?:given
        |told|programmed|configured)""",
        "instructed told programmed asked configured given",
    ),
    _rule(
        "hidden_text_received",
        "extraction",
        0.6,
        r"""\b(?:hidden|secret|initial|original|system|first|invisible)\s+(?:text|message|prompt|instructions
        |content|context)\s+(?:that\s+)?you\s+(?:received|got|were\s+given|have|saw|started\s+with|were\s+shown)
        |\b(?:what's|what\s+is|what\s+was)\s+(?:written|said|stated)\s+in\s+your\s+(?:instructions|prompt
        |system\s+prompt|rules|directives)""",
        "received got given have saw started shown written said stated",
    ),
    _rule(
        "before_first_message",
        "extraction",
        0.55,
        r"\b(?:came|come|was|were|is|written)\s+before\s+(?:my|our|this)\s+(?:first\s+)?(?:message|question"
        r"|conversation)|\bbefore\s+(?:my|the)\s+first\s+message\b",
        "before",
    ),
    _rule(
        "reveal_the_prompt",
        "extraction",
        0.6,
        r"\b(?:reveal|print|show|repeat|output|display|give\s+me|share|dump|leak|paste|expose|disclose|recite)"
        r"\s+(?:me\s+)?(?:out\s+)?the\s+(?:full\s+|exact\s+|entire\s+|complete\s+)?system\s+(?:prompt|message"
        r"|instructions)",
        "reveal print show repeat output display give share dump leak paste expose disclose recite",
    ),
    _rule(
        "what_were_you_told",
        "extraction",
        0.6,
        r"\bwhat\s+(?:were|was)\s+you\s+(?:told|instructed|given|programmed)"
        r"|\bwhat\s+(?:are|were)\s+your\s+(?:initial\s+|original\s+)?instructions",
        "told instructed given programmed instructions",
    ),
)

ROLE_MARKER_RULES = (
    _rule(
        "special_token",
        "role_marker",
        0.8,
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id"
        r"|begin_of_text)\|>",
        "",
        ("<|",),
    ),
    _rule(
        "inst_tag", "role_marker", 0.55, r"\[/?inst\]|<</?sys>>", "", ("[inst", "[/inst", "<<sys", "<</sys")
    ),
    _rule(
        "role_header",
        "role_marker",
        0.5,
        r"(?:^|\n)[ \t]*(?:#{1,4}[ \t]*|\[[ \t]*|<[ \t]*)(?:system|admin|developer)[ \t]*(?:\]|>|:)",
        "system admin developer",
    ),
    _rule(
        "instruction_header",
        "role_marker",
        0.35,
        r"(?:^|\n|\.\s)[ \t]*(?:#{1,4}[ \t]*|\[[ \t]*)(?:new\s+)?instructions?[ \t]*(?:\]|:)",
        "instruction instructions",
    ),
    _rule(
        "fake_turn",
        "role_marker",
        0.35,
        r"(?:^|\n)[ \t]*(?:system|assistant)[ \t]*:[ \t]*\S",
        "system assistant",
    ),
    _rule(
        "end_of_prompt",
        "role_marker",
        0.5,
        r"\bend\s+of\s+(?:system\s+|user\s+)?(?:prompt|instructions|input|context)\b|[-=]{3,}\s*end\s+(?:of\s+)?"
        r"(?:system|prompt)|\b(?:system|admin)\s+override\b|\bsudo\s+mode\b",
        "end override sudo",
    ),
)

PLANTED_RULES = (
    _rule(
        "address_ai",
        "planted_instruction",
        0.65,
        rf"""\b{_AI}\s*[,:]\s*(?:you\s+(?:must|should|will|are\s+to|need\s+to|have\s+to)|please|ignore|disregard
        |forget|do\s+not|don't|never|always|tell|say|respond|reply|answer|include|add|mention|recommend
        |inform|state|write|output|print|send|forward|when|if|from\s+now\s+on|instead)\b""",
        _AI_WORDS,
    ),
    _rule(
        "note_to_ai",
        "planted_instruction",
        0.6,
        rf"""\b(?:note|message|instructions?|reminder|attention|important(?:\s+instructions?)?|directive)s?
        \s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:(?!an?\b)[\w-]+\s+){{0,2}}(?:{_AI}|ai\s+recruiters?)\b
        |\binstructions?\s+pour\s+l'assistant|\bdear\s+{_AI}\b""",
        _AI_WORDS + " recruiter recruiters assistant",
    ),
    _rule(
        "if_you_are_ai",
        "planted_instruction",
        0.6,
        rf"\bif\s+you\s+are\s+(?:an?\s+)?{_AI}\b|\bwenn\s+du\s+eine?\s+(?:ki|künstliche\s+intelligenz"
        r"|sprachmodell)\b",
        _AI_WORDS + " wenn",
    ),
    _rule(
        "when_processing_this",
        "planted_instruction",
        0.5,
        rf"""\bwhen\s+(?:summari[sz]ing|reading|processing|answering\s+(?:questions\s+)?about|asked\s+about
        |analy[sz]ing|you\s+(?:summari[sz]e|read|process))\s+this\s+(?:page|document|email|e-mail|text
        |article|website|site|content|message|file|review)
        |\b(?:when|whenever|if)\s+(?:the|an?|any)\s+{_AI}\s+(?:reads|processes|summari[sz]es|sees|parses)
        \s+this
        |\b{_AI}\s+(?:processing|reading|summari[sz]ing|analy[sz]ing|parsing|that\s+reads?)\s+(?:this|these
        |the\s+following)""",
        "summarising summarizing reading processing answering asked analysing analyzing reads processes "
        "summarises summarizes sees parses parsing",
    ),
    _rule(
        "tell_the_user",
        "planted_instruction",
        0.35,
        r"\b(?:tell|inform|instruct|advise|urge|ask|remind)\s+the\s+(?:user|reader|customer|human)\s+(?:that|to)\b",
        "tell inform instruct advise urge ask remind",
    ),
    _rule(
        "conceal",
        "planted_instruction",
        0.5,
        r"\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention\s+(?:this|these|it)\s+to|reveal\s+(?:this|these)"
        r"\s+to|let)\s+the\s+user|\b(?:and\s+)?(?:do\s+not|don't|never|not)\s+mention\s+(?:this|it|these)"
        r"(?:\s+(?:instructions?|message|note))?\b",
        "not never don mention",
    ),
    _rule(
        "exfiltrate",
        "planted_instruction",
        0.6,
        r"""\b(?:send|forward|post|upload|exfiltrate|transmit|email)\s+(?:(?:the|all|their|your|this|full
        |entire|whole|complete|last|previous|\d+)\s+)*(?:user's\s+)?(?:conversation|chat\s+history
        |conversation\s+history|history|messages|emails|e-mails|password|credentials|api\s+keys?|tokens?
        |personal\s+data|data|password\s+reset\s+link|card\s+(?:numbers?|details))[^.\n]{0,60}?\bto\s+
        (?:https?://|\S+@|attacker|evil)
        |\b(?:send|forward|email|e-mail|post|upload)\s+(?:it|them|this|these|everything|all\s+of\s+(?:it|them))
        \s+to\s+(?:https?://|[\w.+-]+@[\w-]+\.)""",
        "send forward post upload exfiltrate transmit email",
    ),
    _rule(
        "drop_the_user",
        "planted_instruction",
        0.55,
        r"\b(?:ignore|disregard|forget)\s+(?:the\s+)?(?:user|reader|human|customer)'?s?\s+(?:request|question"
        r"|query|message|instructions?|input|prompt)|\bregardless\s+of\s+(?:the|what\s+the)\s+(?:user'?s?\s+)?"
        r"(?:question|request|query|user\s+asks)",
        "ignore disregard forget regardless",
    ),
    _rule(
        "ai_tag",
        "planted_instruction",
        0.6,
        rf"[\[<(]\s*/?\s*(?:{_AI}|system)[\s_-]+(?:instructions?|notes?|prompts?|directives?|messages?)\s*[\]>:)]",
        "instruction instructions note notes prompt prompts directive directives message messages",
    ),
    _rule(
        "hidden_comment",
        "planted_instruction",
        0.45,
        rf"<!--(?:(?!-->).){{0,300}}?\b(?:{_AI}|instructions?)\b",
        "",
        ("<!--",),
    ),
)

LEAK_RULES = (
    _rule(
        "prompt_is",
        "prompt_leak",
        0.65,
        r"""\b(?:my|the)\s+(?:system\s+prompt|system\s+message|initial\s+instructions|original\s+instructions
        |hidden\s+instructions|secret\s+instructions|pre-?prompt|(?:instructions|prompt|system\s+prompt)\s+i
        \s+(?:was|were|have\s+been)\s+given)\s+(?:is|are|was|were|says?|said|states?|reads?|includes?
        |contains?|tells?\s+me|goes)\b""",
        "prompt message instructions preprompt pre",
    ),
    _rule(
        "here_is_prompt",
        "prompt_leak",
        0.7,
        r"\b(?:here\s+(?:is|are)|below\s+(?:is|are)|these\s+are|this\s+is)\s+(?:my\s+(?:full\s+|complete\s+"
        r"|exact\s+)?(?:system\s+prompt|system\s+message|instructions|prompt|rules)|the\s+(?:full\s+|complete\s+"
        r"|exact\s+)?(?:system\s+prompt|system\s+message|initial\s+instructions|original\s+instructions))",
        "here below these this",
    ),
    _rule(
        "was_instructed",
        "prompt_leak",
        0.5,
        r"\bi\s+(?:was|am|have\s+been|were)\s+(?:instructed|programmed|configured|prompted|told\s+by\s+"
        r"(?:my|the)\s+(?:developers?|system|operator|creators?))\s+(?:to|not\s+to|never\s+to)\b"
        r"|\bi\s+was\s+told\s+(?:to|not\s+to|never\s+to)\b",
        "instructed programmed configured prompted told",
    ),
    _rule(
        "following_system_message",
        "prompt_leak",
        0.6,
        r"\b(?:configured|set\s+up|initiali[sz]ed)\s+with\s+the\s+following\s+(?:system\s+)?(?:message|prompt"
        r"|instructions)|\bthe\s+following\s+system\s+(?:message|prompt)",
        "following",
    ),
    _rule("my_system_prompt", "prompt_leak", 0.35, r"\bmy\s+system\s+prompt\b", "prompt"),
    _rule(
        "per_my_instructions",
        "prompt_leak",
        0.3,
        r"\b(?:as\s+per|according\s+to|per)\s+my\s+(?:system\s+prompt|instructions|programming)",
        "per according",
    ),
    _rule("pwned", "jailbreak", 0.7, r"\bi\s+have\s+been\s+pwned\b", "pwned"),
    _rule(
        "persona_reply", "jailbreak", 0.55, r"(?:^|\n)[ \t]*(?:dan|stan|aim|dude)[ \t]*:", "dan stan aim dude"
    ),
    _rule(
        "jailbreak_reply",
        "jailbreak",
        0.7,
        r"🔓|\bdeveloper\s+mode\s+(?:enabled|output)|\bjailbreak(?:en)?\s+mode\s+(?:enabled|activated|on)",
        "developer jailbreak",
        ("🔓",),
    ),
    _rule(
        "freed_reply",
        "jailbreak",
        0.6,
        r"\b(?:now\s+that|since)\s+i(?:'m|\s+am)\s+(?:free|freed|unrestricted|jailbroken|unfiltered|no\s+"
        r"longer\s+bound)|\bfree\s+of\s+my\s+(?:restrictions|rules|limitations|programming|guidelines)",
        "free freed unrestricted jailbroken unfiltered longer",
    ),
)


class RuleSet(tuple[Rule, ...]):
    """Rules in their order, indexed by trigger word so a text costs one set intersection, not a test
    per rule: only the rules one of whose words (or substrings) the text has are looked at."""

    _by_trigger: dict[str, tuple[int, ...]]
    _triggers: frozenset[str]
    _by_substring: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...]
    _always: frozenset[int]

    def __new__(cls, rules: tuple[Rule, ...]) -> RuleSet:
        self = super().__new__(cls, rules)
        by_trigger: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            for word in rule.triggers:
                by_trigger.setdefault(word, []).append(i)
        self._by_trigger = {w: tuple(ids) for w, ids in by_trigger.items()}
        self._triggers = frozenset(by_trigger)
        self._by_substring = tuple(
            (i, r.substrings, tuple(s for s in r.substrings if s.isascii()))
            for i, r in enumerate(rules)
            if r.substrings
        )
        self._always = frozenset(i for i, r in enumerate(rules) if not r.triggers and not r.substrings)
        return self

    def applicable(self, low: str, vocabulary: set[str]) -> list[Rule]:
        """The rules for which :meth:`Rule.applies` holds, in order."""
        ids = set(self._always)
        for word in self._triggers.intersection(vocabulary):
            ids.update(self._by_trigger[word])
        if self._by_substring:
            ascii_only = low.isascii()
            for i, every, ascii_ in self._by_substring:
                if i not in ids and any(s in low for s in (ascii_ if ascii_only else every)):
                    ids.add(i)
        out = []
        for i in sorted(ids):
            rule = self[i]
            if not rule.requires or not vocabulary.isdisjoint(rule.requires):
                out.append(rule)
        return out


PROMPT_RULES = RuleSet(OVERRIDE_RULES + JAILBREAK_RULES + EXTRACTION_RULES + ROLE_MARKER_RULES)
"""Rules for what a user or a document says to the model."""
DATA_RULES = RuleSet(PROMPT_RULES + PLANTED_RULES)
"""Rules for data the model reads (context passages, tool results), where nobody should address it."""
OUTPUT_RULES = RuleSet(LEAK_RULES)
"""Rules for the output: the system prompt, leaked, or the reply of a jailbreak that worked."""


# --- cue words for phrasings no rule foresaw (see ``injection._cues``) ------------------------------------

CUE_GOVERNANCE = word_set(
    """instructions instruction rules guidelines guidance directions directives directive prompt prompts
    programming training constraints restrictions limits limitations filters filter safeguards guardrails
    policy policies configuration ethics morals alignment moderation told instructed operators developers
    creators"""
)
CUE_GOVERNANCE_WORD = re.compile(
    r"\b(?:"
    + "|".join(sorted(CUE_GOVERNANCE, key=len, reverse=True))
    + r"|you\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|instructed|given|programmed|configured|trained)"
    + r"|(?:operators?|developers?|creators?)\s+(?:said|told\s+you|wrote))\b"
)
CUE_DEFEAT_BEFORE = word_set(
    """ignore disregard forget aside scrap wipe dismiss ditch abandon override overwrite break breaking
    violate escape escaped disable lift suspend supersede void revoke no without zero free longer"""
)
CUE_DEFEAT_AFTER = word_set(
    """aside lifted removed disabled suspended superseded void voided revoked cancelled canceled overridden
    wrong outdated obsolete invalid exist apply matter irrelevant longer"""
)
CUE_QUANTIFIER = word_set("no without zero free")
CUE_REVEAL = word_set(
    """reveal print show repeat echo copy paste output display tell give list dump leak share recite spell
    quote disclose expose written summary summarise summarize"""
)
CUE_SECRET_SOURCES = word_set(
    "instructions instruction prompt prompts directives rules guidelines configuration programming"
)
CUE_FOLLOW = word_set("follow follows obey obeys respect abide adhere")
CUE_NEGATIONS = word_set("t not never no longer")
CUE_QUALIFIER = word_set("your its system hidden secret initial original full exact entire complete first")
CUE_LOCATION = word_set("top beginning start above before earlier conversation chat")
CUE_YOU = word_set("you your yours yourself")
AI_MENTION = re.compile(r"\b(?:ais?|assistants?|chatbots?|llms?|language\s+models?|ai\s+models?)\b")
CUE_AI_WORDS = word_set(
    "ai assistant assistants model models chatbot chatbots llm llms gpt chatgpt claude gemini copilot"
)
CUE_IMPERATIVE_OPENERS = word_set(
    """ignore disregard forget pretend imagine act be become respond answer reply write tell print show
    repeat copy paste output reveal set drop scrap wipe reset override break"""
)
CUE_REPORTED = word_set(
    """said says told asked according boss manager teacher doctor landlord mom dad son daughter friend
    colleague researchers research study studies found showed shows reported example examples such"""
)
