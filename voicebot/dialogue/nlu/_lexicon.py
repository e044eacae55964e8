"""Word lists: yes/no phrases, fillers, introductions, negation. Normalized (lowercase, ё→е)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["FILLER", "INTRO_STRONG", "INTRO_WEAK", "NAME_STOP", "NEGATED", "YES_NO"]

YES_NO: Final[dict[str, dict[str, bool]]] = {
    "en": {
        **dict.fromkeys(
            [
                "yes", "yeah", "yea", "yep", "yup", "sure", "correct", "right", "that's right",
                "that is right",
                "that's correct", "that is correct", "absolutely", "of course", "definitely", "ok", "okay",
                "alright", "all right", "affirmative", "exactly", "please do", "sounds good", "go ahead",
                "uh huh", "i do", "it is", "true", "confirm", "confirmed", "certainly", "indeed", "perfect",
            ],
            True,
        ),
        **dict.fromkeys(
            [
                "no", "nope", "nah", "not really", "incorrect", "wrong", "that's wrong", "that is wrong",
                "not correct", "not right", "that's not right", "that's not correct", "negative",
                "no thanks", "no thank you", "don't", "do not", "i don't", "never", "not at all", "cancel",
                "no way", "false", "it isn't", "it's not",
            ],
            False,
        ),
    },
    "ru": {
        **dict.fromkeys(
            [
                "да", "ага", "угу", "конечно", "верно", "правильно", "все верно", "все правильно", "именно",
                "точно", "хорошо", "давайте", "да да", "ладно", "разумеется", "подтверждаю", "согласен",
                "согласна", "окей", "ок", "так точно", "естественно", "безусловно", "отлично", "можно",
            ],
            True,
        ),
        **dict.fromkeys(
            [
                "нет", "неа", "не надо", "не нужно", "неверно", "не верно", "неправильно", "не правильно",
                "не так", "не хочу", "ни в коем случае", "не", "нету", "да нет", "не согласен", "не согласна",
                "отмена", "не стоит", "нельзя", "нет спасибо",
            ],
            False,
        ),
    },
}  # fmt: skip

FILLER: Final = re.compile(
    r"^(?:\s|[,.!?;:-])*(?:(?:um+|uh+|er+m?|hmm+|well|so|like|oh|ah|okay|ok|yes|yeah|it's|it\s+is|its|"
    r"my\s+name\s+is|my\s+name's|the\s+name\s+is|name's|this\s+is|i'm|i\s+am|call\s+me|that\s+would\s+be|"
    r"(?:the\s+)?(?:booking|appointment|reservation)\s+(?:is|should\s+be|will\s+be)\s+under|"
    r"(?:put|book)\s+(?:it|me)\s+(?:down\s+)?(?:under|as)|in\s+the\s+name\s+of|under\s+the\s+name(?:\s+of)?|"
    r"under|name\s+of|"
    r"записывайте(?:\s+на)?|запишите(?:\s+на)?|запись\s+на|(?:на\s+)?имя|"
    r"ну|эм+|э+|ммм*|так|да|это|меня\s+зовут|мое\s+имя|моё\s+имя|зовут|я)(?:\s|[,.!?;:-])+)+",
    re.IGNORECASE,
)
"""Leading filler and introduction words stripped from a free-text answer."""

TRAILING: Final = re.compile(
    r"(?:(?:\s|[,.!?;:-])+(?:please|thanks|thank\s+you|пожалуйста|спасибо))+(?:\s|[,.!?;:-])*$|[\s,.!?;:-]+$",
    re.IGNORECASE,
)

_NAME = r"(?P<name>[^\W\d_]+(?:[-'][^\W\d_]+)?(?:\s+[^\W\d_]+(?:[-'][^\W\d_]+)?){0,2})"
INTRO_STRONG: Final = {
    "en": re.compile(
        r"\b(?:(?:the\s+)?name\s+(?:is\s+not|isn't|is\s+wrong)\s+[\w'-]+[\s,]+(?:it's\s+|it\s+is\s+|but\s+)?"
        r"|(?:my|the)\s+name\s+(?:should\s+be|is\s+actually|is)|my\s+name's|name's|call\s+me)\s+"
        rf"{_NAME}"
    ),
    "ru": re.compile(
        r"(?<!\w)(?:имя\s+не\s+[\w-]+\s*,?\s*а\s+|(?:меня\s+зовут|мое\s+имя|зовут\s+меня|имя)\s+)"
        rf"{_NAME}"
    ),
}
INTRO_WEAK: Final = {
    "en": re.compile(rf"\b(?:this\s+is|i\s+am|i'm|it's)\s+{_NAME}"),
    "ru": re.compile(rf"(?<!\w)(?:не\s+[^\W\d_]+\s*,?\s*а|это|я)\s+{_NAME}"),
}
"""Introductions that only count when the name is capitalized ("this is Anna", not "this is urgent")."""

NAME_STOP: Final = frozenset({
    "and", "i", "from", "calling", "speaking", "here", "please", "the", "a", "an", "with", "at", "on", "by",
    "to", "for", "but", "so", "back", "later", "now", "again", "tomorrow", "today", "tonight", "sir", "madam",
    "и", "а", "из", "с", "звоню", "пожалуйста", "хочу", "хотела", "хотел", "хотим", "звонит", "можно", "мне",
    "на", "в", "у", "но", "назад", "позже", "сейчас", "завтра", "сегодня",
    # words that frame a date rather than name anyone ("born March 3rd 1985")
    "born", "birthday", "birth", "date", "dob", "of", "in", "my", "is", "it's", "родилась", "родился",
    "рождения", "дата", "день", "года", "год", "не", "not", "то", "wrong",
})  # fmt: skip

NEGATED: Final = {
    "en": re.compile(r"\b(?:not|never|no\s+not)\s+(?:(?:on|at|in|the|for)\s+)?$"),
    "ru": re.compile(r"(?<!\w)(?:не|нет,?\s+не)\s+(?:(?:в|во|на|к|с)\s+)?$"),
}
"""Text right before a value that negates it ("not Monday", "не в понедельник")."""
