"""Transfers in the engine: cold (hand over, the call ends) and warm (brief a person, then connect).

A warm transfer does not end the call when it starts: the engine emits a
:class:`~voicebot.dialogue.actions.WarmTransfer` with the brief rendered from the scenario's template and
the slots collected so far, and waits. The runtime answers with a
:class:`~voicebot.dialogue.events.TransferResult`: ``connected`` ends the call as ``transferred`` (the
outcome names who took it); anything else takes the call to the transfer's ``fallback`` state, where the
bot is back with the caller. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from voicebot.dialogue.actions import EndCall, Transfer, WarmTransfer
from voicebot.dialogue.events import TransferResult
from voicebot.dialogue.outcome import finish_call
from voicebot.dialogue.templates import parse_template
from voicebot.dialogue.turn import Turn
from voicebot.scenario.transfer import TransferSpec, transfer_of, voicemail_of

__all__ = ["brief_text", "on_transfer_result", "start_transfer", "voicemail_message"]

GoFn = Callable[[Turn, str, str | None, str, dict[str, object]], None]

_DETAILS = {"en": "Details:", "ru": "Данные:"}
_DEFAULT_BRIEF = {
    "en": "You have a call transferred by {bot_name}.",
    "ru": "Вам переводят звонок от {bot_name}.",
}
_ACCEPT = {
    "en": "Say yes or press 1 to take the call, say no or press 2 to decline.",
    "ru": "Скажите да или нажмите 1, чтобы принять звонок; нет или 2, чтобы отказаться.",
}


def _template(turn: Turn, text: object) -> str:
    if isinstance(text, dict):
        text = text.get(turn.lang) or next(iter(text.values()))
    assert isinstance(text, str)
    return parse_template(text).render(turn.spoken, turn.formatted)


def brief_text(turn: Turn, spec: TransferSpec) -> str:
    """What the person hears: the brief template, the filled slots, then how to accept."""
    lang = turn.lang
    head = _template(turn, spec.brief if spec.brief is not None else _DEFAULT_BRIEF[lang])
    filled = [name for name in turn.compiled.slot_names if name in turn.call.slots]
    details = "; ".join(f"{name.replace('_', ' ')}: {turn.spoken(name)}" for name in filled)
    parts = [head]
    if details:
        parts.append(f"{_DETAILS[lang]} {details}.")
    parts.append(_ACCEPT[lang])
    return " ".join(parts)


def start_transfer(turn: Turn, value: str | TransferSpec) -> None:
    """The state's ``transfer``: cold hands the call over and ends it; warm asks the runtime to brief."""
    spec = transfer_of(value)
    assert spec is not None
    call = turn.call
    if spec.mode == "cold":
        call.transferred_to = spec.to
        call.transfer = {"mode": "cold", "to": spec.to, "result": "requested", "agent": None}
        turn.out.append(Transfer(spec.to))
        finish_call(turn, "transferred")
        return
    call.transfer = {"mode": "warm", "to": spec.to, "result": "pending", "agent": None}
    turn.out.append(
        WarmTransfer(spec.to, brief_text(turn, spec), spec.hold_audio, spec.timeout, spec.accept_timeout)
    )


def on_transfer_result(turn: Turn, event: TransferResult, go: GoFn) -> None:
    """Connected: the call ends as transferred. Otherwise the bot is back: go to the fallback state."""
    call = turn.call
    spec = transfer_of(turn.state.spec.transfer)
    if call.transfer is None or spec is None or spec.mode != "warm" or call.transfer["result"] != "pending":
        return  # no warm transfer is waiting for an answer here
    call.transfer = dict(call.transfer, result=event.result, agent=event.agent)
    if event.result == "connected":
        call.transferred_to = spec.to
        finish_call(turn, "transferred")
        return
    if spec.fallback is None:  # the static check requires one; end rather than hang
        turn.out.append(EndCall("completed"))
        finish_call(turn, "completed")
        return
    go(turn, spec.fallback, None, "transfer_fallback", {"result": event.result})


def voicemail_message(turn: Turn) -> str | None:
    """The voicemail message that applies in the call's current state, rendered; None if none is declared."""
    spec = voicemail_of(turn.compiled.scenario, turn.call.state)
    return _template(turn, spec.message) if spec is not None else None
