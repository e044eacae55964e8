"""Intent matching, correction cues and garbage detection."""

from __future__ import annotations

import pytest

from voicebot.dialogue.nlu import BUILTIN_EXAMPLES, IntentMatcher, is_correction, is_garbage

EN = IntentMatcher(
    {
        "book": (["book an appointment", "I want to make an appointment", "schedule a visit"], []),
        "prices": (["how much does it cost", "what are your prices"], [r"\bprice\s*list\b"]),
        "hours": (["when are you open", "opening hours"], []),
        "address": (["where are you located", "what is your address"], []),
        "yes": (["let's do it"], []),
    },
    lang="en",
)
RU = IntentMatcher(
    {
        "book": (["записаться на прием", "хочу записаться", "запишите меня"], []),
        "prices": (["сколько стоит", "какие у вас цены"], []),
        "hours": (["когда вы работаете", "часы работы"], []),
    },
    lang="ru",
)


def _top(matcher: IntentMatcher, text: str) -> tuple[str | None, float]:
    matches = matcher.match(text)
    return (matches[0].name, matches[0].score) if matches else (None, 0.0)


@pytest.mark.parametrize(
    ("matcher", "text", "intent"),
    [
        (EN, "book an appointment", "book"),
        (EN, "um I'd like to book an appointment please", "book"),
        (EN, "Could I make an appointment for tomorrow?", "book"),
        (EN, "how much does a haircut cost", "prices"),
        (EN, "are you open on Sunday?", "hours"),
        (EN, "where exactly are you located", "address"),
        (EN, "yes", "yes"),
        (EN, "yeah, sure", "yes"),
        (EN, "let's do it", "yes"),  # a scenario example extends the built-in intent
        (EN, "nope", "no"),
        (EN, "can you say that again", "repeat"),
        (EN, "I want to talk to a real person", "human"),
        (EN, "operator!", "human"),
        (EN, "never mind, forget it", "cancel"),
        (EN, "I need help", "help"),
        (RU, "здравствуйте, я хотела бы записаться", "book"),
        (RU, "запишите меня пожалуйста", "book"),
        (RU, "а сколько стоит маникюр", "prices"),
        (RU, "когда вы работаете в субботу", "hours"),
        (RU, "да", "yes"),
        (RU, "нет, спасибо", "no"),
        (RU, "повторите ещё раз", "repeat"),
        (RU, "соедините с оператором", "human"),
        (RU, "отмена", "cancel"),
    ],
)
def test_intent_is_recognized_despite_extra_words(matcher: IntentMatcher, text: str, intent: str) -> None:
    name, score = _top(matcher, text)
    assert name == intent
    assert score >= 0.6


@pytest.mark.parametrize(
    ("matcher", "text"),
    [
        (EN, "asdkjh qwe"),
        (EN, "purple elephant"),
        (EN, "what is a purple elephant"),
        (EN, "I want a purple elephant"),
        (EN, "the weather is nice"),
        (RU, "фыва олдж"),
        (RU, "синий слон"),
        (RU, "какая сегодня погода"),
    ],
)
def test_nonsense_matches_nothing_confidently(matcher: IntentMatcher, text: str) -> None:
    assert _top(matcher, text)[1] < 0.5


def test_a_matching_pattern_scores_one() -> None:
    matches = EN.match("can you send me the price list")
    assert (matches[0].name, matches[0].score, matches[0].example) == ("prices", 1.0, None)


def test_matches_are_ranked_best_first() -> None:
    scores = [m.score for m in EN.match("book an appointment, how much does it cost")]
    assert scores == sorted(scores, reverse=True)


def test_builtin_examples_cover_every_builtin_intent_in_both_languages() -> None:
    for lang in ("en", "ru"):
        assert set(BUILTIN_EXAMPLES[lang]) == {"yes", "no", "repeat", "help", "human", "cancel"}


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("no, I said Tuesday", "en", True),
        ("not Monday, Tuesday", "en", True),
        ("actually make it 4 pm", "en", True),
        ("I meant Friday", "en", True),
        ("change it to 5", "en", True),
        ("tomorrow at 3", "en", False),
        ("no", "en", False),
        ("I'd like a haircut", "en", False),
        ("нет, я сказал во вторник", "ru", True),
        ("нет, я сказала во вторник", "ru", True),
        ("не в понедельник, а во вторник", "ru", True),
        ("вернее в пятницу", "ru", True),
        ("точнее в 5", "ru", True),
        ("я имел в виду среду", "ru", True),
        ("завтра в 3", "ru", False),
        ("нет", "ru", False),
        ("не знаю", "ru", False),
    ],
)
def test_is_correction(text: str, lang: str, expected: bool) -> None:
    assert is_correction(text, lang) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("   ", True),
        ("?!...", True),
        ("asdkjh qwe", True),
        ("фыва", True),
        ("zzzzzz", True),
        ("x" * 501, True),
        ("hello", False),
        ("3", False),
        ("purple elephant", False),
        ("ага", False),
        ("hmm", False),
        ("да", False),
        ("I'd like to book " * 20, False),
    ],
)
def test_is_garbage(text: str, expected: bool) -> None:
    assert is_garbage(text) is expected
