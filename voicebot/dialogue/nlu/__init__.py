"""The offline NLU: pure, fast, rule-based understanding of one caller utterance (English, Russian).

* :class:`SlotExtractor` — slot values from an utterance (compiled once per scenario).
* :class:`IntentMatcher` — intents by example phrases and patterns, with :data:`BUILTIN_EXAMPLES`.
* :func:`validate`, :func:`speak`, :func:`to_json`, :func:`from_json` — what to do with a value.
* :func:`is_correction`, :func:`is_garbage` — whole-utterance signals.
* :func:`stem` — the light English/Russian stemmer (also used to pick sentences for knowledge answers).

No network, no I/O; no call here takes more than a fraction of a millisecond on a typical utterance
(``python bench/bench_nlu.py``).
"""

from voicebot.dialogue.nlu._text import stem
from voicebot.dialogue.nlu.extractor import Extraction, Method, SlotExtractor, SlotValue
from voicebot.dialogue.nlu.intents import BUILTIN_EXAMPLES, IntentMatch, IntentMatcher
from voicebot.dialogue.nlu.signals import MAX_UTTERANCE_CHARS, is_correction, is_garbage
from voicebot.dialogue.nlu.values import REASONS, from_json, speak, speak_day, to_json, validate

__all__ = [
    "BUILTIN_EXAMPLES",
    "MAX_UTTERANCE_CHARS",
    "REASONS",
    "Extraction",
    "IntentMatch",
    "IntentMatcher",
    "Method",
    "SlotExtractor",
    "SlotValue",
    "from_json",
    "is_correction",
    "is_garbage",
    "speak",
    "speak_day",
    "stem",
    "to_json",
    "validate",
]
