"""Built-in phrases the engine says when the scenario does not say otherwise, per language."""

from __future__ import annotations

from typing import Final

__all__ = ["builtin"]

_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "reprompt": "Sorry, I didn't catch that.",
        "no_input": "Are you still there?",
        "goodbye_no_input": "I can't hear you, so I'll end the call now. Goodbye!",
        "confirm_slot": "I heard {value}. Is that right?",
        "confirm_again": "Please say yes or no: {value}?",
        "ack_correction": "Got it, {value}.",
        "invalid": "Sorry, {value} won't work.",
        "llm_unavailable": "Sorry, I can't answer that right now.",
        "repeat_nothing": "I haven't said anything yet.",
        "hold": "Sure, take your time.",
        "ask_time_for_day": "What time on {value}?",
    },
    "ru": {
        "reprompt": "Извините, я не расслышала.",
        "no_input": "Вы меня слышите?",
        "goodbye_no_input": "Вас не слышно, поэтому я завершаю звонок. До свидания!",
        "confirm_slot": "Я правильно поняла: {value}?",
        "confirm_again": "Скажите, пожалуйста, да или нет: {value}?",
        "ack_correction": "Поняла, {value}.",
        "invalid": "Извините, {value} не подходит.",
        "llm_unavailable": "Извините, сейчас я не могу ответить на этот вопрос.",
        "repeat_nothing": "Я пока ничего не говорила.",
        "hold": "Конечно, я подожду.",
        "ask_time_for_day": "Хорошо, {value}. В какое время?",
    },
}


def builtin(key: str, lang: str, **values: str) -> str:
    """The built-in phrase ``key`` in ``lang`` (English if the language has none), formatted."""
    table = _MESSAGES.get(lang, _MESSAGES["en"])
    text = table.get(key) or _MESSAGES["en"][key]
    return text.format(**values) if values else text
