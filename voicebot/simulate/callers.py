"""Who plays the caller: a scripted persona (offline) or an LLM given the persona (OPENAI_API_KEY).

Both are adaptive: each turn they see what the bot said and what it is asking for (the engine's
``asked`` slot, a pending read-back, a yes/no question), and answer that, as a person who knows only
their own details would. Behaviours with a turn (``silence``, ``hangup``, ``ask_person``) happen on
that turn in both modes, so a run with an LLM still exercises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from voicebot.dialogue import LLM, Event, Hangup, NoInput, Utterance
from voicebot.dialogue.ports import LlmMessage
from voicebot.errors import VoicebotError
from voicebot.simulate.persona import Persona

__all__ = ["BotTurn", "Caller", "LlmCaller", "ScriptedCaller", "describe"]


@dataclass(frozen=True, slots=True)
class BotTurn:
    """What the caller can know after the bot's turn."""

    turn: int
    """The caller's turn about to be taken (1 = first)."""
    said: str
    asked: str | None
    """The slot the bot is asking for (the engine's ``CallState.asked``), or None."""
    confirming: str | None
    """The slot being read back for a yes/no, or ``"*"`` when the state asks a yes/no question."""
    history: tuple[tuple[str, str], ...]


class Caller(Protocol):
    async def next(self, bot: BotTurn) -> Event: ...


class ScriptedCaller:
    """Answers from the persona's slot values; misbehaves as its behaviours say."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self._corrections = [b for b in persona.behaviours if b.kind == "correct"]
        self.stuck: str | None = None
        """Why the caller hung up on its own (it had nothing to answer), if it did."""

    def _scheduled(self, turn: int) -> Event | None:
        b = self.persona.at(turn)
        if b is None:
            return None
        if b.kind == "silence":
            return NoInput()
        if b.kind == "hangup":
            return Hangup()
        return Utterance(b.say or "")

    async def next(self, bot: BotTurn) -> Event:
        scheduled = self._scheduled(bot.turn)
        if scheduled is not None:
            return scheduled
        p = self.persona
        if bot.turn == 1 and p.opening:
            extra = [
                p.slots[s] for b in p.behaviours if b.kind == "out_of_order" for s in b.slots if s in p.slots
            ]
            return Utterance(" ".join([p.opening, *extra]))
        if bot.confirming is not None:
            for correction in self._corrections:
                if correction.slot is None or correction.slot == bot.confirming or bot.confirming == "*":
                    self._corrections.remove(correction)
                    return Utterance(correction.say or "")
            return Utterance(p.confirm)
        if bot.asked is not None:
            if bot.asked in p.slots:
                return Utterance(p.slots[bot.asked])
            self.stuck = f"the persona has no answer for slot {bot.asked!r}"
            return Hangup()
        if p.opening and bot.turn == 1:
            return Utterance(p.opening)
        self.stuck = "the bot asked nothing the persona can answer"
        return Hangup()


CALLER_PROMPT = (
    "You are role-playing a person phoning a business's voice bot. Stay in character and speak like a "
    "caller on the phone: one short sentence, in the bot's language. Your goal: {goal}. Your details "
    "(give them when asked, exactly as written): {slots}. {behaviours}Reply with only what you say. "
    "Reply [silence] to say nothing, [hangup] to hang up."
)


class LlmCaller:
    """An LLM plays the persona (through the dialogue's LLM port); scheduled behaviours stay scripted."""

    def __init__(self, persona: Persona, llm: LLM) -> None:
        self.persona = persona
        self._llm = llm
        self._scripted = ScriptedCaller(persona)
        self.stuck: str | None = None

    def _system(self, bot: BotTurn) -> str:
        p = self.persona
        goal = ", ".join(p.goal.outcomes) or p.goal.state or "get what you called for"
        slots = "; ".join(f"{k}: {v}" for k, v in p.slots.items()) or "none"
        extra = [f"{b.kind} {b.say or ''} {' '.join(b.slots)}".strip() for b in p.behaviours if b.at is None]
        behaviours = f"Also: {'; '.join(extra)}. " if extra else ""
        prompt = CALLER_PROMPT.format(goal=goal, slots=slots, behaviours=behaviours)
        if bot.asked is not None:
            prompt += f"\nThe bot is now asking for {bot.asked}"
            prompt += f" (your answer: {p.slots[bot.asked]})." if bot.asked in p.slots else "."
        elif bot.confirming is not None:
            prompt += f"\nThe bot asks you to confirm (yes is: {p.confirm})."
        if bot.turn == 1 and p.opening:
            prompt += f"\nStart with: {p.opening}"
        return prompt

    async def next(self, bot: BotTurn) -> Event:
        scheduled = self._scripted._scheduled(bot.turn)
        if scheduled is not None:
            return scheduled
        messages: list[LlmMessage] = [LlmMessage("system", self._system(bot))]
        # From the caller's side the bot is the other party: its lines are "user", ours "assistant".
        messages += [
            LlmMessage("user" if who == "bot" else "assistant", text) for who, text in bot.history[-12:]
        ]
        try:
            text = (await self._llm.reply(messages)).strip()
        except VoicebotError as exc:
            self.stuck = f"the caller's LLM failed: {exc}"
            return Hangup()
        return _parse(text)


def _parse(text: str) -> Event:
    lowered = text.lower()
    if not text or "[silence]" in lowered:
        return NoInput()
    if "[hangup]" in lowered:
        return Hangup()
    return Utterance(text)


def describe(event: Event) -> str:
    if isinstance(event, Utterance):
        return event.text
    if isinstance(event, NoInput):
        return "[silence]"
    if isinstance(event, Hangup):
        return "[hangs up]"
    return str(event)
