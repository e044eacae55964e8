"""Turn: the scratchpad of one event's processing (the call, the clock reading, the actions so far)."""

from __future__ import annotations

from datetime import datetime

from voicebot.dialogue.actions import Action, Listen, Say
from voicebot.dialogue.compiled import CompiledScenario, CompiledState, CompiledText
from voicebot.dialogue.formats import format_value
from voicebot.dialogue.messages import builtin
from voicebot.dialogue.nlu import speak
from voicebot.dialogue.state import CallState
from voicebot.scenario.model import Language

__all__ = ["Turn"]


class Turn:
    """Collects the actions of one event; renders templates against the call's slots."""

    __slots__ = ("call", "compiled", "hops", "now", "out")

    def __init__(self, call: CallState, compiled: CompiledScenario, now: datetime) -> None:
        self.call = call
        self.compiled = compiled
        self.now = now
        self.out: list[Action] = []
        self.hops = 0

    @property
    def state(self) -> CompiledState:
        return self.compiled.states[self.call.state]

    @property
    def lang(self) -> Language:
        return self.compiled.lang

    def spoken(self, name: str) -> str:
        """The spoken form of a placeholder: a slot's value, the bot's name or the caller's number."""
        call = self.call
        if name in call.slots:
            return speak(self.compiled.slots[name].spec, call.slots[name], lang=self.lang, now=self.now)
        if name == "bot_name":
            return self.compiled.scenario.bot.name
        if name == "caller_number":
            return call.context.caller_number or ""
        return ""

    def formatted(self, name: str, fmt: str) -> str:
        """A placeholder written with a format (``{res_date:weekday_day_month}``)."""
        if name in self.call.slots:
            region = self.compiled.scenario.bot.region
            text = format_value(self.call.slots[name], fmt, lang=self.lang, region=region, now=self.now)
            if text is not None:
                return text
        return self.spoken(name)

    def say(self, text: str, source: str = "template", chunks: tuple[str, ...] = ()) -> None:
        if text:
            self.out.append(Say(text, source, chunks))  # type: ignore[arg-type]

    def say_text(self, text: CompiledText | None, *, key: str | None = None, **values: str) -> None:
        """Say a scenario template, or the built-in phrase ``key`` when the scenario gives none."""
        if text is not None:
            self.say(text.template(self.lang).render(self.spoken, self.formatted))
        elif key is not None:
            self.say(builtin(key, self.lang, **values), "builtin")

    def listen(self) -> None:
        if not self.call.ended and not any(isinstance(a, Listen) for a in self.out):
            self.out.append(Listen(self.compiled.scenario.settings.no_input_seconds))

    def said_this_turn(self) -> bool:
        return any(isinstance(a, Say) for a in self.out)

    def ended_with_question(self) -> bool:
        """True when the last thing said this turn asks a question (then the bot does not ask another)."""
        said = [a.text for a in self.out if isinstance(a, Say)]
        return bool(said) and said[-1].rstrip().endswith("?")

    def repeat(self) -> None:
        if not self.call.last_said:
            self.say(builtin("repeat_nothing", self.lang), "builtin")
        for text in self.call.last_said:
            self.say(text, "builtin")

    def finish(self) -> list[Action]:
        """The actions, in order; remembers what was said for "repeat that"."""
        said = [a.text for a in self.out if isinstance(a, Say)]
        if said:
            self.call.last_said = said
            self.call.history.extend(("bot", text) for text in said)
        return self.out
